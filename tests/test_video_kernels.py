"""The video Numba kernels agree with their slow numpy twins."""

from __future__ import annotations

import numpy as np

from holopack.video import (
    guide_kernel,
    guide_reference,
    holes_kernel,
    holes_reference,
    key_kernel,
    key_reference,
    plate_kernel,
    plate_reference,
)
from holopack.video.matte import SRGB_LINEAR, codes_to_linear, unmix_edge


def test_plate_mode_kernel_matches_numpy_twin():
    rng = np.random.default_rng(3)
    background = rng.integers(0, 256, (20, 24, 3))
    samples = np.repeat(background[None], 9, axis=0) + rng.integers(-4, 5, (9, 20, 24, 3))
    # a subject covering a different patch in each of 4 samples
    for i in range(4):
        samples[i, 2 * i : 2 * i + 8, 3 * i : 3 * i + 10] = rng.integers(0, 256, 3)
    samples = np.clip(samples, 0, 255).astype(np.uint8)
    plate = np.empty((20, 24, 3), np.float32)
    support = np.empty((20, 24), np.float32)
    plate_kernel.plate_mode(samples, 36, plate, support)
    want_plate, want_support = plate_reference.plate_mode(samples, 36)
    np.testing.assert_allclose(plate, want_plate, atol=1e-3)
    np.testing.assert_array_equal(support, want_support)
    # and it found the background, not the subject
    assert (
        np.abs(plate - background).max() <= 6
    )  # noise of +-4 averaged, a subject colour within the tolerance at worst


def test_plate_mode_kernel_matches_numpy_twin_where_all_some_or_none_agree_with_the_first():
    # per pixel, each of 12 samples is the backdrop (with noise) or one of two subject
    # colours, with a share of backdrop from none to all: the first sample agrees with
    # every other one, with some, or with none, and is or is not the backdrop itself
    rng = np.random.default_rng(11)
    k, h, w = 12, 30, 40
    backdrop = rng.integers(40, 216, (h, w, 3))
    subjects = rng.integers(0, 256, (2, h, w, 3))
    share = rng.uniform(0.0, 1.0, (h, w))
    share[:, :10] = 1.0  # a still strip: every sample is the backdrop
    pick = rng.uniform(0, 1, (k, h, w)) < share
    which = rng.integers(0, 2, (k, h, w))
    subject = subjects[which, np.arange(h)[:, None], np.arange(w)]  # (k, h, w, 3)
    samples = np.where(pick[..., None], backdrop[None], subject)
    samples = np.clip(samples + rng.integers(-5, 6, samples.shape), 0, 255).astype(np.uint8)
    plate = np.empty((h, w, 3), np.float32)
    support = np.empty((h, w), np.float32)
    plate_kernel.plate_mode(samples, 36, plate, support)
    want_plate, want_support = plate_reference.plate_mode(samples, 36)
    np.testing.assert_allclose(plate, want_plate, atol=1e-3)
    np.testing.assert_array_equal(support, want_support)
    assert (support[:, :10] == 1.0).all()


def test_plate_behind_kernel_matches_numpy_twin():
    # a textured backdrop a bar of two subject colours sweeps across, covering the middle
    # columns in most of the 16 samples; the sure backdrop is the two outer strips
    rng = np.random.default_rng(21)
    k, h, w = 16, 14, 40
    backdrop = rng.integers(30, 226, (h, w, 3))
    samples = np.repeat(backdrop[None], k, axis=0)
    for f in range(k):
        x0 = 8 + (f * 3) % 14
        samples[f, :, x0 : x0 + 14] = rng.integers(0, 256, 3) if f % 5 == 0 else (200, 160, 40)
    samples = np.clip(samples + rng.integers(-5, 6, samples.shape), 0, 255).astype(np.uint8)
    plate = np.empty((h, w, 3), np.float32)
    support = np.empty((h, w), np.float32)
    plate_kernel.plate_mode(samples, 36, plate, support)
    sure = np.zeros((h, w), bool)
    sure[:, :6] = sure[:, -6:] = True
    bits = np.int64(1) << np.arange(k, dtype=np.int64)
    agree = np.abs(samples.astype(np.float32) - plate[None]).sum(-1) <= 36  # (K, H, W)
    seen = np.where(sure, (agree * bits[:, None, None]).sum(0), -1).astype(np.int64)
    order = np.flatnonzero(~sure.ravel())
    order = order[np.argsort(-np.abs(order % w - w / 2.0), kind="stable")]  # outside in
    want_seen, want_plate, want_support = plate_reference.plate_behind(
        order, samples, seen, 36.0, 0.6, 0.3, plate, support
    )
    changed = plate_kernel.plate_behind(order, samples, seen, 36.0, 0.6, 0.3, plate, support)
    np.testing.assert_array_equal(seen, want_seen)
    np.testing.assert_allclose(plate, want_plate, atol=1e-3)
    np.testing.assert_array_equal(support, want_support)
    assert changed > 0  # the bar's colour won the vote somewhere, and lost it here
    middle = want_seen[:, 18:22] > 0
    assert middle.any() and (np.abs(plate - backdrop).sum(-1)[:, 18:22][middle] <= 20).all()


