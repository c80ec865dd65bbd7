"""Comparison rows: the same work done by well-known tools, measured in the same run.

- render: moderngl on Mesa's llvmpipe (an EGL standalone context, no display), drawing
  the same posed world-space triangles with the same view and projection into a frame
  buffer of the same number of samples, and reading the picture back to memory. Its
  shading is plain Lambert without textures, so it does less per pixel than holopack.
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
HERE = os.path.dirname(os.path.abspath(__file__))


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
def _shader(name: str) -> str:
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return f.read()


def render_peer(plan, run, keep, count: int) -> dict:
    if "render" not in run["stages"] or not keep.get("posed"):
        return _unavailable("render", "moderngl", "the input is a picture or video: nothing to render")
    import moderngl

    source = plan.source
    renderer = source.renderer
    width, height = renderer._w, renderer._h  # the samples holopack rasterizes, supersampled
    scene = source.scene
    posed_frames = keep["posed"]
    first = posed_frames[0][1]
    colors = []
    for p in first:
        material = p.primitive.material
        if 0 <= material < len(scene.materials):
            base = np.asarray(scene.materials[material].base_color_factor, np.float32)[:4]
        else:
            base = np.ones(4, np.float32)
        colors.append(np.broadcast_to(base, (len(p.positions), 4)))
    counts = [len(p.positions) for p in first]
    offsets = np.concatenate([[0], np.cumsum(counts)])
    indices = np.concatenate(
        [np.asarray(p.primitive.indices, np.int64).reshape(-1, 3) + o for p, o in zip(first, offsets[:-1])]
    ).astype(np.uint32)
    n = int(offsets[-1])
    # moderngl's stubs type every **settings value as a dict; backend takes a str
    ctx = moderngl.create_standalone_context(backend="egl")  # type: ignore[arg-type]
    try:
        program = ctx.program(
            vertex_shader=_shader("peer_render.vert"), fragment_shader=_shader("peer_render.frag")
        )
        geometry = np.empty((n, 6), np.float32)
        vbo = ctx.buffer(reserve=geometry.nbytes, dynamic=True)
        cbo = ctx.buffer(np.ascontiguousarray(np.concatenate(colors), np.float32).tobytes())
        ibo = ctx.buffer(indices.tobytes())
        vao = ctx.vertex_array(
            program,
            [(vbo, "3f 3f", "in_position", "in_normal"), (cbo, "4f", "in_color")],
            index_buffer=ibo,
            index_element_size=4,
        )
        fbo = ctx.simple_framebuffer((width, height), components=3)
        projection = np.asarray(source.camera.projection, np.float32)

        def draw(index, posed):
            offset = 0
            for p in posed:
                k = len(p.positions)
                geometry[offset : offset + k, :3] = p.positions
                geometry[offset : offset + k, 3:] = p.normals
                offset += k
            vbo.write(geometry)
            program["view"].write(np.asarray(source.view_at(index), np.float32).T.tobytes())
            program["projection"].write(projection.T.tobytes())
            fbo.use()
            ctx.enable(moderngl.DEPTH_TEST)
            ctx.clear(0.0, 0.0, 0.0, 1.0, depth=1.0)
            vao.render(moderngl.TRIANGLES)
            pixels = np.frombuffer(fbo.read(components=3, alignment=1), np.uint8)
            return pixels.reshape(height, width, 3)

        for k in range(min(3, len(posed_frames))):
            picture = draw(*posed_frames[k])
        samples = []
        for k in range(count):
            index, posed = posed_frames[k % len(posed_frames)]
            t0 = time.perf_counter()
            picture = draw(index, posed)
            samples.append(time.perf_counter() - t0)
        covered = _coverage(picture)
        last = (count - 1) % len(posed_frames)
        ours_covered = _coverage(keep["color"][last]) if last < len(keep.get("color", [])) else None
        backend = f"{ctx.info.get('GL_RENDERER', '?')} (EGL)"
        release: list[moderngl.VertexArray | moderngl.Buffer | moderngl.Framebuffer | moderngl.Program]
        release = [vao, vbo, cbo, ibo, fbo, program]
        for obj in release:
            obj.release()
    finally:
        ctx.release()
    return _row(
        "render",
        "moderngl",
        backend,
        f"the same {indices.shape[0]} posed triangles and camera at {width}x{height} "
        "samples, Lambert shading without textures, picture read back to memory",
        run["stages"]["render"],
        summarize(samples),
        {
            "peer_threads": os.environ.get("LP_NUM_THREADS") or "llvmpipe default (one per CPU)",
            "peer_coverage": covered,
            "ours_coverage": ours_covered,
        },
    )


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
