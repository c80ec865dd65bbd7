"""The side-by-side sheet of the shadings: docs/pbr.png.

    python benchmarks/pbr_sheet.py [-o docs/pbr.png] [--size 384]

Rows: FlightHelmet (tests/data) and a textured PBR product model (the metal-banded
bottle the PBR tests build: base colour through a texture transform, a
metallic-roughness map on the second UV set, an emissive label). Columns: the lit
model (Blinn-Phong, the default), shading="pbr" under the default rig (PBR Neutral
tone mapping), and shading="pbr" with the built-in "studio" environment. Same camera,
supersampling 2, black background as on a fan.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

import numpy as np
from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

from holopack.rendering import Renderer  # noqa: E402
from holopack.rendering.camera import Framing, fit_camera  # noqa: E402
from holopack.scene.load import load  # noqa: E402

COLUMNS = (("lit (old)", "lit", None), ("pbr", "pbr", None), ("pbr + studio", "pbr", "studio"))


def models(folder: str) -> list[tuple[str, str]]:
    from test_render_pbr import product_model  # the tests' own product model

    return [
        ("FlightHelmet", os.path.join(ROOT, "tests", "data", "FlightHelmet", "FlightHelmet.gltf")),
        ("product (bottle)", product_model(os.path.join(folder, "bottle.gltf"))),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=os.path.join(ROOT, "docs", "pbr.png"))
    parser.add_argument("--size", type=int, default=384)
    args = parser.parse_args()
    size = args.size
    label = 22
    with tempfile.TemporaryDirectory() as folder:
        rows = models(folder)
        sheet = Image.new("RGB", (size * len(COLUMNS), (size + label) * len(rows)), (24, 24, 24))
        draw = ImageDraw.Draw(sheet)
        renderer = Renderer((size, size), 2)
        for r, (name, path) in enumerate(rows):
            scene = load(path)
            posed = scene.pose(None, 0.0)
            cam = fit_camera(np.concatenate([p.positions for p in posed]), Framing(yaw=25.0, pitch=10.0))
            for c, (title, shading, environment) in enumerate(COLUMNS):
                frame = renderer.draw(
                    posed,
                    scene.materials,
                    scene.textures,
                    cam.view,
                    cam.projection,
                    shading,
                    environment=environment,
                )
                y = r * (size + label)
                sheet.paste(Image.fromarray(frame.color), (c * size, y + label))
                draw.text((c * size + 6, y + 4), f"{name}: {title}", fill=(230, 230, 230))
                print(f"{name} {title}: mean linear {frame.linear.mean():.4f}")
    sheet.save(args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
