"""Probe a video with the ffmpeg that imageio-ffmpeg ships (it has no ffprobe).

``ffmpeg -i FILE`` prints the stream description on stderr; the frame count comes from
decoding every frame (imageio_ffmpeg.count_frames_and_secs), not from the container.
"""

from __future__ import annotations

import re
import subprocess

import imageio_ffmpeg
import numpy as np


def probe(path) -> dict:
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    text = subprocess.run([exe, "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    line = next(l for l in text.splitlines() if "Video:" in l)
    codec = re.search(r"Video: (\w+)", line).group(1)
    pix_fmt = re.search(r"Video: \w+[^,]*, (\w+)", line).group(1)
    width, height = map(int, re.search(r", (\d+)x(\d+)", line).groups())
    fps = float(re.search(r"([\d.]+) fps", line).group(1))
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    return {
        "codec": codec,
        "pix_fmt": pix_fmt,
        "width": width,
        "height": height,
        "fps": fps,
        "frames": frames,
    }


def read_frames(path) -> list[np.ndarray]:
    gen = imageio_ffmpeg.read_frames(str(path))
    meta = next(gen)
    w, h = meta["size"]
    return [np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in gen]


def write_video(path, frames, fps=10):
    h, w = frames[0].shape[:2]
    gen = imageio_ffmpeg.write_frames(
        str(path), (w, h), fps=fps, macro_block_size=2, output_params=["-crf", "10"]
    )
    gen.send(None)
    for f in frames:
        gen.send(np.ascontiguousarray(f))
    gen.close()
