"""What a worker must share with the client for its output to be byte-identical.

The same holopack (the renderer, resampler, dither and file writers), the same Numba
(the kernels' floating-point code) and the same NumPy (the array code between the
kernels: its sums, its resampling and its rounding), on the same Python (tasks travel
pickled).
"""

from __future__ import annotations

import platform


def local_versions() -> dict:
    """{"holopack", "numba", "numpy", "python"} of this process (a worker calls it
    through Dask)."""
    import numba
    import numpy

    import holopack

    return {
        "holopack": holopack.__version__,
        "numba": numba.__version__,
        "numpy": numpy.__version__,
        "python": ".".join(platform.python_version_tuple()[:2]),
    }


def difference(worker: dict, client: dict) -> str | None:
    """Why a worker with versions ``worker`` cannot serve this client, or None."""
    names = {"holopack": "holopack", "numba": "Numba", "numpy": "NumPy", "python": "Python"}
    wrong = [
        f"{names[k]} {worker.get(k)} (this client: {client[k]})" for k in names if worker.get(k) != client[k]
    ]
    return ", ".join(wrong) if wrong else None
