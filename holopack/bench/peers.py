"""Comparison rows: the same work done by well-known tools, measured in the same run.

- render: OpenGL on Mesa's llvmpipe (moderngl's EGL standalone context, no display),
  drawing export's frames through holopack's GL twin of its renderer
  (holopack.rendering.gl.scene: the same posed geometry, materials, textures, camera,
  lights, shading, supersampling and tone mapping) and reading the sRGB picture back to
  memory: the same work per pixel as holopack's render stage, checked by the PSNR of
  the two pictures.
- resample: ``cv2.warpPolar`` from the same linear-light float32 picture to the same
  slices x LEDs (bilinear point samples along each ray, where holopack averages the
  area each LED sweeps).
- encode: libx264 (the ffmpeg that imageio-ffmpeg ships) encoding the same rendered
  pictures at the same size, crf and preset as the MP4 writer. Against a polar format it
  is compared with holopack's pack stage (dither + the writer's write: bit layout and
  file write), the work that takes the place of video encoding on a fan; against MP4 it
  is compared with holopack's MP4 writer fed the same pictures on its own.
"""

from __future__ import annotations

import os
import tempfile
import time

import numpy as np

from .stats import ratio, summarize

PEERS = ("render", "resample", "encode")


def _unavailable(stage: str, peer: str, reason: str) -> dict:
    return {"stage": stage, "peer": peer, "available": False, "reason": reason}


def _row(stage, peer, backend, compared, ours, theirs, extra=None) -> dict:
    row = {
        "stage": stage,
        "peer": peer,
        "backend": backend,
        "available": True,
        "compared": compared,
        "ours": ours,
        "theirs": theirs,
        "ratio": ratio(ours["median_ms"], theirs["median_ms"]),
    }
    row.update(extra or {})
    return row


def measure_peers(plan, run: dict, keep: dict, settings) -> list[dict]:
    wanted = PEERS if settings.peers is None else tuple(settings.peers)
    count = max(3, int(settings.frames))
    rows = []
    if "render" in wanted:
        rows.append(_guard("render", "moderngl", lambda: render_peer(plan, run, keep, count)))
    if "resample" in wanted:
        rows.append(_guard("resample", "cv2.warpPolar", lambda: resample_peer(plan, run, keep, count)))
    if "encode" in wanted:
        rows.append(_guard("encode", "libx264", lambda: encode_peer(plan, run, keep, count)))
    return rows


def _guard(stage, peer, measure):
    """A missing or broken peer is a row that says why, never a failed benchmark."""
    try:
        return measure()
    except ImportError as exc:
        return _unavailable(stage, peer, f"not installed ({exc})")
    except Exception as exc:  # a peer's own failure (no EGL, no ffmpeg) is reported
        return _unavailable(stage, peer, f"{type(exc).__name__}: {str(exc)[:300]}")


# -- render: moderngl / llvmpipe ------------------------------------------------------
PSNR_CAP = 100.0  # dB reported for pictures that agree exactly (JSON has no infinity)


