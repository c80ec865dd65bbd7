"""A cold first export's timeline: what each of its two processes does when.

    python benchmarks/timeline_first_run.py [--device 3dcircle-42f2] [--shading lit|unlit|pbr]
                                            [--runs 1]

Runs ``python -m holopack export`` of the default twin (one second of it) with an empty
``NUMBA_CACHE_DIR`` and table cache, as bench_first_run.py does, with a
``sitecustomize`` of its own on the path of both processes (the export and
holopack.pipeline.compile_ahead's second process): it logs, in wall-clock seconds since
the export was started, when each process started, finished importing holopack's
pipeline, each kernel's compile began and ended (Numba's compile events; nested compiles
are indented), when the export started and stopped waiting for the band shader
(``wait_for_shader``) and for the second process (``finish``), and when the first frame
was out (the export's "kernels ready" line). Each line carries the process's CPU
seconds by then. Only for reading: the hook itself costs a little time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HOOK = textwrap.dedent(
    """
    import importlib.abc, importlib.util, json, os, sys, time

    _LOG = os.environ.get("HOLOPACK_TIMELINE")


    def log(what, **more):
        cpu = time.process_time()
        with open(_LOG, "a") as f:
            f.write(json.dumps(dict(pid=os.getpid(), t=time.time(), cpu=cpu, what=what, **more)) + "\\n")


    def _numba(module):
        from numba.core import event

        depth = []

        class Listener(event.Listener):
            def on_start(self, ev):
                func = ev.data["dispatcher"].py_func
                name = f"{func.__module__.rsplit('.', 1)[-1]}.{func.__qualname__}"
                depth.append(name)
                log("compile start", name=name, depth=len(depth) - 1)

            def on_end(self, ev):
                name = depth.pop()
                log("compile end", name=name, depth=len(depth))

        event.register("numba:compile", Listener())
        log("numba imported")


    def _wrap(owner, attr, label):
        inner = getattr(owner, attr, None)
        if inner is None:  # another release's name
            return

        def wrapped(*args, **kwargs):
            log(label + " start")
            try:
                return inner(*args, **kwargs)
            finally:
                log(label + " end")

        setattr(owner, attr, wrapped)


    def _compile_ahead(module):
        _wrap(module.CompileAhead, "wait_for_shader", "wait_for_shader")
        _wrap(module.CompileAhead, "finish", "finish")
        _wrap(module, "start", "compile_ahead.start")
        _wrap(module, "compile_shader", "compile_shader")
        _wrap(module, "compile_encoder", "compile_encoder")
        _wrap(module, "compile_encoder_kernels", "compile_encoder_kernels")
        _wrap(module, "do_work", "do_work")  # the encoder's work claimed (table, resampler, quantiser)


    def _exporting(module):
        log("holopack.pipeline.exporting imported")
        _wrap(module, "load", "load model")
        _wrap(module, "ExportPlan", "ExportPlan")


    def _first_run(module):
        _wrap(module, "stop_notice", "stop_notice")


    PATCHES = {
        "numba": _numba,
        "holopack.pipeline.compile_ahead": _compile_ahead,
        "holopack.pipeline.exporting": _exporting,
        "holopack.first_run": _first_run,
    }


    class _Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name not in PATCHES:
                return None
            sys.meta_path.remove(self)
            try:
                spec = importlib.util.find_spec(name)
            finally:
                sys.meta_path.insert(0, self)
            if spec is None or spec.loader is None:
                return spec
            loader = spec.loader
            run = loader.exec_module

            def exec_module(module):
                run(module)
                PATCHES[name](module)

            loader.exec_module = exec_module
            return spec


    if _LOG:
        log("python started", argv=" ".join(sys.argv))
        sys.meta_path.insert(0, _Finder())
    """
)


def critical_path(events: list[dict], pids: dict[int, str]) -> dict[str, float]:
    """The first frame on two free cores, estimated from each process's own CPU seconds
    (which other load on the machine changes little): the export's CPU up to its wait
    for the band shader, then to its wait for the second process, then to the first
    frame; the second process starting at the export's CPU when it started, caching
    the shader after its CPU ``shader`` and ending after ``second``."""
    export = [e for e in events if pids.get(e["pid"]) == "export"]
    second = [e for e in events if pids.get(e["pid"]) == "second"]

    def cpu_of(what: str, default: float) -> float:
        return next((e["cpu"] for e in export if e["what"] == what), default)

    first = min(e["cpu"] for e in export if e["what"] == "stop_notice start")  # the first frame
    wait_start = cpu_of("wait_for_shader start", first)
    finish_start = cpu_of("finish start", first)
    spawned = second[0]["t"] if second else float("inf")
    offset = max((e["cpu"] for e in export if e["t"] <= spawned), default=0.0)
    ends = [e for e in second if e["what"] == "compile end" and e["depth"] == 0]
    shader = next((e["cpu"] for e in ends if "shade" in e["name"]), 0.0)
    total = max((e["cpu"] for e in second), default=0.0) + 0.05  # its last table writes, about
    t = max(wait_start, offset + shader) + (finish_start - wait_start)
    t = max(t, offset + total) + (first - finish_start)
    return dict(export=first, second=total, offset=offset, shader=shader, idle_estimate=t, both=first + total)


def one_run(
    device: str, shading: str | None, folder: str, run: int, root: Path = ROOT, quiet: bool = False
) -> None:
    hook = os.path.join(folder, "hook")
    os.makedirs(hook, exist_ok=True)
    with open(os.path.join(hook, "sitecustomize.py"), "w") as f:
        f.write(HOOK)
    log = os.path.join(folder, f"timeline-{run}.jsonl")
    cache = os.path.join(folder, f"numba-{run}")
    env = dict(
        os.environ,
        NUMBA_CACHE_DIR=cache,
        HOLOPACK_CACHE_DIR=cache + "-tables",
        PYTHONPATH=os.pathsep.join([hook, str(root)]),
        HOLOPACK_TIMELINE=log,
    )
    out = os.path.join(folder, "LOOP.BIN")
    cmd = [sys.executable, "-m", "holopack", "export", "--device", device, "--seconds", "1", "-o", out]
    if shading:
        cmd += ["--shading", shading]
    t0 = time.time()
    ready = None
    with subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:
            if ready is None and "kernels ready after" in line:
                ready = time.time() - t0
        code = proc.wait()
    end = time.time() - t0
    if code:
        raise SystemExit(f"export failed ({code})")
    with open(log) as f:
        events = [json.loads(line) for line in f]
    pids: dict[int, str] = {}
    for e in events:
        if e["what"] == "python started":
            # python -m's arguments, before runpy names the module: the second process has none
            pids[e["pid"]] = "second" if e["argv"] == "-m" else "export"
    print(f"run {run + 1} of {root}, load average {os.getloadavg()[0]:.1f}")
    if quiet:
        events_shown: list[dict] = []
    else:
        events_shown = sorted(events, key=lambda e: e["t"])
    open_compiles: dict[tuple[int, str, int], float] = {}
    for e in events_shown:
        t = e["t"] - t0
        role = pids.get(e["pid"], str(e["pid"]))
        what = e["what"]
        if what.startswith("compile "):
            key = (e["pid"], e["name"], e["depth"])
            indent = "  " * e["depth"]
            if what == "compile start":
                open_compiles[key] = t
                text = f"{indent}compile {e['name']}"
            else:
                text = f"{indent}  compiled {e['name']} ({t - open_compiles.pop(key, t):.2f} s)"
        else:
            text = what
        print(f"  {t:7.2f} s  {role:6s} {e['cpu']:6.2f} cpu  {text}")
    if not quiet:
        ready_s = ready if ready is not None else float("nan")
        print(f"  {ready_s:7.2f} s  export first frame out (kernels ready line)")
        print(f"  {end:7.2f} s  export exited")
    c = critical_path(events, pids)
    print(
        f"  CPU s: export {c['export']:.2f} to its first frame, second process {c['second']:.2f} "
        f"(started at the export's {c['offset']:.2f}, shader cached at its {c['shader']:.2f}), "
        f"both {c['both']:.2f}; first frame on two free cores, estimated: {c['idle_estimate']:.2f}; "
        f"wall {ready if ready is not None else float('nan'):.2f} s at load {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="3dcircle-42f2")
    parser.add_argument("--shading")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to run (another release)")
    parser.add_argument("--quiet", action="store_true", help="the summary line alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="holopack-timeline-") as folder:
        for run in range(args.runs):
            one_run(args.device, args.shading, folder, run, args.root.resolve(), args.quiet)


if __name__ == "__main__":
    main()
