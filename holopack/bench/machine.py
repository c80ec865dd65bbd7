"""What a benchmark ran on: CPU, threads, load, memory, versions."""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys
from importlib import metadata


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (platform.processor() elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Model", "cpu model", "Processor"):
                    if value.strip():
                        return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def memory_total_mib() -> float | None:
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    return None


def load_average() -> list[float]:
    try:
        return [float(v) for v in os.getloadavg()]
    except OSError:
        return []


def machine_info() -> dict:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    return {
        "cpu_model": cpu_model(),
        "logical_cpus": os.cpu_count() or 1,
        "usable_cpus": usable,
        "memory_total_mib": memory_total_mib(),
        "platform": platform.platform(),
        "load_average": load_average(),
    }


def peak_memory() -> dict:
    """Peak resident set sizes so far, MiB (ru_maxrss is KiB on Linux, bytes on macOS).

    ``process`` is this Python process over its whole life (not per run); ``children``
    the largest finished child (ffmpeg), as the kernel reports it.
    """
    scale = 1.0 / (1024.0 * 1024.0) if sys.platform == "darwin" else 1.0 / 1024.0
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale
    return {"process_peak_rss_mib": float(own), "children_peak_rss_mib": float(children)}


def numba_info() -> dict:
    import numba

    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet
        layer = None
    return {
        "threads": int(numba.get_num_threads()),
        "max_threads": int(numba.config.NUMBA_NUM_THREADS),  # type: ignore[attr-defined]  # read from the environment at import
        "threading_layer": layer,
        "env_NUMBA_NUM_THREADS": os.environ.get("NUMBA_NUM_THREADS"),
    }


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def ffmpeg_version() -> str | None:
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_version()
    except Exception:  # no ffmpeg binary: the x264 peer is then skipped too
        return None


def git_commit(path: str) -> str | None:
    """The commit of the source tree holopack runs from (with '+dirty' for local edits)."""
    try:
        head = subprocess.run(
            ["git", "-C", path, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, timeout=10
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "-C", path, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def software_info() -> dict:
    from .. import __version__

    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return {
        "python": platform.python_version(),
        "holopack": __version__,
        "holopack_commit": git_commit(here),
        "numpy": _version("numpy"),
        "numba": _version("numba"),
        "llvmlite": _version("llvmlite"),
        "scipy": _version("scipy"),
        "trimesh": _version("trimesh"),
        "opencv": _version("opencv-python-headless") or _version("opencv-python"),
        "moderngl": _version("moderngl"),
        "imageio_ffmpeg": _version("imageio-ffmpeg"),
        "ffmpeg": ffmpeg_version(),
    }