def render_peer(plan, run, keep, count: int) -> dict:
    if "render" not in run["stages"] or not keep.get("posed"):
        return _unavailable("render", "moderngl", "the input is a picture or video: nothing to render")
    if plan.source.scene.is_splats:
        return _unavailable("render", "moderngl", "the input is Gaussian splats: the GL peer draws triangles")
    from ..rendering.gl.standalone import standalone_context  # moderngl and OpenGL: only here

    source = plan.source
    renderer = source.renderer
    size, supersample = source.size, renderer.supersample
    scene = source.scene
    posed_frames = keep["posed"]
    ctx = standalone_context()
    try:
        from ..rendering.gl.scene import SceneDrawer  # imports OpenGL, after the context

        drawer = SceneDrawer()

        def draw(index, posed):
            drawer.draw(
                posed,
                scene.materials,
                scene.textures,
                source.view_at(index),
                source.camera.projection,
                (size, size),
                supersample=supersample,
                lights=source.lights_at(index),
                shading=source.shading,
                tone_mapping=source.tone_mapping,
                exposure=source.exposure,
                environment=source.environment,
            )
            return drawer.read()

        # every kept frame once, untimed: the warm-up, and the pictures compared with ours
        pictures = [draw(index, posed) for index, posed in posed_frames]
        samples = []
        for k in range(count):
            index, posed = posed_frames[k % len(posed_frames)]
            # a list of its own each time, as posing makes: the drawer uploads the vertices
            posed = list(posed)
            t0 = time.perf_counter()
            draw(index, posed)
            samples.append(time.perf_counter() - t0)
        backend = f"{ctx.info.get('GL_RENDERER', '?')} (EGL)"
        drawer.release()
    finally:
        ctx.release()
    ours_pictures = keep.get("color", [])[: len(pictures)]
    psnr = min(_psnr(p, o) for p, o in zip(pictures, ours_pictures)) if ours_pictures else None
    triangles = sum(len(np.asarray(p.primitive.indices).reshape(-1, 3)) for p in posed_frames[0][1])
    side = size * supersample
    return _row(
        "render",
        "moderngl",
        backend,
        f"the same {triangles} posed triangles, camera, materials, textures and lights at "
        f"{side}x{side} samples ({size}x{size} pixels, supersample {supersample}), "
        f"{source.shading} shading as export's (holopack's GLSL twin of its renderer), "
        "the sRGB picture read back to memory",
        run["stages"]["render"],
        summarize(samples),
        {
            "peer_threads": os.environ.get("LP_NUM_THREADS") or "llvmpipe default (one per CPU)",
            "peer_coverage": _coverage(pictures[-1]),
            "ours_coverage": _coverage(ours_pictures[-1]) if ours_pictures else None,
            "peer_shading": source.shading,
            "peer_shaders": list(drawer.shader_files()),
            "peer_psnr": psnr,
            "peer_psnr_of": f"sRGB uint8 pictures, the worst of {len(ours_pictures)} frames",
        },
    )


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two (H, W, 3) uint8 pictures, at most PSNR_CAP."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return PSNR_CAP if mse == 0.0 else min(PSNR_CAP, float(10.0 * np.log10(255.0**2 / mse)))


def _coverage(picture: np.ndarray) -> float:
    """Fraction of a (H, W, 3) picture that is not black: a check that both drew the model."""
    return float(np.count_nonzero(picture.any(axis=2))) / (picture.shape[0] * picture.shape[1])


# -- resample: cv2.warpPolar -----------------------------------------------------------
def resample_peer(plan, run, keep, count: int) -> dict:
    if "resample" not in run["stages"] or not keep.get("linear"):
        return _unavailable("resample", "cv2.warpPolar", "the output is not polar: nothing is resampled")
    import cv2

    slices, columns, _ = plan.profile.codes_shape
    pictures = [np.ascontiguousarray(p, np.float32) for p in keep["linear"]]
    size = pictures[0].shape[0]
    centre = ((size - 1) / 2.0, (size - 1) / 2.0)
    flags = cv2.INTER_LINEAR | cv2.WARP_FILL_OUTLIERS | cv2.WARP_POLAR_LINEAR

    def warp(picture):
        # rows = angles (slices), columns = radii (LEDs): the fan's (S, C, 3) layout
        return cv2.warpPolar(picture, (columns, slices), centre, size / 2.0, flags)

    for picture in pictures[:3]:
        out = warp(picture)
    samples = []
    for k in range(count):
        picture = pictures[k % len(pictures)]
        t0 = time.perf_counter()
        out = warp(picture)
        samples.append(time.perf_counter() - t0)
    assert out.shape == (slices, columns, 3)
    return _row(
        "resample",
        "cv2.warpPolar",
        f"OpenCV {cv2.__version__}",
        f"{size}x{size} float32 linear picture to {slices} slices x {columns} LEDs; "
        "bilinear point samples, where holopack averages each LED's swept area",
        run["stages"]["resample"],
        summarize(samples),
        {"peer_threads": int(cv2.getNumThreads())},
    )


# -- encode: libx264 -------------------------------------------------------------------
def _x264_settings(plan) -> tuple[int, str]:
    layout = getattr(plan.profile, "layout", None) or {}
    if plan.format.codec == "libx264":
        return int(layout.get("crf", 18)), str(layout.get("preset", "medium"))
    return 18, "medium"  # the MP4 writer's defaults


