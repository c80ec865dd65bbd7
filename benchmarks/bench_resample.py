"""Quality and speed of the area-weighted polar resampler against point sampling.

    python benchmarks/bench_resample.py [--devices 3dcircle-42f2 legacy-224 diy-apa102]
                                        [--models robot fox cesiumman] [--frames 4]
                                        [--repeats 30] [--sim-size 448] [--threads N]

Frames are real renders (holopack's renderer, through the export pipeline's
SceneSource) of the models, at each device's render size, turning on a turntable;
``--models zoneplate`` adds a synthetic zone plate (detail finer than the LEDs).

Quality: each method's LED values (linear light, no dithering) go through the viewer
simulation, and the result is compared, in sRGB over the lit disc, with the simulation
of the ideal values: the source averaged over the same LED cells (the sector each LED
sweeps in a slice). Two sources:
  finer     the same frame rendered at twice the size (4x the pixels), averaged over
            the cells: the scene as the fan should show it, which no method sees
            (the main figure: it does not favour the area average by construction)
  same      the very picture the methods sample, averaged over the cells with a table
            sampled 2.4x finer than export's (what the area method computes by design)
Methods:
  area      holopack's weight table (what export uses)
  nearest   the pixel under each LED cell's centre
  bilinear  bilinear interpolation at each cell's centre, in linear light (cv2.remap,
            the sampler behind cv2.warpPolar)
  quad      jnweiger/led-hologram-propeller's quad averaging: bilinear on the
            gamma-encoded picture at the cell centre

Speed: per-frame time of Resampler.resample against cv2.warpPolar producing the same
number of polar samples (slices x LEDs) from the same pictures (the first model's
frames), in turns of 5 calls (after one untimed call) through one loop; median of
--repeats calls each. Ours is timed twice:
given the renderer's map of lit tiles (RenderedPicture.tiles, what export does) and finding the
black tiles by reading the picture (a caller with no map: video input maps its tiles
while converting to linear light, holopack.colour_kernel). ratio = ours /
warpPolar (< 1: ours is faster). Both use all cores unless --threads is given.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Numba's OpenMP workers wait as under the holopack command: a short spin, then sleep
# (holopack.openmp); set before any parallel kernel runs
from holopack.openmp import configure as configure_openmp  # noqa: E402

configure_openmp()

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from holopack.device import Resampler, ViewerSimulator, load_profile  # noqa: E402
from holopack.device.resample_kernel import apply_weights, weight_table  # noqa: E402
from holopack.pipeline import Timeline, open_source  # noqa: E402
from holopack.scene.load import load  # noqa: E402

MODELS = {
    "robot": ROOT / "assets" / "RobotExpressive" / "RobotExpressive.glb",
    "fox": ROOT / "tests" / "data" / "Fox" / "Fox.glb",
    "cesiumman": ROOT / "tests" / "data" / "CesiumMan" / "CesiumMan.glb",
    "helmet": ROOT / "tests" / "data" / "FlightHelmet" / "FlightHelmet.gltf",
    "duck": ROOT / "tests" / "data" / "Duck" / "Duck.glb",
}


def zone_plate(size: int, count: int, detail: int | None = None) -> list[np.ndarray]:
    """Rings whose frequency rises to the Nyquist limit of a ``detail``-pixel picture at
    the rim (default: this one), drifting outwards frame by frame: detail finer than the
    LEDs, where point sampling aliases. A larger ``size`` samples the same pattern finer."""
    detail = detail or size
    c = (np.arange(size) + 0.5) - size / 2
    r2 = (c[:, None] ** 2 + c[None, :] ** 2) / (size / 2) ** 2
    out = []
    for k in range(count):
        v = 0.5 + 0.5 * np.cos(np.pi * detail / 2 * r2 + k * 0.7)
        out.append(np.ascontiguousarray(np.repeat(v[:, :, None], 3, axis=2), np.float32))
    return out


def render_frames(model: str, size: int, count: int, detail: int | None = None):
    """[(picture float32 (size, size, 3) linear, the renderer's tile map or None)]."""
    if model == "zoneplate":
        return [(p, None) for p in zone_plate(size, count, detail)]
    scene = load(str(MODELS[model]))
    animation = 0 if scene.animations else None
    length = 0.0
    if animation is not None:
        length = float(getattr(scene.animations[0], "duration", 0.0) or 0.0)
    timeline = Timeline(
        fps=float(count), frame_count=count, animation=animation, length=length, turntable=360.0 / 4
    )
    source = open_source(scene, timeline, size, supersample=1)
    frames = []
    for i in range(count):
        picture = source.picture(i)
        frames.append((np.ascontiguousarray(picture.linear_light(), np.float32), picture.tiles))
    return frames


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


METHODS = ("area", "nearest", "bilinear", "quad")
BLOCK = 5
OTHERS = METHODS[1:]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", nargs="+", default=["3dcircle-42f2", "legacy-224", "diy-apa102"])
    ap.add_argument("--models", nargs="+", default=["robot", "fox", "cesiumman"])
    ap.add_argument("--frames", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=60, help="timed calls of each")
    ap.add_argument("--sim-size", type=int, default=448)
    ap.add_argument(
        "--threads", type=int, default=0, help="threads for both Numba and OpenCV (0: their defaults)"
    )
    args = ap.parse_args(argv)
    if args.threads:
        import numba

        numba.set_num_threads(args.threads)
        cv2.setNumThreads(args.threads)

    print(
        "PSNR (dB) of the simulated fan against the ideal cell averages of a 2x finer render "
        "| gain over the best point sampler: finer, same picture"
    )
    print(
        f"{'device':15s} {'model':10s} {'area':>7s} {'nearest':>8s} {'bilinear':>8s} {'quad':>7s}"
        f" | {'finer':>6s} {'same':>6s}"
    )
    summary = []
    for device in args.devices:
        profile = load_profile(device)
        size = profile.render_size
        t0 = time.perf_counter()
        resampler = Resampler(profile, size)
        build = time.perf_counter() - t0
        fine = Resampler(profile, 2 * size)
        ideal_table = weight_table(profile, size, 48.0)
        ideal_out = np.empty(profile.codes_shape, np.float32)
        sim = ViewerSimulator(profile, args.sim_size, oversample=2)
        mx, my = cell_centres(profile, size)
        c = (np.arange(args.sim_size) + 0.5) - args.sim_size / 2
        disc = np.hypot(c[:, None], c[None, :]) < args.sim_size / 2 - 1

        def seen(values):
            return srgb(sim.render_linear(np.ascontiguousarray(values, np.float32)).copy())

        device_fine = {k: [] for k in METHODS}
        device_same = {k: [] for k in METHODS}
        timing_frames = None
        for model in args.models:
            frames = render_frames(model, size, args.frames)
            finer = render_frames(model, 2 * size, args.frames, detail=size)
            if timing_frames is None:
                timing_frames = frames
            fine_scores = {k: [] for k in METHODS}
            same_scores = {k: [] for k in METHODS}
            for (picture, _), (fine_picture, _) in zip(frames, finer):
                ideal_fine = seen(fine.resample(fine_picture))
                apply_weights(
                    ideal_table.indptr,
                    ideal_table.indices,
                    ideal_table.weights,
                    picture.reshape(-1, 3),
                    ideal_out.reshape(-1, 3),
                )
                ideal_same = seen(ideal_out)
                values = {
                    "area": resampler.resample(picture).copy(),
                    "nearest": sample_nearest(picture, mx, my),
                    "bilinear": sample_bilinear(picture, mx, my),
                    "quad": sample_quad(picture, mx, my),
                }
                for name, v in values.items():
                    view = seen(v)
                    fine_scores[name].append(psnr(view, ideal_fine, disc))
                    same_scores[name].append(psnr(view, ideal_same, disc))
            f = {k: statistics.fmean(v) for k, v in fine_scores.items()}
            m = {k: statistics.fmean(v) for k, v in same_scores.items()}
            print(
                f"{device:15s} {model:10s} {f['area']:7.2f} {f['nearest']:8.2f} {f['bilinear']:8.2f} "
                f"{f['quad']:7.2f} | {f['area'] - max(f[k] for k in OTHERS):+6.2f} "
                f"{m['area'] - max(m[k] for k in OTHERS):+6.2f}"
            )
            for k in METHODS:
                device_fine[k] += fine_scores[k]
                device_same[k] += same_scores[k]

        # speed, interleaved in one loop so all three see the same machine load
        out = np.empty(profile.codes_shape, np.float32)
        for picture, tiles in timing_frames:
            resampler.resample(picture, out, tiles)
            resampler.resample(picture, out)

        def warp(picture):
            return cv2.warpPolar(
                picture, (profile.columns, profile.slices), (size / 2, size / 2), size / 2, cv2.INTER_LINEAR
            )

        # blocks of BLOCK calls in turn, the first of each block untimed: a thread pool
        # that just handed the cores to the other library's pool is not what is measured
        sparse = resampler.table.to_scipy()  # the alternative: scipy.sparse
        given_t, scan_t, warp_t, scipy_t = [], [], [], []
        for k in range(max(1, args.repeats // BLOCK)):
            picture, tiles = timing_frames[k % len(timing_frames)]
            given_t += timed(lambda: resampler.resample(picture, out, tiles), BLOCK + 1)[1:]
            scan_t += timed(lambda: resampler.resample(picture, out), BLOCK + 1)[1:]
            warp_t += timed(lambda: warp(picture), BLOCK + 1)[1:]
            scipy_t += timed(lambda: sparse @ picture.reshape(-1, 3), BLOCK + 1)[1:]
        medians = [statistics.median(t) * 1e3 for t in (given_t, scan_t, warp_t, scipy_t)]
        area = statistics.fmean(device_fine["area"])
        other = max(statistics.fmean(device_fine[k]) for k in OTHERS)
        same_gain = statistics.fmean(device_same["area"]) - max(
            statistics.fmean(device_same[k]) for k in OTHERS
        )
        summary.append((device, area, other, same_gain, *medians, build, resampler.table.nnz))
        print(f"  {device}: weight table ready in {build:.2f} s (from the disk cache when there)")
    print()
    print(
        f"{'device':15s} {'area dB':>8s} {'best other':>10s} {'gain':>6s} {'same':>6s} | "
        f"{'ours ms':>8s} {'scan ms':>8s} {'scipy ms':>8s} {'warpPolar':>9s} {'ratio':>6s} "
        f"{'scan':>5s} | {'nnz':>9s}"
    )
    for device, area, other, same_gain, given_ms, scan_ms, warp_ms, scipy_ms, _build, nnz in summary:
        print(
            f"{device:15s} {area:8.2f} {other:10.2f} {area - other:+6.2f} {same_gain:+6.2f} | "
            f"{given_ms:8.3f} {scan_ms:8.3f} {scipy_ms:8.3f} {warp_ms:9.3f} "
            f"{given_ms / warp_ms:6.2f} {scan_ms / warp_ms:5.2f} | {nnz:9d}"
        )
    print(
        "gain: area minus the best point sampler against the finer render; same: against the "
        "picture itself. ours: with the renderer's tile map (export); scan: finding black tiles "
        "by reading the picture (a caller without a map); scipy: the same table as a scipy.sparse product. "
        "ratio = ours / warpPolar."
    )


if __name__ == "__main__":
    main()
