"""A cold first export compiles the device's kernels in a second process meanwhile.

Numba compiles on one thread. A cold first export (no kernel cache yet: the first-run
notice is showing) compiles the renderer's kernels, the bulk of the wait, and then the
device's: the polar weight table (its kernel, and the table itself), the resampler and
the quantiser. On a machine with two or more cores a second process shares that work:
it compiles the job's band shader (the renderer's biggest kernel) and then builds the
weight table, into Numba's shared on-disk cache and holopack's table cache, while this
process compiles the other render kernels. The second process is started with the
command (holopack.first_run.start_ahead), before this one imports the pipeline and
loads the model, so its own imports overlap this one's; ``start`` hands it its job as soon as the export
knows it, before the frame source compiles anything (it waited 2.9 CPU s of the
export's for it before). This process reaches the shader after its other render
kernels: there it waits until the second process has cached it (``wait_for_shader``)
and loads it, rather than compile it too (on a busy machine the two compiles would
share one core).

The encoder's share is three pieces of work (``ENCODER_WORK``): the weight table (its
kernel and the table itself, the longest), the resampler and the quantiser (compiled on
a one-row table and one black frame: their types depend on neither). Each is done by
whichever process comes to it first, which claims it with a file beside the job's
others (``CompileAhead.claim``, an exclusive create). The second process takes them in
turn once its shader is cached; this process takes them while it would otherwise wait
for the shader, and again before the first frame is encoded. So neither process waits
idle while the other has work left: with the work split up front, this process waited
for the second 0.4-1.4 s at the first frame, or compiled the resampler and quantiser
alone (1 s) while the second process had ended 2 s before
(benchmarks/timeline_first_run.py). ``CompileAhead.finish`` then waits for the second
process to end (so for the work it claimed). Anything that goes wrong in the second
process only costs the time it would have saved: this process compiles whatever it finds
missing, as it always did.

    python -m holopack.pipeline.compile_ahead   (imports, then reads a pickled (profile,
                                                 size, shader, flag, claims) on stdin, or
                                                 nothing: no job; creates the file flag once
                                                 the shader is cached)
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import time
from typing import NoReturn

import numpy as np

from .. import work_pool
from ..device.dither import Ditherer
from ..device.encode import quantise_codes
from ..device.resample_kernel import WeightTable, sum_tiles, tiled_table, weight_table
from ..first_run import AHEAD_MODULE, take_ahead
from ..rendering import raster_kernel as raster
from ..rendering.environment import Environment
from ..rendering.renderer import TILE, Renderer
from ..rendering.shading import SHADING_MODES
from ..scene.types import Material, PosedPrimitive, Primitive, Texture

WAIT_SECONDS = 120.0  # longer than any compile; after that the export goes on alone
POLL_SECONDS = 0.02  # how often wait_for_shader looks for the flag file
# the encoder's share, in the order the second process takes it (the longest first)
TABLE, RESAMPLER, QUANTISER = "table", "resampler", "quantiser"
ENCODER_WORK = (TABLE, RESAMPLER, QUANTISER)


class CompileAhead:
    """The second process; ``finish()`` waits for it (once). ``claims``: the path that
    the files claiming the encoder's work (``claim``) begin with."""

    def __init__(self, process: subprocess.Popen, flag: str | None, claims: str):
        self.process: subprocess.Popen | None = process
        self.flag = flag  # created by the second process once the band shader is cached
        self.claims = claims
        self._waited = flag is None

    def wait_for_shader(self) -> None:
        """Return once the second process has cached the band shader, or has ended
        without it, or after WAIT_SECONDS; then this process loads it from the cache (or
        compiles it, having lost nothing but the wait)."""
        if self._waited or self.flag is None:
            return
        self._waited = True
        deadline = time.monotonic() + WAIT_SECONDS
        while not os.path.exists(self.flag):
            process = self.process
            if process is None or process.poll() is not None or time.monotonic() > deadline:
                return
            time.sleep(POLL_SECONDS)

    def shader_pending(self) -> bool:
        """Whether the second process is still compiling the band shader."""
        process = self.process
        return (
            not self._waited
            and self.flag is not None
            and not os.path.exists(self.flag)
            and process is not None
            and process.poll() is None
        )

    def claim(self, work: str) -> bool:
        """Take ``work`` (one of ENCODER_WORK) for this process: True when no process
        has taken it yet; the second process then leaves it alone. Once the second
        process has ended (``finish``, ``stop``), everything left is this process's."""
        return self.process is None or claim(self.claims, work)

    def do_unclaimed(self, profile, render_size: int, while_shader_pending: bool = False) -> None:
        """Claim and do the encoder's work that no process has taken, in turn; with
        ``while_shader_pending``, only while the second process still compiles the
        band shader (this process needs the shader next)."""
        for work in ENCODER_WORK:
            if while_shader_pending and not self.shader_pending():
                return
            if self.claim(work):
                do_work(work, profile, render_size)

    def finish(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            try:
                process.wait(timeout=WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._remove_files()

    def stop(self) -> None:
        """End the second process now if it still runs (the export stopped early)."""
        process, self.process = self.process, None
        if process is not None:
            process.kill()
            process.wait()
        self._remove_files()

    def _remove_files(self) -> None:
        """The flag file and the claims, once the second process has ended (it cannot
        make them again)."""
        flag, self.flag = self.flag, None
        self._waited = True
        paths = [self.claims + "." + work for work in ENCODER_WORK]
        for path in paths if flag is None else [flag] + paths:
            try:
                os.remove(path)
            except OSError:
                pass


def claim(claims: str, work: str) -> bool:
    """Create the file claiming ``work`` beside ``claims``; False if it exists (another
    process took the work first)."""
    try:
        with open(claims + "." + work, "x"):
            pass
    except FileExistsError:
        return False
    except OSError:  # no claim can be made there: do it (the other process may too; same result)
        return True
    return True


def start(profile, render_size: int, shader: tuple[str, bool, bool] | None = None) -> CompileAhead | None:
    """Share a cold export's compiling with a second process: it compiles the band
    shader of ``shader`` = (shading, textured, environment) first when given, then does
    the encoder's work for ``profile`` at ``render_size`` px that this process has not
    claimed (ENCODER_WORK; none for a ``profile`` of None: a wall's fans have encoders
    of their own); in the process start_ahead started if there is one, else in a new
    one. None where that would not help (a single core) or cannot start."""
    if (os.cpu_count() or 1) < 2:
        return None
    handle, claims = tempfile.mkstemp(prefix="holopack-ahead-")
    os.close(handle)
    os.remove(claims)  # a unique name: the claims and the flag begin with it
    flag = claims + ".ready" if shader is not None else None  # the second process creates it
    process = take_ahead()  # started when the export began, and imported meanwhile
    try:
        if process is None:
            process = subprocess.Popen(
                [sys.executable, "-m", AHEAD_MODULE],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        assert process.stdin is not None
        process.stdin.write(pickle.dumps((profile, int(render_size), shader, flag, claims)))
        process.stdin.close()
    except (OSError, pickle.PicklingError):
        if process is not None:
            process.kill()
            process.wait()
        return None
    return CompileAhead(process, flag, claims)


def do_work(work: str, profile, render_size: int) -> None:
    """One piece of the encoder's work (ENCODER_WORK)."""
    if work == TABLE:
        compile_table(profile, render_size)
    elif work == RESAMPLER:
        compile_resampler()
    else:
        compile_quantiser(profile)


def compile_table(profile, render_size: int) -> None:
    """Build (and cache) the weight table, compiling its kernel: the second process's
    share of the encoder."""
    weight_table(profile, render_size)


def compile_resampler() -> None:
    """Compile the resampler's kernel: it runs a one-row table over one black tile
    (its argument types do not depend on the table's size or the device)."""
    table = WeightTable(1, 1, TILE, np.array([0, 1], np.int64), np.zeros(1, np.int32), np.ones(1, np.float32))
    out = np.empty(3, np.float32)
    sum_tiles(tiled_table(table, TILE), np.ones(1, np.bool_), np.zeros(TILE * TILE * 3, np.float32), out)


def compile_quantiser(profile) -> None:
    """Compile the quantiser's kernel on one black frame of ``profile``'s codes."""
    linear = np.zeros(profile.codes_shape, np.float32)
    quantise_codes(profile, Ditherer(profile), linear, 0, None)


def compile_shader(shading: str, textured: bool, environment: bool = False) -> None:
    """Compile the band shader that a draw with ``shading`` ("lit", "unlit", "pbr") of
    textured or untextured materials (and for "pbr", with or without an environment)
    runs, for exactly the argument types the renderer passes it, without running
    anything: the renderer draws one triangle while the work pool only compiles
    (work_pool.compile_only)."""
    material = Material()
    textures = []
    if textured:
        textures.append(Texture(np.zeros((1, 1, 4), np.uint8)))
        material.base_color_texture = 0
    corners = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.float32)
    normals = np.array([[0, 0, 1]] * 3, np.float32)
    primitive = Primitive(corners, normals, np.array([[0, 1, 2]], np.int32), 0, uv=[corners[:, :2].copy()])
    posed = [PosedPrimitive(corners, normals, primitive)]
    mode = SHADING_MODES[shading]
    # any environment gives the kernels the same argument types: a dark one, not the
    # studio's (whose prefiltering takes half a second)
    dark = None
    if environment:
        dark = Environment(
            np.zeros((9, 3)), np.zeros((1, 1, 1, 3), np.float32), np.zeros((2, 2, 2), np.float32)
        )
    with work_pool.compile_only([raster.band_shader(mode, textured, environment)]):
        Renderer((TILE, TILE)).draw(
            posed, [material], textures, np.eye(4), np.eye(4), shading, environment=dark
        )


def _done() -> NoReturn:
    """End the second process at once, without the interpreter's teardown: the export
    waits for this process to end (CompileAhead.finish), and tearing down an
    interpreter that has compiled with Numba took 0.47-0.59 s (a warm cache: shader and
    encoder kernels loaded) and 0.86 s after a cold compile (the export's finish on
    benchmarks/timeline_first_run.py), against 0.03 s for this. Nothing is left to
    write: Numba's cache files and the weight table are written (and renamed into
    place) before the call that made them returns."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    job = sys.stdin.buffer.read()  # imported already: started before the export knows its job
    if not job:  # the export needed none (or stopped before)
        _done()
    profile, size, shader, flag, claims = pickle.loads(job)
    if shader is not None:
        compile_shader(*shader)
        with open(flag, "x"):
            pass
    for work in ENCODER_WORK if profile is not None else ():
        if claim(claims, work):
            do_work(work, profile, size)
    _done()
