"""What a picture may ask for of its light, by name, without importing the kernels:
the tone mappings (holopack.rendering.tonemap_kernel) and the environments
(holopack.rendering.environment). The option table reads them from here."""

from __future__ import annotations

TONE_MAPPINGS = ("none", "neutral", "aces")
ENVIRONMENTS = ("none", "studio")
