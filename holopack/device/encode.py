"""One object the pipeline calls per frame: picture -> device codes."""

from __future__ import annotations

import numpy as np

from .dither import Ditherer
from .profile import DeviceProfile
from .quantise_kernel import encode_codes
from .resample_kernel import Resampler


class PolarEncoder:
    """Resample, limit brightness, gamma-encode, dither and quantise.

    ``encode(picture, frame_index, out=None, occupied=None)``: picture float32 (N, N, 3)
    linear light (N = render_size, row 0 at the top) -> uint8 (slices, columns, 3) codes
    in [0, 2^bit_depth - 1], channels in RGB order (writers apply the channel order).
    ``occupied``: the renderer's map of tiles that may hold light (RenderedPicture.tiles), which
    lets the resampler skip the black ones unread. Buffers are allocated once; pass
    ``out`` to reuse the codes buffer as well.
    """

    def __init__(self, profile: DeviceProfile, render_size: int | None = None):
        if not profile.is_polar:
            raise ValueError(f"profile {profile.name!r} is not a polar device")
        self.profile = profile
        self.render_size = int(render_size or profile.render_size)
        self.resampler = Resampler(profile, self.render_size)
        self.ditherer = Ditherer(profile)
        self.shape = profile.codes_shape
        self._linear = np.empty(self.shape, np.float32)

    def to_polar(self, picture: np.ndarray, occupied: np.ndarray | None = None) -> np.ndarray:
        """The area-weighted linear polar frame float32 (S, C, 3) (an internal buffer)."""
        return self.resampler.resample(picture, out=self._linear, occupied=occupied)

    def quantise(self, linear: np.ndarray, frame_index: int = 0, out: np.ndarray | None = None) -> np.ndarray:
        """Linear polar values float32 (S, C, 3) -> codes uint8 (S, C, 3): brightness
        limit, gamma, the frame's dither thresholds and quantisation in one kernel."""
        return quantise_codes(self.profile, self.ditherer, linear, frame_index, out)

    def encode(
        self,
        picture: np.ndarray,
        frame_index: int = 0,
        out: np.ndarray | None = None,
        occupied: np.ndarray | None = None,
    ) -> np.ndarray:
        return self.quantise(self.to_polar(picture, occupied), frame_index, out)


def quantise_codes(
    profile: DeviceProfile, ditherer: Ditherer, linear: np.ndarray, frame_index: int, out: np.ndarray | None
) -> np.ndarray:
    """PolarEncoder.quantise of ``profile`` with its ``ditherer``."""
    if out is None:
        out = np.empty(profile.codes_shape, np.uint8)
    return encode_codes(
        np.ascontiguousarray(linear, np.float32),
        ditherer.thresholds(frame_index),
        float(profile.brightness_limit),
        1.0 / float(profile.gamma),
        int(profile.max_code),
        out,
    )


def decode_codes(codes: np.ndarray, profile: DeviceProfile) -> np.ndarray:
    """Codes uint8 (S, C, 3) -> the linear light the LEDs emit, float32 (S, C, 3) in [0, 1]."""
    v = codes.astype(np.float32) / np.float32(profile.max_code)
    return np.power(v, np.float32(profile.gamma), out=v)
