"""Decoding a model's textures (sRGB to linear light, mip chain) as the renderer does,
against the texel-by-texel form it replaced, in turns in one process; and whether the
two give identical levels.

    python benchmarks/texture_decode_turns.py MODEL [--turns 3]

"before": the sRGB formula on every texel and np.add.at block sums (the tests' reference,
tests/test_render_texture.py); "after": holopack.rendering.texture_kernel.decode_texture
(a table per code, slice sums). CPU seconds of the process for all the model's textures.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, os.path.join(HERE, ".."))  # this tree's holopack, not an installed one

from test_render_texture import _mip_chain_by_add_at  # noqa: E402

import holopack  # noqa: E402
from holopack.colour import srgb_to_linear  # noqa: E402
from holopack.rendering.texture_kernel import decode_texture  # noqa: E402


def before(texture) -> list[np.ndarray]:
    pixels = np.asarray(texture.pixels)
    values = pixels[:, :, :4].astype(np.float32) / np.float32(np.iinfo(pixels.dtype).max)
    values[:, :, :3] = srgb_to_linear(values[:, :, :3])
    return _mip_chain_by_add_at(values)


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
    same = all(
        np.array_equal(a, b) for t in textures for a, b in zip(before(t), decode_texture(t), strict=True)
    )
    print(f"levels identical: {same}")


if __name__ == "__main__":
    main()
