"""Where one preview UI frame's CPU goes: each part of the window's frame run alone.

Opens the real window (under ``xvfb-run -s "-screen 0 1280x720x24"``) on a model, plays
it for a second, then runs each part of a UI frame ``--repeat`` times on its own, with
glFinish after each so that the software rasteriser's threads finish their share, and
prints the process's CPU a run (all threads: ``cpu ms``), the UI thread's own
(``UI ms``) and the wall time: the whole tick at both ends of the dynamic resolution,
the live panel's draw with and without posing, the fan frame's draw (the export's frame
for the worker) and read-back, the fan view shader, the two panels' pictures, the
window's clear, the text and timeline, the swap, and the worker's resampling of a fan
frame (run here on the UI thread).

    python benchmarks/profile_preview_frame.py [twin|flighthelmet|PATH] [--repeat 30]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from scenes import SCENES  # noqa: E402  (benchmarks/ is not a package)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", nargs="?", default="twin")
    parser.add_argument("--device", default="3dcircle-42f2")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--live-panel", default="auto", choices=("auto", "gl", "numba"))
    args = parser.parse_args()

    from holopack.device import list_profiles
    from holopack.preview.window import PreviewWindow
    from holopack.scene.load import load

    path = os.fspath(SCENES.get(args.model, args.model))
    window = PreviewWindow(path, load(path), args.device, devices=list_profiles(), live_panel=args.live_panel)
    GL = window.GL
    try:
        window.wait_for_current(300)
        window.controls.playing = True
        for _ in range(60):
            window.tick()
        live = window.live
        assert live is not None, "no live render: nothing to profile"
        live.adapt = lambda *a: None  # hold the scale each run sets
        layout = window.layout
        w, h = window.framebuffer_size
        print(f"{os.path.basename(path)}, window {w}x{h}, panels {layout.render_panel.w:g} px")
        print("| part | cpu ms | UI ms | wall ms |\n|---|---|---|---|")

        def cost(label, part):
            GL.glFinish()
            c0, u0, t0 = time.process_time(), time.thread_time(), time.perf_counter()
            for _ in range(args.repeat):
                part()
                GL.glFinish()
            n = args.repeat / 1000
            c, u, t = time.process_time() - c0, time.thread_time() - u0, time.perf_counter() - t0
            print(f"| {label} | {c / n:.2f} | {u / n:.2f} | {t / n:.2f} |")

        def live_draw(pose: bool):
            live._drawn_key = None
            if pose:
                live._posed_key = None
            live.draw(window.controls, max_side=round(layout.render_panel.w))

        for scale in (0.5, 1.0):
            live.scale = scale
            cost(f"tick, live scale {scale:g}", window.tick)
            cost(f"live panel draw, scale {scale:g}", lambda: live_draw(False))
            cost(f"live panel pose + draw, scale {scale:g}", lambda: live_draw(True))
        request = window._request()

        def fan_frame():
            live._drawn_key = None
            live.draw_fan_frame(request)

        cost("fan frame draw (linear light)", fan_frame)
        cost("fan frame read-back", live.read_fan_frame)
        picture = live.read_fan_frame()
        frames = window.worker._frames
        pair = frames.fan_frame(request, picture)
        if pair.fan_cum is not None:
            fan = live.fan_drawer()
            for side in (256, 512):
                cost(f"fan view shader, {side} px", lambda: fan.show(pair.fan_cum, side))
        panels = ((layout.render_panel, live.drawer.picture), (layout.fan_panel, window._fan_picture))
        cost("two panel pictures", lambda: [window._picture(t, panel, w, h) for panel, t in panels])

        def clear():
            GL.glClear(GL.GL_COLOR_BUFFER_BIT)

        cost("window clear", clear)
        cost("timeline and text", lambda: (window._timeline(layout, w, h), window._texts(layout, w, h)))
        cost("swap", lambda: window.glfw.swap_buffers(window.window))
        cost("worker's fan frame (resample, dither, light)", lambda: frames.fan_frame(request, picture))
    finally:
        window.close()


if __name__ == "__main__":
    main()
