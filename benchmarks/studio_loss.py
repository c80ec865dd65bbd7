"""Where a keyed clip's IoU is lost: union - intersection = sum |alpha - truth|, split by
pixel class and by the subject's contrast to the backdrop.

    python benchmarks/studio_loss.py [--kinds studio] [--seeds 21-26] [--frames 36] [--size 320]
                                     [--sway 90] [--subject CesiumMan] [--floor]

The clips are made as benchmarks/held_out_keying.py makes them (tests/_video_clips.py,
``vary=True``), keyed with ``--key auto --crop fit`` as tests/_matte_measures.py keys
them. Per clip, each class's share of the union (sum max(alpha, truth)), summed over the
clip's frames:

- ``inside``: truth 1 and more than BAND_PX from any mixed pixel of the truth (false
  background inside the subject: holes and faint parts);
- ``outside``: truth 0 and more than BAND_PX from any mixed pixel (false subject);
- ``band``: the truth's mixed pixels and BAND_PX either side, split by the truth's
  value (0 outer, 1/4, 1/2, 3/4 mixed, 1 inner) into bias, |sum (alpha - truth)| over the
  class, and scatter, the rest of sum |alpha - truth| (what no per-class constant
  correction could take);
- by contrast: the same |alpha - truth| split by the subject's linear-light RGB distance
  to the backdrop at the pixel (the truth's own colours, unpremultiplied; the default
  twin's grey parts lie near the studio's grey).

``--floor`` (studio and textured clips) asks what the band's pixels allow: each is
unmixed on its own with the truth's colours, alpha = (I - B).(F - B) / |F - B|^2
clipped to [0, 1], B the backdrop the clip was made with and F the subject's own colour
at the nearest fully covered pixel (linear light; pixels whose F lies within
FLOOR_CONTRAST of B keep the matte's alpha). I is the decoded frame, then the composite
before its noise and codec. Beside them, the band set to the truth thresholded at one
half (a perfect hard edge). Each is printed as the clip's IoU with the band so replaced
and the band's |alpha - truth| as a share of the union.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

import numpy as np
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))  # this tree's holopack, not an installed one

BAND_PX = 2
CONTRAST_EDGES = (0.0, 0.01, 0.03, 0.1, np.inf)  # linear-light RGB distance of subject to backdrop
FLOOR_CONTRAST = 0.04  # --floor unmixes only where subject and backdrop differ this much


def decoded_frames(path) -> list[np.ndarray]:
    """The clip's frames as decoded, in linear light (H, W, 3) float64."""
    from _video_clips import srgb_decode

    import holopack
    from holopack.video.analyse import source_frames

    return [srgb_decode(np.asarray(f)[..., :3]) for f in source_frames(holopack.load(path).media)]


def clip_mattes(path):
    from _matte_measures import key_clip

    return [alpha for _, _, alpha in key_clip(path)]


def true_backdrop(kind: str, seed: int, size: int) -> np.ndarray | None:
    """The linear-light backdrop (H, W, 3) a held-out clip of ``kind`` was made with
    (None for a screen, whose spill changes the subject's colours, or the WebM)."""
    from _video_clips import studio_background, textured_background

    if kind == "studio":
        return studio_background(size, np.random.default_rng(seed + 1000))
    if kind == "textured":
        return textured_background(size, seed + 1000)
    return None


def true_subject(seed: int, frames: int, size: int, sway: int, subject: str | None):
    """Per frame: (the subject's straight linear colour (H, W, 3) float64, 0 where
    uncovered; its premultiplied colour; its coverage (H, W) float64)."""
    from _video_clips import subject_frames

    for linear, alpha in subject_frames(size, frames, seed, sway, subject):
        a = alpha.astype(np.float64)
        straight = np.where(a[..., None] > 0, linear / np.maximum(a, 1e-6)[..., None], 0.0)
        yield straight, linear.astype(np.float64), a


def true_contrast(
    kind: str, seed: int, frames: int, size: int, sway: int, subject: str | None
) -> list[np.ndarray]:
    """The subject's linear RGB distance to the backdrop per pixel (0 where no subject)."""
    background = true_backdrop(kind, seed, size)
    if background is None:
        return [np.zeros((size, size)) for _ in range(frames)]
    return [
        np.sqrt(((straight - background) ** 2).sum(-1)) * (a > 0)
        for straight, _, a in true_subject(seed, frames, size, sway, subject)
    ]