def test_codes_to_linear_follows_the_srgb_curve():
    codes = np.linspace(0.0, 255.0, 4001)
    c = codes / 255.0
    want = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)  # IEC 61966-2-1
    got = codes_to_linear(codes.astype(np.float32).reshape(-1, 1, 1))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.ravel(), want, atol=1e-6)
    np.testing.assert_allclose(codes_to_linear(np.arange(256, dtype=np.float32)), SRGB_LINEAR, atol=1e-6)


def test_plate_nearest_kernel_matches_numpy_twin():
    rng = np.random.default_rng(4)
    samples = rng.integers(0, 256, (7, 16, 18, 3)).astype(np.uint8)
    samples[2:5] = samples[2]  # some agreement
    prediction = rng.uniform(0, 255, (16, 18, 3)).astype(np.float32)
    prediction[:8] = samples[3, :8]  # near a sample in the top half
    unsure = rng.uniform(size=(16, 18)) < 0.6
    plate = rng.uniform(0, 255, (16, 18, 3)).astype(np.float32)
    want = plate_reference.plate_nearest(samples, prediction, unsure, 36, plate)
    plate_kernel.plate_nearest(samples, prediction, unsure, 36, plate)
    np.testing.assert_allclose(plate, want, atol=1e-3)


def _matte_inputs(seed, use_plate, use_key):
    rng = np.random.default_rng(seed)
    frame = rng.integers(0, 256, (18, 22, 3)).astype(np.uint8)
    prev = np.clip(frame.astype(int) + rng.integers(-6, 7, frame.shape), 0, 255).astype(np.uint8)
    prev[:5] = rng.integers(0, 256, (5, 22, 3))  # part of the frame moved
    plate = key_reference.ycbcr(np.clip(frame.astype(int) + rng.integers(-30, 31, frame.shape), 0, 255))
    key_uv = key_reference.normalised_chroma(np.array([30.0, 180.0, 60.0]))
    params = np.array([use_plate, 6.0, 20.0, use_key, 5.0, 15.0, 8.0], np.float32)
    prev_score = rng.uniform(-1, 2, (18, 22)).astype(np.float32)
    return frame, plate.astype(np.float32), key_uv.astype(np.float32), params, prev, prev_score


def test_matte_kernel_matches_numpy_twin_in_every_mode():
    for seed, use_plate, use_key, has_prev in (
        (0, 1, 0, False),
        (1, 0, 1, True),
        (2, 1, 1, True),
        (3, 0, 0, False),
        (4, 1, 1, False),
    ):
        frame, plate, key_uv, params, prev, prev_score = _matte_inputs(seed, use_plate, use_key)
        background_linear = np.random.default_rng(seed).uniform(0, 1, frame.shape).astype(np.float32)
        want_alpha, want_score = key_reference.matte(
            frame, plate, key_uv, params, prev, prev_score.copy(), has_prev
        )
        want_offset, want_distance = key_reference.edge_inputs(frame, plate, background_linear)
        alpha = np.empty((18, 22), np.float32)
        offset = np.empty((18, 22, 3), np.float32)
        distance = np.empty((18, 22), np.float32)
        score = prev_score.copy()
        key_kernel.matte(
            frame,
            plate,
            key_uv,
            params,
            prev,
            score,
            has_prev,
            background_linear,
            SRGB_LINEAR,
            alpha,
            offset,
            distance,
        )
        np.testing.assert_allclose(alpha, want_alpha, atol=2e-4)
        np.testing.assert_allclose(score, want_score, atol=2e-4)
        np.testing.assert_allclose(offset, want_offset, atol=1e-3)
        np.testing.assert_allclose(distance, want_distance, atol=1e-5)


