"""What every harness shares: Numba kernels compiled outside the instrumentation, a
scratch folder, and the rule that only holopack's own errors are expected.

Any exception other than HolopackError (InputError, OutputError) is a crash: atheris
stops and saves the input. Run a harness with its seed corpus as the second folder, so
that new inputs go to a scratch folder and the seeds stay as committed::

    python fuzz/fuzz_profile.py -max_total_time=1800 -timeout=30 -rss_limit_mb=2048 \\
        /tmp/corpus-profile fuzz/corpus/profile
"""

from __future__ import annotations

import os
import tempfile

import atheris

# Numba kernels must stay uninstrumented (Numba cannot compile atheris' probes)
import holopack.animate.skin_kernel  # noqa: F401
import holopack.rendering.raster_kernel  # noqa: F401

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SCRATCH = tempfile.mkdtemp(prefix="holopack-fuzz-")


def instrument():
    """Context manager instrumenting holopack modules imported inside it."""
    return atheris.instrument_imports(include=["holopack"])


def scratch_file(name: str, data: bytes) -> str:
    """Write ``data`` to ``name`` in the scratch folder; return its path."""
    path = os.path.join(SCRATCH, name)
    with open(path, "wb") as f:
        f.write(data)
    return path
