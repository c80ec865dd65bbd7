"""Material sweep: glTF models from other sources against the independent GL references.

Each model found under the given folders (``*.gltf`` / ``*.glb``, one variant per model
folder: glTF, then glTF-Binary, then the others) is posed at rest and drawn by holopack
and by the GLSL references of the tests, with the same matrices (``framed_camera``,
pitch 15 degrees, a few yaws):

- ``unlit`` against ``tests/_gl_reference.gl_render`` (base colour factor x map x
  vertex colour, MASK / BLEND, double-sided), sRGB8 PSNR over the pixels both cover;
- ``pbr`` against ``tests/_pbr_gl_reference.gl_render_pbr`` (Appendix B, two
  directional lights, no tone mapping), PSNR in linear light clamped to [0, 1] (peak 1)
  over the pixels both cover away from depth steps;

and the coverage IoU of the two. The worst yaw of each model and shading is printed;
``--pictures FOLDER`` writes side-by-side PNGs (holopack | reference | 8 x difference).

    python benchmarks/material_sweep.py MODELS_FOLDER [MORE ...] [--size 256]
        [--yaws 0,120,240] [--only NAME,...] [--pictures DIR] [--shadings unlit,pbr]
        [--before EARLIER_OUTPUT]

``--before`` takes this script's output from another version (run with that version's
holopack first on PYTHONPATH) and prints each row as before -> after.

Run it under ``xvfb-run -a`` or where EGL works.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import traceback

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, os.path.join(HERE, ".."))  # this tree's holopack, not an installed one
from _gl_reference import framed_camera, gl_render, iou, posed_model, psnr, srgb8  # noqa: E402
from _pbr_gl_reference import gl_render_pbr, linear_psnr  # noqa: E402

import holopack  # noqa: E402
from holopack.rendering import Renderer  # noqa: E402

LIGHTS = [
    holopack.DirectionalLight(direction=(0.45, -0.55, -0.70), color=(1.0, 0.95, 0.9), intensity=2.5),
    holopack.DirectionalLight(direction=(-0.65, -0.05, -0.55), color=(0.6, 0.7, 1.0), intensity=1.2),
]
VARIANTS = ("glTF", "glTF-Binary", "glTF-Embedded", "glTF-Quantized", "glTF-KTX-BasisU", "glTF-Draco")


def find_models(folders: list[str]) -> list[tuple[str, str]]:
    """[(name, path)]: one file per model folder. ``NAME/glTF``, ``NAME/glTF-Binary`` and
    ``NAME/glTF-Embedded`` are one model (the first found of these, in that order); the
    other variants of VARIANTS (quantized, KTX2, Draco) are models of their own, named
    NAME/VARIANT; other variants (spec-gloss) are skipped; a file in any other folder
    is a model named by its file."""
    found: dict[str, list[tuple[int, str]]] = {}
    for folder in folders:
        for root, _dirs, files in os.walk(folder):
            variant = os.path.basename(root)
            model = os.path.basename(os.path.dirname(root))
            for f in files:
                if not f.endswith((".gltf", ".glb")):
                    continue
                if variant in VARIANTS[:3]:
                    name, rank = model, VARIANTS.index(variant)
                elif variant in VARIANTS:
                    name, rank = f"{model}/{variant}", 0
                elif variant.startswith("glTF-"):
                    continue
                else:
                    name, rank = os.path.splitext(f)[0], 0
                found.setdefault(name, []).append((rank, os.path.join(root, f)))
    return sorted((name, min(paths)[1]) for name, paths in found.items())


def read_rows(path: str) -> dict[tuple[str, str], str]:
    """{(model, shading): "PSNR IoU"} of an earlier run's output; a failed row keeps its
    words ("load failed")."""
    rows = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            words = line.split()
            if len(words) < 3 or line.startswith(("#", "model ")) or line[0].isspace():
                continue
            if words[1] in ("unlit", "pbr") and len(words) >= 4:
                rows[(words[0], words[1])] = f"{words[2]:>7} {words[3]}"
            elif words[1] == "-":
                rows[(words[0], "-")] = " ".join(words[2:4])
    return rows


def _smooth(depth: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels whose 3 x 3 neighbourhood lies on one smooth surface, where the
    window depth's second differences stay small (a plane's window depth is affine in
    the pixel position, even a thin model's steep one, which a bound on the depth's
    range would throw away); a silhouette or a depth step has large ones."""
    padded = np.pad(depth.astype(np.float64), 2, constant_values=1.0)
    bend = np.maximum(
        np.abs(padded[1:-1, 2:] + padded[1:-1, :-2] - 2 * padded[1:-1, 1:-1]),
        np.abs(padded[2:, 1:-1] + padded[:-2, 1:-1] - 2 * padded[1:-1, 1:-1]),
    )
    windows = np.lib.stride_tricks.sliding_window_view(bend, (3, 3))
    return windows.max(axis=(2, 3)) < 1e-3


