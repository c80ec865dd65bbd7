"""The guided filter of the matte's edge (video/guide_kernel.py) of this tree against a
git revision's, on a keyed clip's own inputs, in turns in one process.

    python benchmarks/guide_turns.py [--rev main] [--frames 40] [--runs 5]

The clip is profile_key_frame.py's (a 1080p green-screen clip placed at 672 px for the
42-F2, made when it does not exist). Its frames are keyed once with this tree's code,
recording every call of ``guide_kernel.guide_edge``; then both filters (the revision's
compiled from its source in this process) run on each call's inputs ``--runs`` times
in turns, on one thread, timed by its CPU time. Printed: the medians of each, of the
new / old ratio of each pair with its quartiles, and how far the outputs differ.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from revision import load_average, source_at, turns_parser  # noqa: E402


def old_filter(rev: str):
    """``guide_edge`` as revision ``rev`` wrote it, compiled without a cache."""
    text = source_at(rev, "holopack/video/guide_kernel.py")
    text = text.replace("cache=True", "cache=False")
    text = text.replace("from ..kernel_cache import refresh", "refresh = lambda *args: None")
    text = text.replace("from ..", "from holopack.").replace(
        "from .key_kernel", "from holopack.video.key_kernel"
    )
    namespace = {"__file__": f"{rev}:guide_kernel.py", "__name__": "guide_turns_old"}
    exec(compile(text, namespace["__file__"], "exec"), namespace)
    return namespace["guide_edge"]


def main() -> None:
    parser = turns_parser(__doc__.splitlines()[0], frames=40, runs=5)
    args = parser.parse_args()
    import numba

    numba.set_num_threads(1)
    import bench_key
    from profile_key_frame import key_pass, placed_frames

    from holopack.video import guide_kernel

    clip = os.path.join(tempfile.gettempdir(), "profile-key-1080p.mp4")
    if not os.path.exists(clip):
        bench_key.make_clip(clip, 60)
    calls = []
    new = guide_kernel.guide_edge

    def recorded(*call):
        calls.append(tuple(a.copy() if isinstance(a, np.ndarray) else a for a in call))
        return new(*call)

    guide_kernel.guide_edge = recorded
    try:
        model, frames, make_processor = placed_frames(clip, args.frames)
        key_pass(frames, make_processor, None)
    finally:
        guide_kernel.guide_edge = new
    old = old_filter(args.rev)
    print(f"load average before: {load_average()}")
    times: dict[str, list[float]] = {"old": [], "new": []}
    ratios, differences = [], []
    for frame, alpha, edge, near, radius, eps, coef_a, coef_b, out in calls:
        outputs = {}
        for key, guide in (("old", old), ("new", new)):
            outputs[key] = out.copy()
            guide(frame, alpha, edge, near, radius, eps, coef_a, coef_b, outputs[key])
        differences.append(float(np.abs(outputs["old"] - outputs["new"]).max()))
        for _ in range(args.runs):
            for key, guide in (("old", old), ("new", new)):
                started = time.thread_time()
                guide(frame, alpha, edge, near, radius, eps, coef_a, coef_b, outputs[key])
                times[key].append(time.thread_time() - started)
            ratios.append(times["new"][-1] / times["old"][-1])
    old_ms, new_ms = (1000 * statistics.median(times[k]) for k in ("old", "new"))
    q1, q3 = np.percentile(ratios, [25, 75])
    print(
        f"old = {args.rev}'s guided filter, new = this tree's; one thread's CPU, {len(calls)} calls "
        f"x {args.runs} pairs: old {old_ms:.3f} ms, new {new_ms:.3f} ms a call, new/old "
        f"{statistics.median(ratios):.3f} (quartiles {q1:.3f}-{q3:.3f}); outputs differ by at most "
        f"{max(differences):.1e} (in {sum(d > 0 for d in differences)} of {len(calls)} calls)"
    )
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
