"""Compile CPU of chosen renderer kernels, in a fresh Numba cache, in this process.

    python benchmarks/compile_cpu.py [--shading lit|unlit|pbr] WORKER [WORKER ...]
    python benchmarks/compile_cpu.py _shade_bands_lit _raster_tiles

WORKER names a compiled claim loop of holopack.rendering.raster_kernel (``_raster_tiles``,
``_shade_bands_lit``, ``_setup_blocks``...). A one-triangle draw runs with
``work_pool.compile_only`` so that only those compile (with the renderer's own argument
types) and nothing runs. Printed: the whole draw's CPU seconds of this thread
(time.thread_time, which other load on the machine disturbs less than the wall clock)
and each kernel's own share without the kernels it compiled inside (Numba's compile
events, as profile_first_run.py). Run it once per process: the second run in one
process finds the kernels compiled. To compare two trees, run them in turns, each from
its own folder (``cd OLD && PYTHONPATH=OLD python .../compile_cpu.py ...``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # after PYTHONPATH: an older tree given there wins


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shading", default="lit", choices=("lit", "unlit", "pbr"))
    parser.add_argument("workers", nargs="+", help="raster_kernel attribute names")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="holopack-compile-cpu-") as folder:
        os.environ["NUMBA_CACHE_DIR"] = os.path.join(folder, "numba")
        os.environ["HOLOPACK_CACHE_DIR"] = os.path.join(folder, "tables")
        import numpy as np
        from compile_events import compile_listener  # beside this file
        from numba.core import event  # after NUMBA_CACHE_DIR is set: Numba reads it on import

        from holopack import work_pool
        from holopack.rendering import raster_kernel as raster
        from holopack.rendering.renderer import TILE, Renderer
        from holopack.scene.types import Material, PosedPrimitive, Primitive

        listener, totals = compile_listener(lambda dispatcher: dispatcher.py_func.__qualname__)

        corners = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.float32)
        normals = np.array([[0, 0, 1]] * 3, np.float32)
        primitive = Primitive(
            corners, normals, np.array([[0, 1, 2]], np.int32), 0, uv=[corners[:, :2].copy()]
        )
        posed = [PosedPrimitive(corners, normals, primitive)]
        workers = [getattr(raster, name) for name in args.workers]
        started = time.thread_time()
        with event.install_listener("numba:compile", listener), work_pool.compile_only(workers):
            Renderer((TILE, TILE)).draw(posed, [Material()], [], np.eye(4), np.eye(4), args.shading)
        cpu = time.thread_time() - started
    kernels = ", ".join(
        f"{name} {seconds:.2f}" for name, seconds in sorted(totals.items(), key=lambda i: -i[1])
    )
    print(f"{' '.join(args.workers)} ({args.shading}): {cpu:.2f} CPU s; per kernel: {kernels}")


if __name__ == "__main__":
    main()
