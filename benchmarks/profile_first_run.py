"""Where a cold first export's compile time goes: CPU seconds per kernel.

    python benchmarks/profile_first_run.py [--device 3dcircle-42f2] [--seconds 1]
                                           [--shading lit|unlit|pbr] [INPUT]
    python benchmarks/profile_first_run.py --band-shader pbr [--textured] [--environment]

Runs ``holopack export`` of the default twin in this process with an empty
``NUMBA_CACHE_DIR`` and table cache, and listens to Numba's compile events: each
kernel's compile, in CPU seconds of the compiling thread (time.thread_time, so other
load on the machine counts little), without the kernels it compiled inside it (those
have their own line). The second process that compiles the band shader and builds the
weight table meanwhile (holopack.pipeline.compile_ahead) is not in these figures; bench_first_run.py times the
whole first run. ``--band-shader SHADING`` profiles that process's first job instead,
in this process: compiling the band shader of SHADING (untextured unless
``--textured``, for PBR without an environment unless ``--environment``) as
compile_ahead.compile_shader does.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _kernel_name(dispatcher) -> str:
    func = dispatcher.py_func
    return f"{func.__module__.rsplit('.', 1)[-1]}.{func.__qualname__}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="3dcircle-42f2")
    parser.add_argument("--seconds", default="1")
    parser.add_argument("--shading", help="export's --shading (default: export's own default)")
    parser.add_argument("input", nargs="?", help="a model (default: the bundled default twin)")
    parser.add_argument(
        "--band-shader", metavar="SHADING", help="profile compile_ahead's band shader instead"
    )
    parser.add_argument("--textured", action="store_true", help="with --band-shader: the textured variant")
    parser.add_argument(
        "--environment", action="store_true", help="with --band-shader: PBR's environment variant"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="holopack-profile-first-run-") as folder:
        os.environ["NUMBA_CACHE_DIR"] = os.path.join(folder, "numba")
        os.environ["HOLOPACK_CACHE_DIR"] = os.path.join(folder, "tables")
        from compile_events import compile_listener  # beside this file
        from numba.core import event  # after NUMBA_CACHE_DIR is set: Numba reads it on import

        from holopack.cli import main as holopack_main
        from holopack.pipeline import compile_ahead

        listener, totals = compile_listener(_kernel_name)

        out = os.path.join(folder, "LOOP.BIN")
        command = ["export", *([args.input] if args.input else [])]
        command += ["--device", args.device, "--seconds", args.seconds, "-o", out]
        if args.shading:
            command += ["--shading", args.shading]
        started = time.thread_time()
        wall = time.perf_counter()
        with event.install_listener("numba:compile", listener):
            if args.band_shader:
                compile_ahead.compile_shader(args.band_shader, args.textured, args.environment)
                code = 0
            else:
                code = holopack_main(command)
        cpu = time.thread_time() - started
        wall = time.perf_counter() - wall
    if code:
        raise SystemExit(code)
    compiled = sum(totals.values())
    what = f"band shader {args.band_shader}" if args.band_shader else "export"
    print(
        f"\n{what}: {cpu:.1f} CPU s on the main thread ({wall:.1f} s wall), {compiled:.1f} of them compiling"
    )
    for name, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"  {seconds:6.2f}  {name}")


if __name__ == "__main__":
    main()