def compare(posed, materials, textures, view, projection, shading, size):
    """(PSNR, IoU, holopack's picture (H, W, 3) uint8, the reference's, covered pixels)."""
    renderer = Renderer((size, size), 1, lights=LIGHTS)
    if shading == "unlit":
        ours = renderer.draw(posed, materials, textures, view, projection, "unlit")
        linear, coverage, depth = gl_render(posed, materials, textures, view, projection, (size, size))
        ref = srgb8(linear)
        both = (ours.alpha > 0) & (coverage > 0)
        value = psnr(ours.color[both], ref[both]) if both.any() else 0.0
        mine = ours.color
    else:
        ours = renderer.draw(posed, materials, textures, view, projection, "pbr", tone_mapping="none")
        linear, coverage, depth = gl_render_pbr(
            posed, materials, textures, view, projection, (size, size), LIGHTS
        )
        both = (ours.alpha > 0) & (coverage > 0) & _smooth(depth)
        # clamped to [0, 1] as an encode without tone mapping shows it: a near-mirror
        # highlight's radiance of 100 or more, 2 % apart, would outweigh the rest
        value = linear_psnr(np.clip(ours.linear, 0, 1), np.clip(linear, 0, 1), both)
        mine = srgb8(np.clip(ours.linear, 0, 1))
        ref = srgb8(np.clip(linear, 0, 1))
    return value, iou(ours.alpha > 0, coverage > 0), mine, ref, int((coverage > 0).sum())


def side_by_side(path: str, mine: np.ndarray, ref: np.ndarray) -> None:
    from PIL import Image

    diff = np.clip(np.abs(mine.astype(np.int32) - ref.astype(np.int32)) * 8, 0, 255).astype(np.uint8)
    Image.fromarray(np.concatenate([mine, ref, diff], axis=1)).save(path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="+", help="folders holding model folders (searched recursively)")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--yaws", default="0,120,240", help="comma-separated yaw angles in degrees")
    ap.add_argument("--only", default="", help="comma-separated parts of model names to run")
    ap.add_argument("--shadings", default="unlit,pbr")
    ap.add_argument("--pictures", default=None, help="folder for side-by-side PNGs of each case")
    ap.add_argument("--before", default=None, help="an earlier run's output: rows as before -> after")
    args = ap.parse_args()
    before = read_rows(args.before) if args.before else {}
    yaws = [float(y) for y in args.yaws.split(",")]
    shadings = args.shadings.split(",")
    models = [
        (n, p)
        for n, p in find_models(args.folders)
        if not args.only or any(k in n for k in args.only.split(","))
    ]
    if args.pictures:
        os.makedirs(args.pictures, exist_ok=True)
    print(f"# {len(models)} models, {args.size} px, yaws {args.yaws}, pitch 15; worst yaw shown")
    if before:
        print(f"# before: {args.before}")
        print(
            f"{'model':36} {'shading':7} {'PSNR dB':>8} {'IoU':>7} {'covered':>8}  worst yaw   (before: PSNR IoU)"
        )
    else:
        print(f"{'model':36} {'shading':7} {'PSNR dB':>8} {'IoU':>7} {'covered':>8}  worst yaw")
    for name, path in models:
        try:
            posed, materials, textures = posed_model(path)
        except Exception as exc:  # a model holopack refuses is a row of the table too
            print(f"{name:36} {'-':7} load failed: {exc.__class__.__name__}: {str(exc)[:80]}")
            continue
        if not posed:
            print(f"{name:36} {'-':7} nothing to draw")
            continue
        for shading in shadings:
            worst = None
            t0 = time.perf_counter()
            for yaw in yaws:
                view, projection = framed_camera(posed, yaw=yaw, pitch=15.0)
                try:
                    value, overlap, mine, ref, covered = compare(
                        posed, materials, textures, view, projection, shading, args.size
                    )
                except Exception as exc:
                    traceback.print_exc(limit=3)
                    print(f"{name:36} {shading:7} failed: {exc.__class__.__name__}: {str(exc)[:80]}")
                    break
                if covered == 0:  # seen edge-on or from its culled back: nothing to compare
                    continue
                if args.pictures:
                    safe = name.replace("/", "_")
                    side_by_side(os.path.join(args.pictures, f"{safe}-{shading}-{int(yaw)}.png"), mine, ref)
                key = (value if math.isfinite(value) else 1e9, overlap)
                if worst is None or key < worst[0]:
                    worst = (key, value, overlap, covered, yaw)
            if worst is not None:
                _, value, overlap, covered, yaw = worst
                was = f"   (before: {before.get((name, shading), 'absent')})" if before else ""
                print(
                    f"{name:36} {shading:7} {value:8.2f} {overlap:7.4f} {covered:8d}  {yaw:.0f}"
                    f"   ({time.perf_counter() - t0:.1f} s){was}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
