"""Quality and speed of the area-weighted polar resampler against point sampling.

    python benchmarks/bench_resample.py [--devices 3dcircle-42f2 legacy-224 diy-apa102]
                                        [--models robot fox cesiumman] [--frames 4]
                                        [--repeats 30] [--sim-size 448] [--threads N]

Frames are real renders (holopack's renderer, through the export pipeline's
FrameSource) of the models, at each device's render size, turning on a turntable;
``--models zoneplate`` adds a synthetic zone plate (detail finer than the LEDs).

Quality: for each method, the LED values (linear light, no dithering) go through the
viewer simulation; the result is compared, in sRGB, over the lit disc, with the
simulation of the ideal values: the source picture averaged over the same LED cells
(the sector each LED sweeps in a slice), computed with a weight table sampled 2.4x
finer than the one export uses. Methods:
  area      holopack's weight table (what export uses)
  nearest   the pixel under each LED cell's centre
  bilinear  bilinear interpolation at each cell's centre, in linear light (cv2.remap,
            the sampler behind cv2.warpPolar)
  quad      jnweiger/led-hologram-propeller's quad averaging: bilinear on the
            gamma-encoded picture at the cell centre
Two more columns compare each method's simulation with the source picture itself
(downsampled to the simulation size by area), in sRGB and in linear light: what a viewer
loses overall, display blur included. (Point samples keep more pixel-level contrast, so
they can score higher here in sRGB while they alias: moving edges crawl and flicker.)

Speed: per-frame time of Resampler.resample against cv2.warpPolar producing the same
number of polar samples (slices x LEDs) from the same picture (the first model's first
frame), interleaved in one run; median of --repeats calls each (minimum printed
too). ratio = ours / warpPolar (< 1: ours is faster). Resampler runs one thread and
skips black pixels, so its time depends on how much of the picture the subject covers;
warpPolar uses OpenCV's threads unless --threads is given.
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from holopack.device import Resampler, ViewerSimulator, load_profile  # noqa: E402
from holopack.device.resample import apply_weights, weight_table  # noqa: E402
from holopack.pipeline import FrameSource, Timeline  # noqa: E402
from holopack.scene.load import load  # noqa: E402

MODELS = {
    "robot": ROOT / "assets" / "RobotExpressive" / "RobotExpressive.glb",
    "fox": ROOT / "tests" / "data" / "Fox" / "Fox.glb",
    "cesiumman": ROOT / "tests" / "data" / "CesiumMan" / "CesiumMan.glb",
    "helmet": ROOT / "tests" / "data" / "FlightHelmet" / "FlightHelmet.gltf",
    "duck": ROOT / "tests" / "data" / "Duck" / "Duck.glb",
}


def zone_plate(size: int, count: int) -> list[np.ndarray]:
    """Rings whose frequency rises to the picture's Nyquist limit at the rim, drifting
    outwards frame by frame: detail finer than the LEDs, where point sampling aliases."""
    c = (np.arange(size) + 0.5) - size / 2
    r2 = (c[:, None] ** 2 + c[None, :] ** 2) / (size / 2) ** 2
    out = []
    for k in range(count):
        v = 0.5 + 0.5 * np.cos(np.pi * size / 2 * r2 + k * 0.7)
        out.append(np.ascontiguousarray(np.repeat(v[:, :, None], 3, axis=2), np.float32))
    return out


def render_frames(model: str, size: int, count: int) -> list[np.ndarray]:
    if model == "zoneplate":
        return zone_plate(size, count)
    scene = load(str(MODELS[model]))
    animation = 0 if scene.animations else None
    length = 0.0
    if animation is not None:
        length = float(getattr(scene.animations[0], "duration", 0.0) or 0.0)
    timeline = Timeline(fps=float(count), frame_count=count, animation=animation, length=length,
                        turntable=360.0 / 4)
    source = FrameSource(scene, timeline, size, supersample=1)
    return [np.ascontiguousarray(source.picture(i).linear_light(), np.float32) for i in range(count)]


def srgb(linear: np.ndarray) -> np.ndarray:
    v = np.clip(linear, 0.0, 1.0)
    return np.where(v <= 0.0031308, 12.92 * v, 1.055 * np.power(v, 1 / 2.4) - 0.055)


def srgb_to_linear(v: np.ndarray) -> np.ndarray:
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def cell_centres(profile, size):
    """Pixel coordinates (x, y) of each LED cell's centre, float32 (S, C) each."""
    centres, offsets = profile.column_geometry()
    scale = (size / 2.0) / profile.radius_mm
    step = profile.slice_step_rad
    s = np.arange(profile.slices)[:, None]
    phi = math.radians(profile.slice0_angle_deg) + offsets[None, :] + step * (s + 0.5)
    r = centres[None, :] * scale
    return (size / 2 + r * np.cos(phi)).astype(np.float32), (size / 2 + r * np.sin(phi)).astype(np.float32)


def sample_nearest(picture, mx, my):
    n = picture.shape[0]
    j = np.clip(np.floor(mx).astype(int), 0, n - 1)
    i = np.clip(np.floor(my).astype(int), 0, n - 1)
    return picture[i, j]


def sample_bilinear(picture, mx, my):
    # remap's pixel centres sit at integers; ours at +0.5
    return cv2.remap(picture, mx - 0.5, my - 0.5, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)


def sample_quad(picture, mx, my):
    encoded = srgb(picture).astype(np.float32)
    return srgb_to_linear(sample_bilinear(encoded, mx, my)).astype(np.float32)


def psnr(a, b, mask):
    mse = float(np.mean((a[mask] - b[mask]) ** 2))
    return float("inf") if mse == 0 else 10 * math.log10(1.0 / mse)


