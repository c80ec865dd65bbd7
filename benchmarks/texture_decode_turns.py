"""Decoding a model's textures (sRGB to linear light, mip chain) as the renderer does,
against the texel-by-texel form it replaced, in turns in one process; and whether the
two give identical levels.

    python benchmarks/texture_decode_turns.py MODEL [--turns 3]

"before": the sRGB formula on every texel and each mip level as the area average of its
parent, one sparse matrix of span overlaps per axis in float64 (the tests' reference,
tests/test_render_texture.py, cuts texels into sub-texels instead, which only small
images afford); "after": holopack.rendering.texture_kernel.decode_texture (a table per
code, slice sums). CPU seconds of the process for all the model's textures. The levels
must agree to float32 rounding (1e-6); they are no longer compared bit for bit, as they
were against the np.add.at pair sums that mip_chain replaced when it began averaging an
odd side's spans by area.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
from scipy import sparse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))  # this tree's holopack, not an installed one

import holopack  # noqa: E402
from holopack.colour import srgb_to_linear  # noqa: E402
from holopack.rendering.texture_kernel import decode_texture  # noqa: E402


def area_weights(n: int) -> sparse.csr_matrix:
    """(max(n // 2, 1), n) float64: row j the share of each parent texel under next-level
    texel j, whose span is [j, j + 1) x n / max(n // 2, 1) of the parent."""
    k = max(n // 2, 1)
    step = n / k
    rows, cols, values = [], [], []
    for j in range(k):
        lo, hi = j * step, (j + 1) * step
        for i in range(int(np.floor(lo)), min(int(np.ceil(hi)), n)):
            share = min(hi, i + 1) - max(lo, i)
            if share > 0:
                rows.append(j)
                cols.append(i)
                values.append(share / step)
    return sparse.csr_matrix((values, (rows, cols)), shape=(k, n))


def area_mip_chain(level0: np.ndarray) -> list[np.ndarray]:
    levels = [np.asarray(level0, np.float32)]
    while levels[-1].shape[0] > 1 or levels[-1].shape[1] > 1:
        h, w = levels[-1].shape[:2]
        src = levels[-1].astype(np.float64)
        down = area_weights(h) @ src.reshape(h, w * 4)  # along the rows
        down = down.reshape(-1, w, 4).transpose(1, 0, 2).reshape(w, -1)
        across = (area_weights(w) @ down).reshape(-1, down.shape[1] // 4, 4).transpose(1, 0, 2)
        levels.append(np.ascontiguousarray(across).astype(np.float32))
    return levels


def before(texture) -> list[np.ndarray]:
    pixels = np.asarray(texture.pixels)
    values = pixels[:, :, :4].astype(np.float32) / np.float32(np.iinfo(pixels.dtype).max)
    values[:, :, :3] = srgb_to_linear(values[:, :, :3])
    return area_mip_chain(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--turns", type=int, default=3)
    args = parser.parse_args()
    textures = [t for t in holopack.load(args.model).textures if np.asarray(t.pixels).shape[2:] == (4,)]
    sizes = sorted({np.asarray(t.pixels).shape[:2] for t in textures})
    print(
        f"{os.path.basename(args.model)}: {len(textures)} RGBA textures, sizes {sizes}; load {os.getloadavg()[0]:.2f}"
    )
    for turn in range(args.turns):
        for name, decode in (("before", before), ("after", decode_texture)):
            start = time.process_time()
            for texture in textures:
                decode(texture)
            print(f"turn {turn + 1} {name}: {time.process_time() - start:.2f} CPU s")
    worst = max(
        float(np.abs(a - b).max())
        for t in textures
        for a, b in zip(before(t), decode_texture(t), strict=True)
    )
    print(f"levels agree: {worst <= 1e-6} (largest difference {worst:.2e})")


if __name__ == "__main__":
    main()
