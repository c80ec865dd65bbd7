"""The keying measures through the real crop-and-scale path, on held-out 1080p clips,
for the keyed window's ffmpeg chain and candidate replacements: one line per clip
kind, seed and chain.

    python benchmarks/held_out_window.py [--kinds green,studio,textured] [--seeds 21-24]
                                         [--frames 24] [--chains present,yuv]

The clips are made from the generators of tests/_video_clips.py (``vary=True`` looks:
the seed draws the light, the backdrop, the noise and the compression) at 1920x1080:
the subject rendered at 480 px, enlarged to 960 px, walking as far for its size as in
the test clips and set off-centre (the seed draws where, odd and even offsets alike),
so that ``--crop auto`` really crops, and every kind is an H.264 MP4 (the textured one too: only a video that ffmpeg decodes goes
through the window chain). Each clip is keyed with ``--key auto --crop auto`` into the
42-F2's 672 px square as an export does (first pass, then ffmpeg's window chain and the
keyer), once per chain, the first pass's samples converted as the window is:

  present  holopack.video.decode's chains (the whole frame to rgb24, crop, area scaling)
  yuv      the window cropped in the source's pixel format from a corner rounded down to
           4 px (chroma stays sited), converted and area-scaled to RGB in one swscale
           step (full_chroma_int, accurate_rnd), the RGB result cropped exactly
  rgbfci   the present chain with the conversion of ``yuv`` (full_chroma_int)
  yuvsplit the cropped planes apart: the luma area-scaled, the chroma bicubic to the
           window's full size then area-scaled, merged to yuv444p and converted

The truth is placed into the square by the same placement (cv2 area averaging) and
measured with tests/_matte_measures.py (IoU, true background exactly 0 in the worst
frame, spill within 3 px of the edge, edge jitter). Keying is deterministic: a
difference between chains on the same clip is the chain's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))  # this tree's holopack, not an installed one

WIDTH, HEIGHT, SUBJECT, SIZE = 1920, 1080, 960, 672
# the subject walks as far, for its size, as in the test clips (90 px of 320), so that
# the plate sees every backdrop pixel behind it (at a third of that, the studio clips
# kept the torso in the plate and keyed holes into it)
SWAY = 135


FULL_CHROMA = "accurate_rnd+full_chroma_int"
ALIGN = 4  # a crop's corner on whole chroma samples for 4:2:0, 4:2:2, 4:1:1, 4:1:0


def _aligned(win, placement):
    """-> (aligned corner's crop, its output corner): the window cropped from (x0, y0)
    rounded down to ALIGN, and where that corner lands (maybe left of the square)."""
    sc, ox, oy = placement.scale, placement.offset_x, placement.offset_y
    x0, y0 = win.x0 - win.x0 % ALIGN, win.y0 - win.y0 % ALIGN
    crop = f"crop={win.x1 - x0}:{win.y1 - y0}:{x0}:{y0}:exact=1"
    return crop, (int(round(x0 * sc + ox)), int(round(y0 * sc + oy)))


def _finish(chain, win, corner):
    w, h = win.out_x1 - win.out_x0, win.out_y1 - win.out_y0
    if corner != (win.out_x0, win.out_y0):
        chain.append(f"crop={w}:{h}:{win.out_x0 - corner[0]}:{win.out_y0 - corner[1]}:exact=1")
    chain.append(f"pad={win.size}:{win.size}:{win.out_x0}:{win.out_y0}:color=black")
    return ",".join(chain)


def yuv_window(win, placement) -> str:
    """Candidate ``yuv`` (a shrunk window of a YUV 4:2:0 clip only)."""
    assert win.resized and not win.enlarge
    crop, corner = _aligned(win, placement)
    w, h = win.out_x1 - corner[0], win.out_y1 - corner[1]
    return _finish([crop, f"scale={w}:{h}:flags=area+{FULL_CHROMA},format=rgb24"], win, corner)


def yuv_samples(step: int, size=None) -> str:
    assert size is not None
    return f"select=not(mod(n\\,{int(step)})),scale={size[0]}:{size[1]}:flags=area+{FULL_CHROMA},format=rgb24"


def _split(w, h, full_w, full_h) -> str:
    return (
        f"extractplanes=y+u+v[y][u][v];[y]scale={w}:{h}:flags=area[y2];"
        f"[u]scale={full_w}:{full_h}:flags=bicubic,scale={w}:{h}:flags=area[u2];"
        f"[v]scale={full_w}:{full_h}:flags=bicubic,scale={w}:{h}:flags=area[v2];"
        f"[y2][u2][v2]mergeplanes=0x001020:yuv444p,scale=flags={FULL_CHROMA},format=rgb24"
    )


def yuvsplit_window(win, placement) -> str:
    assert win.resized and not win.enlarge
    crop, corner = _aligned(win, placement)
    w, h = win.out_x1 - corner[0], win.out_y1 - corner[1]
    x0, y0 = win.x0 - win.x0 % ALIGN, win.y0 - win.y0 % ALIGN
    return _finish([crop + "," + _split(w, h, win.x1 - x0, win.y1 - y0)], win, corner)


def yuvsplit_samples(width: int, height: int):
    def samples(step: int, size=None) -> str:
        assert size is not None
        return f"select=not(mod(n\\,{int(step)}))," + _split(size[0], size[1], width, height)

    return samples


def rgbfci(text: str) -> str:
    """A present chain with the conversion of ``yuv``."""
    return text.replace("format=rgb24,", f"scale=flags={FULL_CHROMA},format=rgb24,")


def make_clip(kind: str, folder: str, seed: int, frames: int):
    """-> (path of a 1920x1080 H.264 clip, truth (N, 1080, 1920) float32, subject corner)."""
    import cv2
    import imageio_ffmpeg
    from _video_clips import (
        _edge_spill,
        green_background,
        srgb_encode,
        studio_background,
        subject_frames,
        textured_background,
    )

    look = np.random.default_rng(seed + 1000)
    backdrop = {
        "green": lambda: green_background(WIDTH, look),
        "studio": lambda: studio_background(WIDTH, look),
        "textured": lambda: textured_background(WIDTH, seed + 1000),
    }[kind]()[:HEIGHT].astype(np.float32)
    noise = {"green": 5.0, "studio": 1.5, "textured": 2.0}[kind] * look.uniform(0.6, 1.4)
    place = np.random.default_rng(seed + 3000)
    x_at = int(place.integers(40, WIDTH - SUBJECT - 40))  # odd and even offsets alike
    y_at = int(place.integers(0, HEIGHT - SUBJECT + 1))
    crf = {"studio": 23}.get(kind, 14) + int(np.random.default_rng(seed + 2000).integers(-3, 4))
    rng = np.random.default_rng(seed + 7)
    path = os.path.join(folder, f"{kind}-{seed}-1080p.mp4")
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "rawvideo"]
    cmd += ["-pix_fmt", "rgb24", "-s", f"{WIDTH}x{HEIGHT}", "-r", "24", "-i", "-", "-c:v", "libx264"]
    cmd += ["-pix_fmt", "yuv420p", "-crf", str(crf), "-preset", "veryfast", path]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    truth = np.zeros((frames, HEIGHT, WIDTH), np.float32)
    for i, (linear, alpha) in enumerate(subject_frames(SUBJECT // 2, frames, seed, sway=SWAY)):
        linear = cv2.resize(linear, (SUBJECT, SUBJECT), interpolation=cv2.INTER_LINEAR)
        alpha = np.clip(cv2.resize(alpha, (SUBJECT, SUBJECT), interpolation=cv2.INTER_LINEAR), 0, 1)
        alpha[alpha < 1e-3] = 0.0
        a = truth[i]
        a[y_at : y_at + SUBJECT, x_at : x_at + SUBJECT] = alpha
        picture = (1.0 - a[..., None]) * backdrop
        part = picture[y_at : y_at + SUBJECT, x_at : x_at + SUBJECT]
        if kind == "green":
            part += (
                _edge_spill(alpha)[..., None]
                * alpha[..., None]
                * 0.15
                * backdrop[y_at : y_at + SUBJECT, x_at : x_at + SUBJECT]
            )
        part += linear
        codes = srgb_encode(picture) + rng.normal(0.0, noise, picture.shape)
        proc.stdin.write(np.clip(codes + 0.5, 0, 255).astype(np.uint8).tobytes())
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit(f"{path}: ffmpeg failed")
    return path, truth, (x_at, y_at)


def key_through_window(path: str, truth: np.ndarray, chains: str):
    """Key ``path`` as an export does, with the chains named: -> (measures,
    the window)."""
    from _matte_measures import measure_frames

    import holopack
    import holopack.video.analyse as analyse_module
    from holopack.video.crop import place, window
    from holopack.video.decode import sample_filter, window_filter
    from holopack.video.options import video_options
    from holopack.video.process import FrameProcessor, processed_media

    window_chain = {
        "present": lambda win, placement: window_filter(win),
        "yuv": yuv_window,
        "yuvsplit": yuvsplit_window,
        "rgbfci": lambda win, placement: rgbfci(window_filter(win)),
    }[chains]
    analyse_module.sample_filter = {  # type: ignore[assignment]
        "present": sample_filter,
        "yuv": yuv_samples,
        "yuvsplit": yuvsplit_samples(WIDTH, HEIGHT),
        "rgbfci": lambda step, size=None: rgbfci(sample_filter(step, size)),
    }[chains]
    try:
        media = holopack.load(path).media
        processed = processed_media(media, video_options(key="auto", crop="auto"))
        processed.set_size(SIZE)
        placement = processed.placement()
        win = window(media.width, media.height, placement)
        processor = FrameProcessor(processed.model, placement)

        def frames():
            for i, frame in enumerate(media.open_filtered(window_chain(win, placement), (SIZE, SIZE))):
                out = processor.key(frame)
                yield out, processor.last_alpha.copy(), place(truth[i], placement)

        return measure_frames(frames()), win
    finally:
        analyse_module.sample_filter = sample_filter


def main() -> None:
    from held_out_keying import seed_list

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", default="green,studio,textured")
    parser.add_argument("--seeds", default="21-24")
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--chains", default="present,yuv", help="present, yuv, rgbfci, yuvsplit (in turns)")
    args = parser.parse_args()
    print(
        f"{'clip':9s} {'seed':>4s} {'chain':8s} {'IoU':>7s} {'black':>8s} {'spill':>6s} {'jitter':>7s}"
        "  window (x0, y0, x1, y1 -> square)"
    )
    for kind in args.kinds.split(","):
        for seed in seed_list(args.seeds):
            with tempfile.TemporaryDirectory() as folder:
                path, truth, corner = make_clip(kind, folder, seed, args.frames)
                order = args.chains.split(",")
                for chains in order if seed % 2 else order[::-1]:
                    start = time.perf_counter()
                    (iou, black, spill, jitter), win = key_through_window(path, truth, chains)
                    print(
                        f"{kind:9s} {seed:4d} {chains:8s} {iou:7.4f} {100 * black:7.2f}% {spill:6.2f} "
                        f"{jitter:7.4f}  {win.x0},{win.y0},{win.x1},{win.y1} -> {win.out_x0},{win.out_y0},"
                        f"{win.out_x1},{win.out_y1}  subject at {corner}  {time.perf_counter() - start:5.1f} s",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
