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
share one core). If it gets there first, it builds the weight table meanwhile (the
longer half of the encoder's share: its kernel and the table), which it claims
(``claim_table``); the second process then compiles the resampler and quantiser
after its shader (``compile_encoder_kernels``, on a one-row table: their types do
not depend on the table's size). Otherwise, before the first frame is encoded, this
process compiles those two while the second process builds the table. Either way
``CompileAhead.finish`` then waits for the second process. Anything that goes wrong in the
second process only costs the time it would have saved: this process compiles
whatever it finds missing, as it always did.

    python -m holopack.pipeline.compile_ahead   (imports, then reads a pickled (profile,
                                                 size, shader, flag) on stdin, or nothing:
                                                 no job; creates the file flag once the
                                                 shader is cached)
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import time

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
# beside the shader's flag: the export builds the weight table itself (claim_table)
TABLE_CLAIM = ".table"


class CompileAhead:
    """The second process; ``finish()`` waits for it (once)."""

    def __init__(self, process: subprocess.Popen, flag: str | None = None):
        self.process: subprocess.Popen | None = process
        self.flag = flag  # created by the second process once the band shader is cached
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

    def claim_table(self) -> bool:
        """Tell the second process to leave the weight table to this process, which
        builds it while the shader compiles (rather than wait idle, and then wait
        again for the table); the second process compiles the resampler and quantiser
        instead. False where there is no shader flag to claim beside.
        A second process that has already passed its check builds the table too: the
        cost is that duplicate work, never a wrong table."""
        if self.flag is None:
            return False
        try:
            with open(self.flag + TABLE_CLAIM, "x"):
                pass
        except OSError:
            return False
        return True

    def finish(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            try:
                process.wait(timeout=WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._remove_flag()

    def stop(self) -> None:
        """End the second process now if it still runs (the export stopped early)."""
        process, self.process = self.process, None
        if process is not None:
            process.kill()
            process.wait()
        self._remove_flag()

    def _remove_flag(self) -> None:
        """The flag file, once the second process has ended (it cannot make it again)."""
        flag, self.flag = self.flag, None
        self._waited = True
        if flag is not None:
            for path in (flag, flag + TABLE_CLAIM):
                try:
                    os.remove(path)
                except OSError:
                    pass


def start(profile, render_size: int, shader: tuple[str, bool, bool] | None = None) -> CompileAhead | None:
    """Build the weight table of ``profile`` at ``render_size`` px (compiling its
    kernel) in a second process, and first compile the band shader of ``shader`` =
    (shading, textured, environment) when given: in the process start_ahead started
    if there is one, else in a new one; None where that would not help (a single
    core) or cannot start."""
    if (os.cpu_count() or 1) < 2:
        return None
    flag = None
    if shader is not None:
        handle, flag = tempfile.mkstemp(prefix="holopack-shader-", suffix=".ready")
        os.close(handle)
        os.remove(flag)  # the second process creates it when the shader is cached
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
        process.stdin.write(pickle.dumps((profile, int(render_size), shader, flag)))
        process.stdin.close()
    except (OSError, pickle.PicklingError):
        if process is not None:
            process.kill()
            process.wait()
        return None
    return CompileAhead(process, flag)


def compile_table(profile, render_size: int) -> None:
    """Build (and cache) the weight table, compiling its kernel: the second process's
    share of the encoder."""
    weight_table(profile, render_size)


def compile_encoder_kernels(profile) -> None:
    """Compile the encoder's resampler and quantiser kernels for exactly the argument
    types an export passes them, without its weight table (the second process builds
    that meanwhile): the resampler runs a one-row table over one black tile."""
    table = WeightTable(1, 1, TILE, np.array([0, 1], np.int64), np.zeros(1, np.int32), np.ones(1, np.float32))
    out = np.empty(3, np.float32)
    sum_tiles(tiled_table(table, TILE), np.ones(1, np.bool_), np.zeros(TILE * TILE * 3, np.float32), out)
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


if __name__ == "__main__":
    job = sys.stdin.buffer.read()  # imported already: started before the export knows its job
    if not job:  # the export needed none (or stopped before)
        sys.exit(0)
    profile, size, shader, flag = pickle.loads(job)
    if shader is not None:
        compile_shader(*shader)
        with open(flag, "x"):
            pass
        if os.path.exists(flag + TABLE_CLAIM):  # the export builds the table meanwhile
            compile_encoder_kernels(profile)
            sys.exit(0)
    compile_table(profile, size)  # the export compiles the resampler and quantiser
