"""Makes the KTX2 test textures in this folder from quadrants.png (run once; the outputs
are committed). Needs ``pip install alktx2 pillow`` (alktx2 wraps Binomial's basisu
encoder); holopack itself only decodes.

    python tests/data/ktx2/make_ktx2.py
"""

import os

import alktx2
import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def picture() -> np.ndarray:
    """(64, 64, 4) uint8: red, green and blue quadrants and a red-ramp quadrant, the
    green one half transparent."""
    y, x = np.mgrid[0:64, 0:64]
    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[:32, :32, :3] = (220, 30, 30)
    rgba[:32, 32:, :3] = (30, 200, 40)
    rgba[:32, 32:, 3] = 128
    rgba[32:, :32, :3] = (30, 40, 220)
    rgba[32:, 32:, 0] = (x[32:, 32:] * 4 - 128).clip(0, 255)
    rgba[32:, 32:, 1] = 230
    rgba[32:, 32:, 2] = 20
    return rgba


def main() -> None:
    rgba = picture()
    Image.fromarray(rgba, "RGBA").save(os.path.join(HERE, "quadrants.png"))
    for codec, options in (("etc1s", dict(quality=128, mipmaps=True)), ("uastc", dict(quality=50))):
        data = alktx2.encode_raw_rgba_to_ktx2(rgba.tobytes(), 64, 64, True, codec=codec, srgb=True, **options)
        with open(os.path.join(HERE, f"quadrants-{codec}.ktx2"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
