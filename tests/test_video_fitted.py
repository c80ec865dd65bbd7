"""An unkeyed clip (--key none --crop fit) is fitted into the fan's square as ffmpeg
decodes it: the pictures are the plain reader's frames fitted (aspect kept, centred on
black), and the whole frames never cross the pipe. A wall's canvas still reads the
whole frames of the same source.

The clip is lossless RGB H.264 (libx264rgb, CRF 0), so the frames decoded are the
frames written, and the references are numpy block means of them, never computed
through the decoder under test.
"""

from __future__ import annotations

import numpy as np
import pytest
from _video_clips import encode_clip

import holopack
from holopack.pipeline import ExportSettings, make_timeline, open_source

W, H, N, FPS = 96, 64, 9, 10


def source_frames() -> list[np.ndarray]:
    """Gradients with a sharp bright square moving over them: (H, W, 3) uint8."""
    y, x = np.mgrid[0:H, 0:W]
    frames = []
    for i in range(N):
        f = np.stack([x * 2.5 + 5, y * 3.5 + 9 * i + 5, (x + y) * 1.3 + 5], -1)
        f[8 + 4 * i : 24 + 4 * i, 10 + 6 * i : 30 + 6 * i] = (250, 40, 200)
        frames.append(np.clip(f, 0, 255).astype(np.uint8))
    return frames


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("fitted") / "wide.mp4")
    frames = source_frames()
    encode_clip(path, frames, FPS, ["-c:v", "libx264rgb", "-crf", "0", "-preset", "ultrafast"])
    return path, frames


class Spy:
    """Counts the whole-frame passes and the filtered passes a media source opens."""

    def __init__(self, media):
        self.whole, self.filters = 0, []
        open_frames, open_filtered = media.open_frames, media.open_filtered

        def whole():
            self.whole += 1
            return open_frames()

        def filtered(vf, size, *rest, **options):
            self.filters.append((vf, size))
            return open_filtered(vf, size, *rest, **options)

        media.open_frames, media.open_filtered = whole, filtered


def plain_source(path: str, size: int):
    scene = holopack.load(path)
    timeline = make_timeline(scene, ExportSettings(key="none", crop="fit"), FPS)
    return scene, open_source(scene, timeline, size)


def test_an_unkeyed_clip_is_fitted_as_it_is_decoded_into_its_frames_block_means(clip):
    path, frames = clip
    scene, source = plain_source(path, 48)
    spy = Spy(scene.media)
    try:
        for i, frame in enumerate(frames):
            got = source.picture(i).color
            # 96 x 64 halved: 48 x 32, centred in the 48 px square from row 8
            expected = np.zeros((48, 48, 3))
            expected[8:40] = frame.astype(np.float64).reshape(32, 2, 48, 2, 3).mean(axis=(1, 3))
            assert got.shape == (48, 48, 3) and got.dtype == np.uint8
            assert np.abs(got - expected).max() <= 1.0, i
            assert not got[:8].any() and not got[40:].any()  # black above and below, exactly
    finally:
        source.close()
    # one pass, through ffmpeg's filter at the square's size: no whole frame was read
    assert spy.whole == 0
    assert len(spy.filters) == 1 and spy.filters[0][1] == (48, 48)


def test_a_clip_smaller_than_the_square_is_enlarged_as_the_plain_reader_fits_it(clip):
    """Enlarged (bilinear in both): within 2 codes of scene.media.fit_square's picture of
    the whole frame, and the same on average to a tenth of a code."""
    from holopack.scene.media import fit_square

    path, frames = clip
    _, source = plain_source(path, 150)
    try:
        for i in (0, 4, N - 1):
            got = source.picture(i).color.astype(int)
            expected = fit_square(frames[i], 150).astype(int)
            diff = np.abs(got - expected)
            assert got.shape == (150, 150, 3)
            assert diff.max() <= 2 and diff.mean() <= 0.1, (diff.max(), diff.mean())
    finally:
        source.close()


def test_the_whole_frames_of_a_source_are_still_read_after_its_fitted_pictures(clip):
    """A wall's canvas takes a source's whole frames (frame_at): reading them after the
    fitted pictures, and the pictures again after them, gives each its own kind."""
    path, frames = clip
    _, source = plain_source(path, 48)
    try:
        assert source.picture(2).color.shape == (48, 48, 3)
        assert np.array_equal(source.frame_at(3), frames[3])
        assert source.picture(5).color.shape == (48, 48, 3)
        assert np.array_equal(source.frame_at(1), frames[1])
    finally:
        source.close()


def test_a_loop_past_the_clips_end_starts_its_fitted_frames_again(clip):
    path, frames = clip
    _, source = plain_source(path, 48)
    try:
        first = source.picture(1).color
        source.picture(N - 1)
        assert np.array_equal(source.picture(N + 1).color, first)  # the second time round
    finally:
        source.close()
