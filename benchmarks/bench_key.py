"""Keying and cropping a 1080p clip to the 42-F2, against the plain video path.

    python benchmarks/bench_key.py [--seconds 10] [--repeats 3] [--hdr] [--clip-fps 30]

The clip: the default twin rendered at 540 px, enlarged to 1080 px tall and composited
over an unevenly lit, noisy green screen in a 1920x1080 frame, H.264 (made here, in a
temporary folder). Both paths go through the export pipeline to the 3dcircle-42f2's
polar codes (ExportPlan.output_frame: decode, place, key, resample, encode):

  plain   --key none --crop fit  (today's path: the whole frame fitted into the square)
  keyed   --key auto --crop auto (matte, despill, subject fitted into the circle)

It prints frames per second of each (median of --repeats runs, frames after the plan
is made), the ratio keyed / plain, the CPU a frame takes (every thread of the process
and of its ffmpeg children, from /proc: steadier than the rate where other work shares
the cores, and 60 fps on N cores needs at most N x 16.7 ms), the first pass (analysis)
time, the whole clip's rate with the first pass counted (load, plan and every frame)
and its ratio keyed / plain (the issue's measure: both paths' whole jobs in the same
run), and the peak memory of a keyed run on the clip and on the clip four times as long
(memory stays flat when the two agree). Report `uptime` beside the figures: other work
on the machine slows both paths, the keyed one (more kernels, each waiting for its
threads) more.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, os.path.join(HERE, ".."))  # this tree's holopack, not an installed one


# --hdr: the same pictures as a phone's HLG clip (10-bit HEVC, BT.2020, tagged HLG): the
# sRGB codes are taken as the HLG signal, so its colours are not the SDR clip's, but it
# is keyed alike and every read of it runs the HDR conversion (holopack.video.hdr)
HLG_ENCODE = [
    "-vf",
    "scale=out_color_matrix=bt2020:out_range=tv",
    "-c:v",
    "libx265",
    "-pix_fmt",
    "yuv420p10le",
    "-crf",
    "18",
    "-preset",
    "ultrafast",
    "-x265-params",
    "log-level=error:colorprim=bt2020:transfer=arib-std-b67:colormatrix=bt2020nc",
    "-color_primaries",
    "bt2020",
    "-color_trc",
    "arib-std-b67",
    "-colorspace",
    "bt2020nc",
]
SDR_ENCODE = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18", "-preset", "ultrafast"]


def make_clip(path: str, frames: int, hdr: bool = False, fps: int = 30) -> None:
    import cv2
    import imageio_ffmpeg
    from _video_clips import green_background, srgb_encode, subject_frames

    subject = subject_frames(size=540, frames=min(frames, 24), seed=3, sway=60)
    background = np.repeat(np.repeat(green_background(540), 2, 0), 2, 1).astype(np.float32)
    screen = srgb_encode(background).astype(np.float32)
    rng = np.random.default_rng(0)
    noise = [rng.normal(0, 3, (1080, 1920, 3)).astype(np.float32) for _ in range(3)]
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    proc = subprocess.Popen(
        [
            exe,
            "-y",
            "-loglevel",
            "error",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            "1920x1080",
            "-r",
            str(fps),
            "-i",
            "-",
            *(HLG_ENCODE if hdr else SDR_ENCODE),
            path,
        ],
        stdin=subprocess.PIPE,
    )
    squares = []
    for linear, alpha in subject:  # composited once per subject pose (float32: quicker)
        linear = cv2.resize(linear, (1080, 1080), interpolation=cv2.INTER_LINEAR)
        alpha = cv2.resize(alpha, (1080, 1080), interpolation=cv2.INTER_LINEAR)
        squares.append(srgb_encode(linear + (1 - alpha[..., None]) * background).astype(np.float32))
    frame = np.empty((1080, 1920, 3), np.float32)
    frame[:, :420] = screen[:, :1]
    frame[:, 1500:] = screen[:, -1:]
    for i in range(frames):
        frame[:, 420:1500] = squares[i % len(squares)]
        proc.stdin.write(np.clip(frame + noise[i % 3] + 0.5, 0, 255).astype(np.uint8).tobytes())
    proc.stdin.close()
    proc.wait()


def _children_cpu() -> float:
    """Seconds of CPU (user + system) of this process's child processes (ffmpeg's
    decoders): those already waited for (getrusage) and those still there, running or
    exited and not yet waited for (/proc, where there is one). The difference of two
    readings is the children's CPU between them, whichever ended in between."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = usage.ru_utime + usage.ru_stime
    tick = os.sysconf("SC_CLK_TCK")
    me = os.getpid()
    try:
        names = os.listdir("/proc")
    except OSError:
        return total
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == me:  # its parent
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def run_path(path: str, video: dict, frames: int) -> dict:
    from holopack.pipeline import ExportPlan, ExportSettings
    from holopack.scene.load import load

    t0 = time.perf_counter()
    scene = load(path)
    plan = ExportPlan(scene, ExportSettings(device="3dcircle-42f2", **video), "bench.BIN")
    t1 = time.perf_counter()
    count = min(frames, plan.timeline.frame_count)
    plan.output_frame(0)  # compile, open the stream
    t2, cpu2, children2 = time.perf_counter(), time.process_time(), _children_cpu()
    for i in range(1, count):
        plan.output_frame(i)
    t3, cpu3, children3 = time.perf_counter(), time.process_time(), _children_cpu()
    return {
        "plan_s": t1 - t0,
        "fps": (count - 1) / (t3 - t2),
        "clip_fps": count / (t3 - t0),
        # every thread of this process and its ffmpeg: what two cores must supply a frame
        "cpu_ms": 1e3 * ((cpu3 - cpu2) + (children3 - children2)) / (count - 1),
    }