def _x264_pass(pictures, count: int, fps: float, crf: int, preset: str) -> tuple[list[float], float]:
    """Per-frame send times and the seconds from the first frame to the closed file."""
    import imageio_ffmpeg

    h, w = pictures[0].shape[:2]
    with tempfile.TemporaryDirectory(prefix="holopack-bench-x264-") as tmp:
        gen = imageio_ffmpeg.write_frames(
            os.path.join(tmp, "peer.mp4"),
            (w, h),
            fps=fps,
            codec="libx264",
            pix_fmt_in="rgb24",
            pix_fmt_out="yuv420p",
            quality=None,
            macro_block_size=2,
            output_params=["-crf", str(crf), "-preset", preset, "-f", "mp4"],
            ffmpeg_log_level="error",
        )
        gen.send(None)  # starting ffmpeg is not part of encoding
        sends = []
        start = time.perf_counter()
        for k in range(count):
            t0 = time.perf_counter()
            gen.send(pictures[k % len(pictures)])
            sends.append(time.perf_counter() - t0)
        gen.close()
        total = time.perf_counter() - start
    return sends, total


def _per_frame(total: float, count: int, sends: list[float]) -> dict:
    """x264 works behind a pipe, so a frame's cost is the whole pass over the frames;
    the spread is that of the per-frame hand-over (which waits when x264 falls behind)."""
    stats = summarize(sends)
    stats["median_ms"] = total * 1000.0 / count
    stats["mean_ms"] = stats["median_ms"]
    stats["basis"] = "whole pass / frames"
    return stats


def encode_peer(plan, run, keep, count: int) -> dict:
    import imageio_ffmpeg

    pictures = [np.ascontiguousarray(p, np.uint8) for p in keep.get("color", [])]
    if not pictures:
        return _unavailable("encode", "libx264", "no pictures were made")
    h, w = pictures[0].shape[:2]
    if h % 2 or w % 2:
        pictures = [p[: h - h % 2, : w - w % 2].copy() for p in pictures]
    crf, preset = _x264_settings(plan)
    sends, total = _x264_pass(pictures, count, plan.fps, crf, preset)
    theirs = _per_frame(total, count, sends)
    version = f"ffmpeg {imageio_ffmpeg.get_ffmpeg_version()} libx264"
    size = f"{pictures[0].shape[1]}x{pictures[0].shape[0]}"
    if plan.format.kind == "polar":
        ours_ms = sum(run["stages"][s]["median_ms"] for s in ("dither", "write") if s in run["stages"])
        ours = {
            "median_ms": ours_ms,
            "n": run["stages"]["write"]["n"],
            "basis": "sum of the dither and write stage medians",
        }
        compared = (
            f"holopack's pack stage for {plan.format.name} (dither + bit layout + file write "
            f"of {plan.profile.codes_shape[0]}x{plan.profile.codes_shape[1]} LEDs) against "
            f"x264 encoding the rendered {size} pictures (crf {crf}, preset {preset})"
        )
    elif plan.format.codec == "libx264":
        writer = plan.format.writer_class()
        with tempfile.TemporaryDirectory(prefix="holopack-bench-mp4-") as tmp:
            ours_writer = writer(os.path.join(tmp, "ours.mp4"), plan.profile, plan.fps)
            ours_sends = []
            ours_writer.write(pictures[0])  # starts ffmpeg, as the first frame of an export does
            start = time.perf_counter()
            for k in range(count):
                t0 = time.perf_counter()
                ours_writer.write(pictures[(k + 1) % len(pictures)])
                ours_sends.append(time.perf_counter() - t0)
            ours_writer.close()
            ours_total = time.perf_counter() - start
        ours = _per_frame(ours_total, count, ours_sends)
        compared = (
            f"holopack's MP4 writer fed the same {size} pictures, against ffmpeg's libx264 "
            f"called directly (crf {crf}, preset {preset})"
        )
    else:
        ours = dict(run["stages"]["write"])
        compared = (
            f"holopack's {plan.format.name} writer against x264 encoding the same {size} "
            f"pictures (crf {crf}, preset {preset})"
        )
    return _row(
        "encode",
        "libx264",
        version,
        compared,
        ours,
        theirs,
        {"peer_threads": "x264 default (frame threads per CPU)"},
    )
