"""The corpus as the fan shows it: one contact sheet, docs/gallery.png.

Every model of tests/corpus/index.toml is exported to the 3D Circle 42-F2 with the
defaults a user gets (no flags besides a short clip), the ``.BIN`` is decoded through the
viewer simulation (what a person in front of the fan sees), and one frame per model is
placed on a sheet with the model's name under it. An animated model shows the middle of
its default clip; a static one its first (front) view.

    python benchmarks/gallery.py [--out docs/gallery.png] [--tile 240] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tomllib

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import holopack  # noqa: E402  (after the path is set, to run from a checkout)
from holopack.animate.orientation import detect  # noqa: E402
from holopack.device import ViewerSimulator  # noqa: E402
from holopack.formats.fanfile import open_fan_file  # noqa: E402

CORPUS = os.path.join(ROOT, "tests", "corpus")
FPS = 30.0


def fan_view(path: str, work: str, tile: int) -> tuple[np.ndarray, str]:
    """uint8 (tile, tile, 3): the model's frame as the fan shows it; and a note."""
    scene = holopack.load(path)
    index = scene.animation_index(None)
    out = os.path.join(work, "01_TILE.BIN")
    if index is None:
        settings = dict(seconds=1 / FPS)
        show = 0
    else:
        clip = scene.clip(index)  # all clips together for a one-clip-per-joint rig
        # two frames: the clip's start and its middle
        settings = dict(seconds=2 / FPS, speed=(clip.duration - clip.start) * FPS / 2)
        show = 1
    holopack.export(scene, out, device="3dcircle-42f2", progress=False, **settings)
    polar = open_fan_file(out, "3dcircle-42f2")
    simulator = ViewerSimulator(polar.profile, tile)
    for number, codes in enumerate(polar.frames()):
        if number == show:
            picture = simulator.render(codes)
    notes = [] if index is None else [f"clip {scene.clip(index).name or index}"]
    facing = detect(scene)
    if not facing.is_default:  # what --front/--up auto decided, as the export says it
        notes.append(f"facing {facing.front}, up {facing.up}")
    return picture, ", ".join(notes)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "gallery.png"))
    parser.add_argument("--tile", type=int, default=240)
    parser.add_argument("--columns", type=int, default=6)
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args(argv)
    with open(os.path.join(CORPUS, "index.toml"), "rb") as f:
        models = tomllib.load(f)["model"]
    if args.only:
        models = [m for m in models if m["name"] in args.only]
    label = 30
    rows = (len(models) + args.columns - 1) // args.columns
    sheet = Image.new("RGB", (args.columns * args.tile, rows * (args.tile + label)), (40, 40, 40))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    with tempfile.TemporaryDirectory() as work:
        for n, model in enumerate(models):
            start = time.perf_counter()
            x, y = (n % args.columns) * args.tile, (n // args.columns) * (args.tile + label)
            try:
                picture, note = fan_view(os.path.join(CORPUS, model["file"]), work, args.tile)
                sheet.paste(Image.fromarray(picture), (x, y))
            except holopack.HolopackError as exc:
                note = f"exit {exc.exit_code}: {exc.message}"[:40]
            draw.text((x + 4, y + args.tile + 2), model["name"], fill=(255, 255, 255), font=font)
            draw.text((x + 4, y + args.tile + 15), note, fill=(170, 170, 170), font=font)
            print(f"{model['name']}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    sheet.save(args.out, optimize=True)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