def band_floor(mattes, decoded, background, subject_colours) -> dict[str, float]:
    """--floor: mattes, decoded (linear (H, W, 3)) per frame; background (H, W, 3);
    subject_colours: true_subject's frames -> sums over the clip: the union, and the
    band's |alpha - truth| for the matte, the unmixing of the decoded frame and of the
    clean composite, and the truth thresholded at one half."""
    sums = dict.fromkeys(("union", "matte", "decoded", "clean", "hard"), 0.0)
    for alpha, frame, (straight, premultiplied, t) in zip(mattes, decoded, subject_colours):
        alpha = alpha.astype(np.float64)
        mixed = (t > 0) & (t < 1)
        band = ndimage.binary_dilation(mixed, iterations=BAND_PX) | mixed
        nearest = ndimage.distance_transform_edt(t < 1, return_distances=False, return_indices=True)
        subject = straight[nearest[0], nearest[1]]
        d = subject - background
        d2 = (d * d).sum(-1)
        unmixable = band & (np.sqrt(d2) > FLOOR_CONTRAST)
        clean = premultiplied + (1.0 - t[..., None]) * background

        def unmixed(picture):
            a = np.clip(((picture - background) * d).sum(-1) / np.maximum(d2, 1e-12), 0.0, 1.0)
            return np.where(unmixable, a, alpha)

        sums["union"] += np.maximum(alpha, t).sum()
        for name, a in (
            ("matte", alpha),
            ("decoded", unmixed(frame)),
            ("clean", unmixed(clean)),
            ("hard", np.where(band, (t >= 0.5).astype(np.float64), alpha)),
        ):
            sums[name] += np.abs(a - t)[band].sum()
    return sums


def print_floor(kind: str, seed: int, loss: float, f: dict[str, float]) -> None:
    """loss: the clip's sum |alpha - truth| over every pixel."""
    union = f["union"]
    rest = loss - f["matte"]
    parts = [
        f"{name} IoU {1 - (rest + f[key]) / union:.4f} (band {100 * f[key] / union:.2f}%)"
        for name, key in (
            ("the matte", "matte"),
            ("unmixed per pixel, decoded", "decoded"),
            ("before noise and codec", "clean"),
            ("a hard edge", "hard"),
        )
    ]
    print(f"  floor, {kind} seed {seed}: " + "; ".join(parts))


def decompose(mattes, truth, contrast):
    union = 0.0
    totals: dict[str, float] = {}

    def add(name, value):
        totals[name] = totals.get(name, 0.0) + float(value)

    for alpha, t, c in zip(mattes, truth, contrast):
        alpha = alpha.astype(np.float64)
        t = t.astype(np.float64)
        e = alpha - t
        union += np.maximum(alpha, t).sum()
        mixed = (t > 0) & (t < 1)
        band = ndimage.binary_dilation(mixed, iterations=BAND_PX) | mixed
        inside = (t >= 1) & ~band
        outside = (t <= 0) & ~band
        add("inside, too low", np.maximum(-e[inside], 0).sum())
        add("inside, too high", np.maximum(e[inside], 0).sum())
        add("outside, too high", np.maximum(e[outside], 0).sum())
        for name, sel in (
            ("band t=0", band & (t <= 0)),
            ("band t=1/4", band & mixed & (t < 0.375)),
            ("band t=1/2", band & mixed & (t >= 0.375) & (t < 0.625)),
            ("band t=3/4", band & mixed & (t >= 0.625)),
            ("band t=1", band & (t >= 1)),
        ):
            add(f"{name} sum", e[sel].sum())
            add(f"{name} abs", np.abs(e[sel]).sum())
            add(f"{name} n", sel.sum())
        for lo, hi in zip(CONTRAST_EDGES[:-1], CONTRAST_EDGES[1:]):
            sel_in = inside & (c >= lo) & (c < hi)
            sel_band = band & (t > 0) & (c >= lo) & (c < hi)
            add(f"contrast {lo:g}-{hi:g} inside lost", np.maximum(-e[sel_in], 0).sum())
            add(f"contrast {lo:g}-{hi:g} inside n", sel_in.sum())
            add(f"contrast {lo:g}-{hi:g} band abs", np.abs(e[sel_band]).sum())
    return union, totals


def class_loss(s: dict[str, float]) -> tuple[float, float, float]:
    """decompose's sums -> (the clip's sum |alpha - truth|, the inside's, the band's)."""
    inside = s["inside, too low"] + s["inside, too high"]
    band = sum(v for k, v in s.items() if k.startswith("band") and k.endswith(" abs"))
    return inside + s["outside, too high"] + band, inside, band