def peak_memory(path: str, frames: int) -> float:
    """MiB: peak resident memory of a child process that keys the whole clip."""
    code = (
        f"import resource,sys; sys.path.insert(0, {HERE!r}); import bench_key as b; "
        f"b.run_path({path!r}, {{'key': 'auto', 'crop': 'auto'}}, {frames:d}); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="the clip's length in seconds")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", help="write the figures as JSON")
    parser.add_argument("--hdr", action="store_true", help="the clip as a phone's HLG clip (HEVC 10-bit)")
    parser.add_argument(
        "--clip-fps",
        type=int,
        default=30,
        help="the clip's rate (the 42-F2 plays 30: a 60 fps clip shows every other frame)",
    )
    args = parser.parse_args()
    args.frames = max(2, int(round(30 * args.seconds)))  # the fan's frames (30 fps)
    clip_frames = max(2, int(round(args.clip_fps * args.seconds)))
    with tempfile.TemporaryDirectory() as folder:
        clip = os.path.join(folder, "green-1080p.mp4")
        long_clip = os.path.join(folder, "green-1080p-long.mp4")
        make_clip(clip, clip_frames, args.hdr, args.clip_fps)
        make_clip(long_clip, 4 * clip_frames, args.hdr, args.clip_fps)
        plain, keyed = [], []
        for _ in range(args.repeats):  # interleaved: same conditions
            plain.append(run_path(clip, {"key": "none", "crop": "fit"}, args.frames))
            keyed.append(run_path(clip, {"key": "auto", "crop": "auto"}, args.frames))

        def med(runs, k):
            return float(np.median([r[k] for r in runs]))

        result = {
            "plain_fps": med(plain, "fps"),
            "keyed_fps": med(keyed, "fps"),
            "ratio_keyed_over_plain": med(keyed, "fps") / med(plain, "fps"),
            "plain_cpu_ms": med(plain, "cpu_ms"),
            "keyed_cpu_ms": med(keyed, "cpu_ms"),
            "first_pass_s": med(keyed, "plan_s") - med(plain, "plan_s"),
            "plain_clip_fps": med(plain, "clip_fps"),
            "keyed_clip_fps": med(keyed, "clip_fps"),
            "clip_ratio_keyed_over_plain": med(keyed, "clip_fps") / med(plain, "clip_fps"),
            "peak_mib": peak_memory(clip, args.frames),
            "peak_mib_4x_longer": peak_memory(long_clip, 4 * args.frames),
            "frames": args.frames,
            "load_average": os.getloadavg()[0],
            "repeats": args.repeats,
            "cpus": os.cpu_count(),
            "hdr": args.hdr,
            "clip_fps": args.clip_fps,
        }
    print(
        f"1080p{args.clip_fps} green-screen clip{' (HLG)' if args.hdr else ''} -> 3dcircle-42f2, {args.frames} frames ({args.frames / 30:g} s), "
        f"median of {args.repeats}, load average {result['load_average']:.2f} on {os.cpu_count()} CPUs"
    )
    print(f"  plain (--key none --crop fit)   {result['plain_fps']:7.1f} fps")
    print(f"  keyed (--key auto --crop auto)  {result['keyed_fps']:7.1f} fps")
    print(f"  keyed / plain                   {result['ratio_keyed_over_plain']:7.2f}")
    print(
        f"  CPU a frame (with ffmpeg's)     {result['keyed_cpu_ms']:7.1f} ms keyed, "
        f"{result['plain_cpu_ms']:.1f} ms plain (60 fps on {os.cpu_count()} cores: "
        f"{1000 * (os.cpu_count() or 1) / 60:.1f} ms at most)"
    )
    print(f"  first pass (analysis)           {result['first_pass_s']:7.2f} s")
    print(
        f"  whole clip with the first pass  {result['keyed_clip_fps']:7.1f} fps keyed, "
        f"{result['plain_clip_fps']:.1f} fps plain"
    )
    print(f"  whole clip, keyed / plain       {result['clip_ratio_keyed_over_plain']:7.2f}")
    print(
        f"  peak memory: {result['peak_mib']:.0f} MiB; clip 4x longer: {result['peak_mib_4x_longer']:.0f} MiB"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
