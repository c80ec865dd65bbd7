"""Each kernel a Renderer calls, timed on its own: the profile_*.py scripts swap the
raster module's stage functions (and the factories that compile a pass per variant) for
wrappers that record every call's wall and CPU seconds under the stage's name."""

from __future__ import annotations

import time
from collections import defaultdict

# The raster module's stages in the order a frame runs them, and the factories that
# compile a pass per variant (factory name -> the stage its kernels are timed as).
RASTER_STAGES = (
    "transform",
    "setup_triangles",
    "clip_triangles",
    "bin_count",
    "bin_fill",
    "raster_opaque",
    "shade_visible",
    "raster_blend",
    "resolve_tiles",
)
RASTER_FACTORIES = {
    "opaque_kernel": "raster_opaque",
    "shade_kernel": "shade_visible",
    "blend_kernel": "raster_blend",
}


class StageTimes:
    """wall, cpu: stage name -> [seconds of each call since the last clear()]. The CPU
    clock is the process's (all threads) unless set to time.thread_time (one thread)."""

    def __init__(self, cpu_clock=time.process_time):
        self.wall: dict[str, list[float]] = defaultdict(list)
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.cpu_clock = cpu_clock

    def clear(self) -> None:
        self.wall.clear()
        self.cpu.clear()

    def timed(self, name, fn):
        def wrapper(*args, **kwargs):
            c0 = self.cpu_clock()
            t0 = time.perf_counter()
            out = fn(*args, **kwargs)
            self.wall[name].append(time.perf_counter() - t0)
            self.cpu[name].append(self.cpu_clock() - c0)
            return out

        return wrapper

    def wrap(self, module, stages, factories: dict[str, str]) -> dict:
        """Swap ``module``'s functions named in ``stages`` for timed ones, and its
        factories (factory name -> stage name) for ones whose kernels are timed under
        that stage's name -> the originals, for unwrap()."""
        originals = {stage: getattr(module, stage) for stage in stages if stage not in factories.values()}
        originals.update({factory: getattr(module, factory) for factory in factories})
        for name, fn in originals.items():
            if name in factories:
                setattr(module, name, self._timed_factory(factories[name], fn))
            else:
                setattr(module, name, self.timed(name, fn))
        return originals

    @staticmethod
    def unwrap(module, originals: dict) -> None:
        for name, fn in originals.items():
            setattr(module, name, fn)

    def _timed_factory(self, name, factory):
        def make(*variant):
            return self.timed(name, factory(*variant))

        return make
