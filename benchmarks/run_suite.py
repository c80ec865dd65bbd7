"""The benchmark suite: every scene, the triangle and size series, 1 vs 2 threads.

    python benchmarks/run_suite.py [--out benchmarks/results] [--quick] [--budget 600]

Each case is one ``holopack bench --json`` in a fresh process (so peak memory and the
Numba thread count are the case's own), to the 3D Circle 42-F2 unless said otherwise.
Writes into ``<out>/<UTC date>/``: ``README.md`` (tables, fits, the machine),
``suite.json`` (every report), ``stages.png``, ``fps_vs_triangles.png``,
``fps_vs_size.png`` and ``threads.png``. Run it on an otherwise idle machine: it
records the load average before and after, and a busy machine's figures mean little.
``--quick`` runs a few frames of each case (to try the suite, not to measure).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import scenes  # noqa: E402

from holopack.bench.machine import load_average, machine_info, software_info  # noqa: E402
from holopack.bench.stats import loglog_slope  # noqa: E402

DEVICE = "3dcircle-42f2"
TARGET_FPS = 90.0  # 3x the fan's 30 fps on 2 cores
# 1 vs 2 Numba threads under the holopack command's own OpenMP waiting (a short spin,
# then sleep: holopack.openmp); then 2 threads whose idle workers spin for libgomp's
# default time, or sleep at once, and Numba's own workqueue layer
THREAD_VARIANTS = (
    ("1 thread", {"NUMBA_NUM_THREADS": "1"}),
    ("2 threads", {"NUMBA_NUM_THREADS": "2"}),
    ("2 threads, workers spin (libgomp default)", {"NUMBA_NUM_THREADS": "2", "GOMP_SPINCOUNT": "300000"}),
    ("2 threads, workers sleep at once", {"NUMBA_NUM_THREADS": "2", "GOMP_SPINCOUNT": "0"}),
    ("2 threads, workqueue layer", {"NUMBA_NUM_THREADS": "2", "NUMBA_THREADING_LAYER": "workqueue"}),
)


def run_case(name: str, path, args: list[str], env_extra: dict | None = None, timeout: float = 300) -> dict:
    """One ``holopack bench`` in a subprocess; its report, or the error it ended with."""
    with tempfile.TemporaryDirectory(prefix="holopack-suite-") as tmp:
        out = os.path.join(tmp, "report.json")
        cmd = [
            sys.executable,
            "-m",
            "holopack.bench",
            os.fspath(path),
            "--device",
            DEVICE,
            "--json",
            out,
            "--quiet",
            *args,
        ]
        env = dict(os.environ)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        env.update(env_extra or {})
        started = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"name": name, "error": f"timed out after {timeout:.0f} s", "args": args}
        wall = time.perf_counter() - started
        case = {"name": name, "args": args, "env": env_extra or {}, "wall_s": wall}
        if proc.returncode != 0 or not os.path.exists(out):
            case["error"] = (proc.stderr or proc.stdout).strip()[-2000:]
            return case
        with open(out, encoding="utf-8") as f:
            case["report"] = json.load(f)
        return case


def plan_cases(quick: bool, series_dir: str) -> list[tuple]:
    """(group, name, path, bench args, env, x) for every case, in the order they run."""
    f = (lambda n: str(max(2, n // 10))) if quick else str
    cases = []
    for name, path in scenes.SCENES.items():
        frames = 300 if name == "twin" else 120
        extra = ["--profile", f(60)] if name == "twin" else []
        cases.append(("scenes", name, path, ["--frames", f(frames), "--warmup", f(5), *extra], {}, None))
    for label, env in THREAD_VARIANTS:
        cases.append(
            (
                "threads",
                f"twin, {label}",
                scenes.TWIN,
                ["--frames", f(120), "--warmup", f(5), "--peers", "none"],
                env,
                label,
            )
        )
    for triangles, path in scenes.triangle_series(series_dir):
        frames = 20 if triangles > 500_000 else 60
        cases.append(
            (
                "triangles",
                f"bunny {triangles:,} triangles",
                path,
                ["--frames", f(frames), "--warmup", f(3), "--peers", "render"],
                {},
                triangles,
            )
        )
    for size in scenes.SIZES:
        frames = 30 if size >= 2048 else 60
        cases.append(
            (
                "sizes",
                f"twin {size} px",
                scenes.TWIN,
                ["--size", str(size), "--frames", f(frames), "--warmup", f(3), "--peers", "render,resample"],
                {},
                size,
            )
        )
    return cases


# -- reading reports --------------------------------------------------------------------
def _run(case):
    return case["report"]["runs"][0] if "report" in case else None


def _stage(run, name):
    s = run["stages"].get(name) if run else None
    return s["median_ms"] if s else None


def _peer(run, stage):
    for row in (run or {}).get("peers", []):
        if row["stage"] == stage and row["available"]:
            return row
    return None


def _fmt(value, digits=2):
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


# -- plots ------------------------------------------------------------------------------
def plot_series(points, xlabel, title, path, x_is_size=False):
    """points: [(x, end-to-end fps, render-stage fps, OpenGL render fps or None)]."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    xs = [p[0] for p in points]
    ax.loglog(xs, [p[1] for p in points], "o-", label="holopack end to end (export loop)")
    ax.loglog(xs, [p[2] for p in points], "s--", label="holopack render stage alone")
    gl = [(p[0], p[3]) for p in points if p[3]]
    if gl:
        ax.loglog([g[0] for g in gl], [g[1] for g in gl], "^:", label="moderngl / llvmpipe render")
    ax.axhline(TARGET_FPS, color="grey", lw=0.8, ls="-.")
    ax.text(xs[0], TARGET_FPS * 1.05, f"target {TARGET_FPS:g} fps", fontsize=8, color="grey")
    ax.axhline(30.0, color="red", lw=0.8, ls="-.")
    ax.text(xs[0], 30.0 * 1.05, "real time (30 fps)", fontsize=8, color="red")
    if x_is_size:
        ax.set_xticks(xs)
        ax.set_xticklabels([f"{x}²" for x in xs])
        ax.minorticks_off()
    ax.set_xlabel(xlabel)
    ax.set_ylabel("frames per second")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_threads(one, two, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in two["stages"] if n in one["stages"]]
    a = [one["stages"][n]["median_ms"] for n in names] + [one["end_to_end"]["frame"]["median_ms"]]
    b = [two["stages"][n]["median_ms"] for n in names] + [two["end_to_end"]["frame"]["median_ms"]]
    labels = names + ["end to end"]
    fig, ax = plt.subplots(figsize=(7, 4))
    ys = range(len(labels))
    ax.barh([y - 0.2 for y in ys], a, height=0.4, label="NUMBA_NUM_THREADS=1")
    ax.barh([y + 0.2 for y in ys], b, height=0.4, label="NUMBA_NUM_THREADS=2")
    ax.set_yticks(list(ys))
    ax.set_yticklabels(labels)
    ax.invert_yaxis()
    ax.set_xlabel("ms per frame (median)")
    ax.set_title("the twin to the 42-F2: 1 vs 2 Numba threads", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# -- the write-up -----------------------------------------------------------------------
def fit_text(xs, ys, what):
    try:
        fit = loglog_slope(xs, ys)
    except ValueError as exc:
        return f"- {what}: no fit ({exc})", None
    return (
        f"- {what}: slope {fit['slope']:.2f} on log-log (R² {fit['r2']:.3f}, {fit['points']} points)"
    ), fit


def write_up(suite: dict, folder: Path) -> str:
    cases = suite["cases"]
    by_group: dict[str, list] = {}
    for case in cases:
        by_group.setdefault(case["group"], []).append(case)
    m, sw = suite["machine"], suite["software"]
    lines = [
        f"# holopack benchmark suite, {suite['date']}",
        "",
        f"- machine: {m['cpu_model']}, {m['usable_cpus']} usable of {m['logical_cpus']} logical "
        f"CPUs, {(m['memory_total_mib'] or 0) / 1024:.0f} GiB; {m['platform']}",
        f"- load average before {', '.join(f'{v:.2f}' for v in suite['load_before'])}; after "
        f"{', '.join(f'{v:.2f}' for v in suite['load_after'])}",
        f"- software: Python {sw['python']}, holopack {sw['holopack']} ({sw.get('holopack_commit')}), "
        f"numpy {sw['numpy']}, Numba {sw['numba']} (llvmlite {sw['llvmlite']}), OpenCV {sw['opencv']}, "
        f"moderngl {sw['moderngl']}, ffmpeg {sw['ffmpeg']}",
        f"- command: `{suite['command']}`; the suite took {suite['seconds']:.0f} s",
        f"- every case: `holopack bench --device {DEVICE}` in its own process; stages are medians "
        "of per-frame times after a warm-up; end-to-end fps is export's own loop (render, "
        "resample, dither, pack, write) into a temporary file, including closing it",
        "",
    ]
    twin = next((c for c in by_group.get("scenes", []) if c["name"] == "twin"), None)
    run = _run(twin) if twin else None
    if run:
        fps = run["end_to_end"]["fps"]
        total = run["stage_sum_ms"]
        worst = max(run["stages"].items(), key=lambda kv: kv[1]["median_ms"])
        verdict = "met" if fps >= TARGET_FPS else "NOT met"
        lines += [
            "## Target: the default twin to the 42-F2 at >= 90 fps end to end",
            "",
            f"**{fps:.1f} fps** end to end = {run['realtime_factor']:.2f}x real time at "
            f"{run['device_fps']:g} fps: target {verdict}. Frame median "
            f"{run['end_to_end']['frame']['median_ms']:.2f} ms; stage medians add up to "
            f"{total:.2f} ms, of which **{worst[0]} {worst[1]['median_ms']:.2f} ms "
            f"({100 * worst[1]['median_ms'] / total:.0f} %)**.",
            "",
        ]
        if fps < TARGET_FPS:
            budget = 1000.0 / TARGET_FPS
            over = [
                f"{n} {s['median_ms']:.2f} ms"
                for n, s in run["stages"].items()
                if s["median_ms"] > budget / 4
            ]
            lines += [
                f"At 90 fps a frame has {budget:.1f} ms for everything; the stages above a "
                f"quarter of that: {', '.join(over)}.",
                "",
            ]
        if run.get("profile"):
            lines += [
                "Profile of the export loop (cProfile, own time per frame; a Numba kernel is one call):",
                "",
                "| ms/frame | calls | function |",
                "|---:|---:|---|",
            ]
            for row in run["profile"][:12]:
                lines.append(f"| {row['tottime_ms_per_frame']:.2f} | {row['calls']} | `{row['function']}` |")
            lines.append("")

    lines += [
        "## Scenes (42-F2, its 672 px render size)",
        "",
        "| scene | triangles | fps end to end | x real time | animate | render | resample | "
        "dither | write (encode) | load | plan | peak RSS MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case in by_group.get("scenes", []):
        r = _run(case)
        if r is None:
            lines.append(f"| {case['name']} | failed: {case.get('error', '')[:120]} |")
            continue
        enc = r.get("write_parts", {}).get("encode")
        write = f"{_fmt(_stage(r, 'write'))} ({_fmt(enc['median_ms'] if enc else None)})"
        lines.append(
            f"| {case['name']} | {r['scene']['triangles']:,} | {r['end_to_end']['fps']:.1f} | "
            f"{r['realtime_factor']:.2f} | {_fmt(_stage(r, 'animate'))} | {_fmt(_stage(r, 'render'))} | "
            f"{_fmt(_stage(r, 'resample'))} | {_fmt(_stage(r, 'dither'))} | {write} | "
            f"{r['setup']['load']['median_ms']:.1f} | {r['setup']['plan_ms']:.0f} | "
            f"{r['memory']['process_peak_rss_mib']:.0f} |"
        )
    lines += [
        "",
        "Stage times are ms per frame (medians; p10/p90 in suite.json). write = the "
        "42-F2 writer's write(); (encode) = its bit-plane packing alone, part of write. "
        "load and plan happen once per export.",
        "",
        "### Peers, measured in the same runs",
        "",
        "| scene | stage | peer | holopack ms | peer ms | holopack / peer |",
        "|---|---|---|---:|---:|---:|",
    ]
    for case in by_group.get("scenes", []):
        for row in (_run(case) or {}).get("peers", []):
            if row["available"]:
                lines.append(
                    f"| {case['name']} | {row['stage']} | {row['peer']} ({row['backend']}) | "
                    f"{row['ours']['median_ms']:.2f} | {row['theirs']['median_ms']:.2f} | "
                    f"{_fmt(row['ratio'])} |"
                )
            else:
                lines.append(
                    f"| {case['name']} | {row['stage']} | {row['peer']} | - | - | "
                    f"not measured: {row['reason'][:80]} |"
                )
    lines += [
        "",
        "What is compared: render = llvmpipe (moderngl's EGL context, no display) drawing "
        "export's frames with the renderer's GLSL twin (the same posed triangles, camera, "
        "materials, textures, lights, shading and size), read back to memory; resample = cv2.warpPolar of the same linear picture "
        "to 512 slices x 112 LEDs (bilinear point samples; holopack averages each LED's "
        "swept area); encode = libx264 (crf 18, preset medium) encoding the same 672 px "
        "pictures, against holopack's pack stage (dither + 42-F2 write), the work that takes "
        "video encoding's place on this fan.",
        "",
        "![stages](stages.png)",
        "",
    ]

    tri = [c for c in by_group.get("triangles", []) if _run(c)]
    if tri:
        lines += [
            "## Frame time against triangles (the bunny, 672 px)",
            "",
            "| triangles | fps end to end | frame ms | render ms | OpenGL render ms | render / OpenGL | load ms |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        points = []
        for c in tri:
            r = _run(c)
            gl = _peer(r, "render")
            lines.append(
                f"| {c['x']:,} | {r['end_to_end']['fps']:.1f} | {r['end_to_end']['frame']['median_ms']:.2f} | "
                f"{_fmt(_stage(r, 'render'))} | {_fmt(gl['theirs']['median_ms'] if gl else None)} | "
                f"{_fmt(gl['ratio'] if gl else None)} | {r['setup']['load']['median_ms']:.0f} |"
            )
            points.append(
                (
                    c["x"],
                    r["end_to_end"]["fps"],
                    1000.0 / _stage(r, "render"),
                    1000.0 / gl["theirs"]["median_ms"] if gl else None,
                    r["end_to_end"]["frame"]["median_ms"],
                    _stage(r, "render"),
                )
            )
        lines.append("")
        text, _ = fit_text(
            [p[0] for p in points], [p[4] for p in points], "end-to-end frame time vs triangles"
        )
        lines.append(text)
        text, _ = fit_text([p[0] for p in points], [p[5] for p in points], "render stage time vs triangles")
        lines.append(text)
        upper = [p for p in points if p[0] >= 60_000]
        if len(upper) >= 2:
            text, _ = fit_text(
                [p[0] for p in upper], [p[5] for p in upper], "render stage time vs triangles, from 69k up"
            )
            lines.append(text)
        lines += [
            "",
            "A slope of 1 means time in proportion to triangles, 0 means independent of "
            "them; every mesh of the series covers the same pixels.",
            "",
            "![fps vs triangles](fps_vs_triangles.png)",
            "",
        ]
        plot_series(
            points,
            "triangles",
            "the bunny to the 42-F2 at 672 px: frames per second vs triangles",
            folder / "fps_vs_triangles.png",
        )

    sizes = [c for c in by_group.get("sizes", []) if _run(c)]
    if sizes:
        lines += [
            "## Frame time against picture size (the twin)",
            "",
            "| render size | pixels | fps end to end | frame ms | render ms | OpenGL ms | resample ms | "
            "warpPolar ms | plan ms |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        points = []
        for c in sizes:
            r = _run(c)
            gl, wp = _peer(r, "render"), _peer(r, "resample")
            lines.append(
                f"| {c['x']} | {c['x'] ** 2:,} | {r['end_to_end']['fps']:.1f} | "
                f"{r['end_to_end']['frame']['median_ms']:.2f} | {_fmt(_stage(r, 'render'))} | "
                f"{_fmt(gl['theirs']['median_ms'] if gl else None)} | {_fmt(_stage(r, 'resample'))} | "
                f"{_fmt(wp['theirs']['median_ms'] if wp else None)} | {r['setup']['plan_ms']:.0f} |"
            )
            points.append(
                (
                    c["x"],
                    r["end_to_end"]["fps"],
                    1000.0 / _stage(r, "render"),
                    1000.0 / gl["theirs"]["median_ms"] if gl else None,
                    r["end_to_end"]["frame"]["median_ms"],
                    _stage(r, "render"),
                    _stage(r, "resample"),
                )
            )
        lines.append("")
        px = [p[0] ** 2 for p in points]
        for idx, what in (
            (4, "end-to-end frame time vs pixels"),
            (5, "render stage time vs pixels"),
            (6, "resample stage time vs pixels"),
        ):
            text, _ = fit_text(px, [p[idx] for p in points], what)
            lines.append(text)
        lines += [
            "",
            "plan ms = building the plan once (camera fit, and the resampler's weight "
            "table, which grows with the pixels).",
            "",
            "![fps vs size](fps_vs_size.png)",
            "",
        ]
        plot_series(
            points,
            "render size (pixels)",
            "the twin to the 42-F2: frames per second vs size",
            folder / "fps_vs_size.png",
            x_is_size=True,
        )

    thr = {c["x"]: _run(c) for c in by_group.get("threads", []) if _run(c)}
    one, two = thr.get("1 thread"), thr.get("2 threads")
    if one and two:
        lines += [
            "## 1 against 2 threads (the twin, 672 px)",
            "",
            "| stage | 1 thread ms | 2 threads ms | speed-up |",
            "|---|---:|---:|---:|",
        ]
        for name in two["stages"]:
            if name in one["stages"]:
                a, b = one["stages"][name]["median_ms"], two["stages"][name]["median_ms"]
                lines.append(f"| {name} | {a:.2f} | {b:.2f} | {a / b:.2f}x |")
        a, b = one["end_to_end"]["frame"]["median_ms"], two["end_to_end"]["frame"]["median_ms"]
        lines += [f"| end to end | {a:.2f} | {b:.2f} | {a / b:.2f}x |", ""]
        lines += [
            "| variant | Numba layer | fps end to end | frame ms | animate | render | resample |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for label, r in thr.items():
            lines.append(
                f"| {label} | {r['numba']['threading_layer']} | {r['end_to_end']['fps']:.1f} | "
                f"{r['end_to_end']['frame']['median_ms']:.2f} | {_fmt(_stage(r, 'animate'))} | "
                f"{_fmt(_stage(r, 'render'))} | {_fmt(_stage(r, 'resample'))} |"
            )
        lines += [
            "",
            "Only the Numba kernels use threads. The holopack command's idle OpenMP "
            "workers spin 1000 rounds, then sleep (holopack.openmp); the variants make "
            "them spin for libgomp's default 300,000 rounds, or sleep at once; workqueue "
            "is Numba's own simple layer.",
            "",
            "![threads](threads.png)",
            "",
        ]
        plot_threads(one, two, folder / "threads.png")

    failed = [c for c in cases if "error" in c]
    if failed:
        lines += ["## Cases that failed", ""]
        lines += [f"- {c['group']} / {c['name']}: {c['error'][-300:]}" for c in failed]
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        default=str(ROOT / "benchmarks" / "results"),
        help="results folder (a dated subfolder is made in it)",
    )
    parser.add_argument("--quick", action="store_true", help="a tenth of the frames: to try the suite")
    parser.add_argument(
        "--budget", type=float, default=600.0, help="seconds; cases that would start after this are skipped"
    )
    parser.add_argument("--only", help="comma-separated groups: scenes,threads,triangles,sizes")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
    folder = Path(args.out) / date
    folder.mkdir(parents=True, exist_ok=True)
    suite = {
        "date": date,
        "machine": machine_info(),
        "software": software_info(),
        "load_before": load_average(),
        "command": " ".join(["python benchmarks/run_suite.py", *(argv or sys.argv[1:])]),
        "quick": args.quick,
        "cases": [],
    }
    groups = set(args.only.split(",")) if args.only else None
    with tempfile.TemporaryDirectory(prefix="holopack-series-") as series_dir:
        for group, name, path, bench_args, env, x in plan_cases(args.quick, series_dir):
            if groups and group not in groups:
                continue
            elapsed = time.perf_counter() - started
            if elapsed > args.budget:
                suite["cases"].append(
                    {
                        "group": group,
                        "name": name,
                        "x": x,
                        "error": f"skipped: the suite's {args.budget:.0f} s budget was spent",
                    }
                )
                continue
            case = run_case(name, path, bench_args, env)
            case.update(group=group, x=x)
            suite["cases"].append(case)
            r = _run(case)
            summary = (
                f"{r['end_to_end']['fps']:.1f} fps, frame {r['end_to_end']['frame']['median_ms']:.1f} ms"
                if r
                else "FAILED: " + case.get("error", "")[-200:]
            )
            print(f"[{time.perf_counter() - started:5.0f} s] {group:9s} {name:28s} {summary}", flush=True)
    suite["load_after"] = load_average()
    suite["seconds"] = time.perf_counter() - started
    scene_reports = [c["report"] for c in suite["cases"] if c["group"] == "scenes" and "report" in c]
    if scene_reports:
        from holopack.bench.report import plot_report

        merged = dict(scene_reports[0])
        merged["runs"] = [rep["runs"][0] for rep in scene_reports]
        plot_report(merged, str(folder / "stages.png"))
    text = write_up(suite, folder)
    (folder / "README.md").write_text(text + "\n", encoding="utf-8")
    (folder / "suite.json").write_text(json.dumps(suite, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {folder}/README.md, suite.json and plots in {suite['seconds']:.0f} s")
    return 0 if not any("error" in c for c in suite["cases"]) else 1


if __name__ == "__main__":
    sys.exit(main())