def test_composite_kernel_matches_numpy_twin():
    rng = np.random.default_rng(5)
    frame = rng.integers(0, 256, (15, 17, 3)).astype(np.uint8)
    alpha = rng.uniform(-0.3, 1.2, (15, 17)).clip(0, 1).astype(np.float32)
    band = (rng.uniform(size=(15, 17)) < 0.5).astype(np.uint8)
    background = rng.uniform(0, 255, (15, 17, 3)).astype(np.float32)
    for despill, allowance, gain in (
        (-1, 0.0, 1.0),
        (1, 0.0, 1.0),
        (2, 0.0, 1.7),
        (0, 0.0, 1.0),
        (3, 0.0, 1.0),
        (4, 12.5, 1.3),
        (5, 30.0, 1.0),
    ):
        out = np.empty_like(frame)
        key_kernel.composite(
            frame, alpha, band, background, despill, np.float32(allowance), np.float32(gain), out
        )
        want = key_reference.composite(frame, alpha, band, background, despill, allowance, gain)
        assert np.abs(out.astype(int) - want.astype(int)).max() <= 1
        assert (out[alpha <= 0] == 0).all()


def test_label_sums_kernel_matches_numpy_twin():
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 5, (17, 23)).astype(np.int32)
    mask = (rng.uniform(size=(17, 23)) < 0.7).astype(np.uint8)
    offset = rng.normal(0, 10, (17, 23, 3)).astype(np.float32)
    count, sums, squares = np.zeros(5), np.zeros((5, 3)), np.zeros((5, 3))
    holes_kernel.label_sums(labels, mask, offset, count, sums, squares)
    want_count, want_sums, want_squares = holes_reference.label_sums(labels, mask, offset, 5)
    np.testing.assert_array_equal(count, want_count)
    np.testing.assert_allclose(sums, want_sums, atol=1e-3)
    np.testing.assert_allclose(squares, want_squares, rtol=1e-9, atol=1e-3)


def test_guided_edge_kernel_matches_numpy_twin():
    rng = np.random.default_rng(8)
    frame = rng.integers(0, 256, (21, 26, 3)).astype(np.uint8)
    alpha = rng.uniform(0, 1, (21, 26)).astype(np.float32)
    edge = (rng.uniform(size=(21, 26)) < 0.4).astype(np.uint8)
    edge[0, :] = 1  # windows cut at the border
    for radius in (1, 2):
        near = np.zeros_like(edge)
        for y, x in zip(*np.nonzero(edge)):
            near[max(0, y - radius) : y + radius + 1, max(0, x - radius) : x + radius + 1] = 1
        out = np.empty((21, 26), np.float32)
        a, b = np.zeros((21, 26), np.float32), np.zeros((21, 26), np.float32)
        guide_kernel.guide_edge(frame, alpha, edge, near, radius, np.float32(1e-3), a, b, out)
        want = guide_reference.guide_edge(frame, alpha, edge, radius, 1e-3)
        np.testing.assert_allclose(out, want, atol=2e-4)


def _unmix_by_distance(alpha, score, linear_distance, reach, out):
    """key_kernel.unmix without the colour (its colour arrays are not read)."""
    unread_frame, unread_backdrop = np.zeros((1, 1, 3), np.uint8), np.zeros((1, 1, 3), np.float32)
    key_kernel.unmix(
        alpha, score, np.float32(5.0), np.float32(17.0), linear_distance, reach,
        False, unread_frame, unread_backdrop, SRGB_LINEAR, out,
    )  # fmt: skip