def print_clip(kind: str, seed: int, union: float, s: dict[str, float]) -> None:
    def pct(v: float) -> float:
        return 100.0 * v / union

    loss, inside, band = class_loss(s)
    mixed = [f"band t={v}" for v in ("1/4", "1/2", "3/4")]
    mixed_abs = sum(s[f"{k} abs"] for k in mixed)
    mixed_bias = sum(abs(s[f"{k} sum"]) for k in mixed)
    mixed_n = sum(s[f"{k} n"] for k in mixed)
    low = sum(
        s[f"contrast {lo:g}-{hi:g} inside lost"] for lo, hi in zip(CONTRAST_EDGES[:2], CONTRAST_EDGES[1:3])
    )
    low_n = sum(
        s[f"contrast {lo:g}-{hi:g} inside n"] for lo, hi in zip(CONTRAST_EDGES[:2], CONTRAST_EDGES[1:3])
    )
    # the IoU were a class's error gone: an alpha too low adds to the intersection, one
    # too high takes from the union (the band's errors are mostly under the truth inside
    # the half line and over it outside, so both are taken as their share of the loss)
    print(
        f"{kind} seed {seed}: IoU {1 - loss / union:.4f}, loss {pct(loss):.2f}% of the union; "
        f"without the inside's error {1 - (loss - inside) / union:.4f}, without the band's {1 - (loss - band) / union:.4f}"
    )
    print(
        f"  inside: too low {pct(s['inside, too low']):.2f}% (of it on parts within 0.03 of the backdrop "
        f"{pct(low):.2f}%, {100 * low / max(low_n, 1):.0f}% of those parts' pixels), "
        f"too high {pct(s['inside, too high']):.2f}%; outside, too high {pct(s['outside, too high']):.2f}%"
    )
    print(
        f"  band {pct(band):.2f}%: outer (truth 0) {pct(s['band t=0 abs']):.2f}% (mean +{s['band t=0 sum'] / max(s['band t=0 n'], 1):.3f}), "
        f"mixed {pct(mixed_abs):.2f}% (bias {pct(mixed_bias):.2f}%, scatter {pct(mixed_abs - mixed_bias):.2f}%; "
        f"mean {sum(s[f'{k} sum'] for k in mixed) / max(mixed_n, 1):+.3f}), "
        f"inner (truth 1) {pct(s['band t=1 abs']):.2f}% (mean {s['band t=1 sum'] / max(s['band t=1 n'], 1):+.3f})"
    )
    for name in mixed:
        total, signed, n = s[f"{name} abs"], s[f"{name} sum"], s[f"{name} n"]
        print(
            f"    {name:11s} |e| {pct(total):.2f}%: bias {pct(abs(signed)):.2f}% (mean {signed / max(n, 1):+.3f}), "
            f"scatter {pct(total - abs(signed)):.2f}%"
        )
    for lo, hi in zip(CONTRAST_EDGES[:-1], CONTRAST_EDGES[1:]):
        key = f"contrast {lo:g}-{hi:g}"
        n = s[f"{key} inside n"]
        print(
            f"    subject {lo:g}-{hi:g} from the backdrop: inside lost {pct(s[f'{key} inside lost']):.2f}% "
            f"({100 * s[f'{key} inside lost'] / max(n, 1):.1f}% of its {int(n)} px), "
            f"band |e| on the subject {pct(s[f'{key} band abs']):.2f}%"
        )


def main() -> None:
    from held_out_keying import add_clip_arguments, held_out_clip, seed_list

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_clip_arguments(parser, "studio")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="what per-pixel unmixing with the truth's colours allows (see above)",
    )
    args = parser.parse_args()
    for kind in args.kinds.split(","):
        for seed in seed_list(args.seeds):
            with tempfile.TemporaryDirectory() as folder:
                path, truth = held_out_clip(kind, folder, seed, args)
                mattes = clip_mattes(path)
                decoded = decoded_frames(path) if args.floor else None
            contrast = true_contrast(kind, seed, args.frames, args.size, args.sway, args.subject)
            union, s = decompose(mattes, truth, contrast)
            print_clip(kind, seed, union, s)
            background = true_backdrop(kind, seed, args.size)
            if decoded is not None and background is not None:
                colours = true_subject(seed, args.frames, args.size, args.sway, args.subject)
                print_floor(kind, seed, class_loss(s)[0], band_floor(mattes, decoded, background, colours))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