def timed(fn, repeats):
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", nargs="+", default=["3dcircle-42f2", "legacy-224", "diy-apa102"])
    ap.add_argument("--models", nargs="+", default=["robot", "fox", "cesiumman"])
    ap.add_argument("--frames", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--sim-size", type=int, default=448)
    ap.add_argument("--threads", type=int, default=0,
                    help="threads for both Numba and OpenCV (0: their defaults)")
    args = ap.parse_args(argv)
    if args.threads:
        import numba
        numba.set_num_threads(args.threads)
        cv2.setNumThreads(args.threads)

    print(f"{'device':15s} {'model':10s} {'area':>7s} {'nearest':>8s} {'bilinear':>8s} {'quad':>7s}"
          f"   gain(dB)  | vs source sRGB: {'area':>6s} {'best other':>10s} | linear: {'area':>6s} "
          f"{'best other':>10s}")
    summary = []
    for device in args.devices:
        profile = load_profile(device)
        size = profile.render_size
        t0 = time.perf_counter()
        resampler = Resampler(profile, size)
        build = time.perf_counter() - t0
        ideal_table = weight_table(profile, size, 48.0)
        ideal_out = np.empty(profile.codes_shape, np.float32)
        sim = ViewerSimulator(profile, args.sim_size, oversample=2)
        mx, my = cell_centres(profile, size)
        c = (np.arange(args.sim_size) + 0.5) - args.sim_size / 2
        disc = np.hypot(c[:, None], c[None, :]) < args.sim_size / 2 - 1
        device_scores = {k: [] for k in ("area", "nearest", "bilinear", "quad")}
        device_source = {k: [] for k in device_scores}
        timing_picture = None
        for model in args.models:
            frames = render_frames(model, size, args.frames)
            if timing_picture is None:
                timing_picture = frames[0]
            scores = {k: [] for k in device_scores}
            source_scores = {k: [] for k in device_scores}
            linear_scores = {k: [] for k in device_scores}
            for picture in frames:
                apply_weights(ideal_table.indptr, ideal_table.indices, ideal_table.weights,
                              picture.reshape(-1, 3), ideal_out.reshape(-1, 3))
                ideal = srgb(sim.render_linear(ideal_out).copy())
                source_linear = np.clip(cv2.resize(picture, (args.sim_size, args.sim_size),
                                                   interpolation=cv2.INTER_AREA), 0, 1)
                source = srgb(source_linear)
                values = {
                    "area": resampler.resample(picture).copy(),
                    "nearest": sample_nearest(picture, mx, my),
                    "bilinear": sample_bilinear(picture, mx, my),
                    "quad": sample_quad(picture, mx, my),
                }
                for name, v in values.items():
                    seen_linear = np.clip(sim.render_linear(np.ascontiguousarray(v, np.float32)), 0, 1)
                    seen = srgb(seen_linear)
                    scores[name].append(psnr(seen, ideal, disc))
                    source_scores[name].append(psnr(seen, source, disc))
                    linear_scores[name].append(psnr(seen_linear, source_linear, disc))
            means = {k: statistics.fmean(v) for k, v in scores.items()}
            src = {k: statistics.fmean(v) for k, v in source_scores.items()}
            best_other = max(means[k] for k in ("nearest", "bilinear", "quad"))
            best_other_src = max(src[k] for k in ("nearest", "bilinear", "quad"))
            lin = {k: statistics.fmean(v) for k, v in linear_scores.items()}
            best_other_lin = max(lin[k] for k in ("nearest", "bilinear", "quad"))
            print(f"{device:15s} {model:10s} {means['area']:7.2f} {means['nearest']:8.2f} "
                  f"{means['bilinear']:8.2f} {means['quad']:7.2f}   {means['area'] - best_other:+7.2f}"
                  f"   |                 {src['area']:6.2f} {best_other_src:10.2f} |         {lin['area']:6.2f} "
                  f"{best_other_lin:10.2f}")
            for k in device_scores:
                device_scores[k] += scores[k]
                device_source[k] += source_scores[k]

        # speed, interleaved in one loop so both see the same machine load
        picture = timing_picture
        out = np.empty(profile.codes_shape, np.float32)
        resampler.resample(picture, out)
        warp = lambda: cv2.warpPolar(picture, (profile.columns, profile.slices), (size / 2, size / 2),  # noqa: E731
                                     size / 2, cv2.INTER_LINEAR)
        ours_t, warp_t = [], []
        for _ in range(args.repeats):
            ours_t += timed(lambda: resampler.resample(picture, out), 1)
            warp_t += timed(warp, 1)
        ours_ms = statistics.median(ours_t) * 1e3
        warp_ms = statistics.median(warp_t) * 1e3
        print(f"  {device}: resample min {min(ours_t) * 1e3:.3f} ms, warpPolar min {min(warp_t) * 1e3:.3f} ms")
        area = statistics.fmean(device_scores["area"])
        other = max(statistics.fmean(device_scores[k]) for k in ("nearest", "bilinear", "quad"))
        summary.append((device, area, other, ours_ms, warp_ms, build, resampler.table.nnz))
    print()
    print(f"{'device':15s} {'area dB':>8s} {'best other':>10s} {'gain':>6s} {'ours ms':>8s} {'warpPolar ms':>12s} "
          f"{'ratio':>6s} {'table build s':>13s} {'nnz':>9s}")
    for device, area, other, ours_ms, warp_ms, build, nnz in summary:
        print(f"{device:15s} {area:8.2f} {other:10.2f} {area - other:+6.2f} {ours_ms:8.3f} {warp_ms:12.3f} "
              f"{ours_ms / warp_ms:6.2f} {build:13.2f} {nnz:9d}")


if __name__ == "__main__":
    main()