def test_unmix_kernel_matches_numpy_twin():
    rng = np.random.default_rng(9)
    alpha = rng.uniform(-0.5, 1.5, (19, 23)).clip(0, 1).astype(np.float32)
    score = rng.uniform(-1, 3, (19, 23)).astype(np.float32)
    linear_distance = rng.uniform(0, 1, (19, 23)).astype(np.float32)
    for reach in (1, 2):
        out = np.empty_like(alpha)
        _unmix_by_distance(alpha, score, linear_distance, reach, out)
        want = key_reference.unmix(alpha, score, 5.0, 17.0, linear_distance, reach)
        np.testing.assert_allclose(out, want, atol=1e-5)
        assert (out[alpha <= 0] == alpha[alpha <= 0]).all()


def test_unmix_kernel_matches_numpy_twin_on_a_solid_subject_touching_the_border():
    # a subject as the refinements see one: a solid inside, a soft edge next to clear
    # background, clear pockets inside it, and parts cut by the picture's border (the
    # kernel's 3 x 3 clear test reads each column once per row)
    rng = np.random.default_rng(10)
    y, x = np.mgrid[0:37, 0:41]
    alpha = np.clip((15.0 - np.hypot(y - 20.5, x - 3.2)) / 2.5, 0, 1)  # cut by the left border
    alpha = np.maximum(alpha, np.clip((9.0 - np.hypot(y - 2.0, x - 30.0)) / 2.0, 0, 1))  # by the top
    alpha[18:20, 5:7] = 0.0  # a clear pocket inside
    alpha = (alpha * (alpha < 1) * rng.uniform(0.5, 1.0, alpha.shape) + (alpha >= 1)).astype(np.float32)
    score = rng.uniform(-1, 3, alpha.shape).astype(np.float32)
    linear_distance = rng.uniform(0, 1, alpha.shape).astype(np.float32)
    for reach in (1, 2):
        out = np.empty_like(alpha)
        _unmix_by_distance(alpha, score, linear_distance, reach, out)
        want = key_reference.unmix(alpha, score, 5.0, 17.0, linear_distance, reach)
        np.testing.assert_allclose(out, want, atol=1e-5)
        changed = out != alpha
        assert changed.sum() > 20  # edge pixels were unmixed
        assert (out[alpha >= 1][~changed[alpha >= 1]] == 1).sum() > 200  # the solid inside kept


def test_colour_share_kernel_matches_numpy_twin():
    rng = np.random.default_rng(17)
    h, w = 19, 23
    coverage = rng.uniform(-0.5, 1.5, (h, w)).clip(0, 1).astype(np.float32)
    refined = rng.uniform(0, 1, (h, w)).astype(np.float32)
    refined[2:5, 3:6] = 0.7  # no gradient at (3, 4): the coverage stands
    coverage[3, 4] = 0.5
    frame = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
    background = codes_to_linear(rng.integers(0, 256, (h, w, 3)).astype(np.float32))
    background[5:8] = codes_to_linear(frame[5:8].astype(np.float32))  # no contrast on these rows
    for inset, c0, c1 in ((1.0, 0.01, 0.04), (1.5, 0.2, 0.6)):
        out = np.empty_like(coverage)
        key_kernel.colour_share(
            coverage,
            refined,
            frame,
            background,
            SRGB_LINEAR,
            np.float32(inset),
            np.float32(c0),
            np.float32(c1),
            np.float32(0.1),
            out,
        )
        want = key_reference.colour_share(coverage, refined, frame, background, inset, c0, c1, 0.1)
        np.testing.assert_allclose(out, want, atol=2e-5)
        solid_or_clear = (coverage <= 0) | (coverage >= 1)
        assert (out[solid_or_clear] == coverage[solid_or_clear]).all()
        assert out[3, 4] == 0.5


def test_unmix_kernel_by_colour_matches_numpy_twin():
    rng = np.random.default_rng(11)
    shape = (21, 25)
    alpha = rng.uniform(-0.5, 1.5, shape).clip(0, 1).astype(np.float32)
    score = rng.uniform(-1, 3, shape).astype(np.float32)
    frame = rng.integers(0, 256, shape + (3,), dtype=np.uint8)
    backdrop = rng.uniform(0, 0.5, shape + (3,)).astype(np.float32)
    c = frame / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    linear_distance = np.sqrt(((linear - backdrop) ** 2).sum(-1)).astype(np.float32)
    for reach in (1, 2):
        out = np.empty_like(alpha)
        key_kernel.unmix(
            alpha, score, np.float32(5.0), np.float32(17.0), linear_distance, reach,
            True, frame, backdrop, SRGB_LINEAR, out,
        )  # fmt: skip
        want = key_reference.unmix(alpha, score, 5.0, 17.0, linear_distance, reach, True, frame, backdrop)
        np.testing.assert_allclose(out, want, atol=1e-5)
        assert (out[alpha <= 0] == alpha[alpha <= 0]).all()


def test_unmixing_by_colour_keeps_a_solid_edge_beside_a_part_of_more_contrast():
    # A lossless picture: a subject of two colours over a grey backdrop. Its outer
    # column is a dark blue part (little contrast to the grey); the column inside it
    # alternates blue and a bright red row by row, and red fills the rest. In the top
    # rows a column of blue mixed half and half with the backdrop lies outside; in the
    # bottom rows the blue column itself borders the backdrop. By distance each solid
    # blue edge pixel takes its distance over the red beside it (well under 1); by
    # colour the blue beside it explains it: solid. The mixed column is a half.
    grey, blue, red = np.array([0.18, 0.18, 0.18]), np.array([0.05, 0.08, 0.45]), np.array([0.9, 0.1, 0.05])
    linear = np.tile(grey, (12, 12, 1))
    linear[:, 5] = blue
    linear[:, 6] = np.where((np.arange(12) % 2 == 0)[:, None], red, blue)
    linear[:, 7:] = red
    linear[:5, 4] = 0.5 * blue + 0.5 * grey
    frame = np.round(255 * np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055))
    frame = frame.astype(np.uint8)
    backdrop = np.tile(grey, (12, 12, 1)).astype(np.float32)
    seen = SRGB_LINEAR[frame]
    linear_distance = np.sqrt(((seen - backdrop) ** 2).sum(-1)).astype(np.float32)
    alpha = np.zeros((12, 12), np.float32)
    alpha[:5, 4:] = 1.0
    alpha[5:, 5:] = 1.0
    score = np.full((12, 12), 3.0, np.float32)  # past the score's upper end: the share stands
    by_colour = unmix_edge(alpha, score, 5.0, 17.0, linear_distance, 1, True, frame, backdrop)
    by_distance = unmix_edge(alpha, score, 5.0, 17.0, linear_distance, 1)
    assert np.allclose(by_colour[1:4, 4], 0.5, atol=0.02)
    assert np.allclose(by_colour[7:11, 5], 1.0)
    assert (by_distance[7:11, 5] < 0.6).all()  # what the colour mends
    assert (by_colour[:, 6:] == 1.0).all() and (by_colour[:, :4] == 0.0).all()


def test_unmixing_by_colour_keeps_the_ramp_where_no_colour_mixes_to_the_pixel():
    # a keyed pixel beside a red subject whose colour is no mix of the grey backdrop
    # and the red (a green fleck): the colour cannot tell its share; it keeps the
    # matte's own value (the score's ramp), where the distance would make it faint
    grey, red = np.array([0.18, 0.18, 0.18]), np.array([0.9, 0.1, 0.05])
    linear = np.tile(grey, (9, 9, 1))
    linear[:, 5:] = red
    linear[4, 4] = [0.15, 0.3, 0.15]
    frame = np.round(255 * np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055))
    frame = frame.astype(np.uint8)
    backdrop = np.tile(grey, (9, 9, 1)).astype(np.float32)
    linear_distance = np.sqrt(((SRGB_LINEAR[frame] - backdrop) ** 2).sum(-1)).astype(np.float32)
    alpha = np.zeros((9, 9), np.float32)
    alpha[:, 5:] = 1.0
    alpha[4, 4] = 0.8
    score = np.full((9, 9), 3.0, np.float32)
    by_colour = unmix_edge(alpha, score, 5.0, 17.0, linear_distance, 1, True, frame, backdrop)
    by_distance = unmix_edge(alpha, score, 5.0, 17.0, linear_distance, 1)
    assert by_colour[4, 4] == np.float32(0.8)
    assert by_distance[4, 4] < 0.3
