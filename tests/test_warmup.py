"""holopack warmup: one command compiles the kernels that real jobs call."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

# The kernels export, decode and the preview call from Python (the ones they call in
# turn are compiled with them).
ENTRY_POINTS = [
    "holopack.animate.skin_kernel:_skin_blocks",
    "holopack.rendering.raster_kernel:_transform_blocks",
    "holopack.rendering.raster_kernel:_setup_blocks",
    "holopack.rendering.raster_kernel:clip_triangles",
    "holopack.rendering.raster_kernel:_count_chunks",
    "holopack.rendering.raster_kernel:_fill_chunks",
    # each variant a job can draw with: (shading mode, textured) and alpha-tested or not;
    # PBR's band shaders with an environment too
    *(f"holopack.rendering.raster_kernel:band_shader(PBR, {textured}, True)" for textured in (False, True)),
    "holopack.rendering.raster_kernel:_raster_tiles",
    "holopack.rendering.raster_kernel:_raster_tiles_masked",
    *(
        f"holopack.rendering.raster_kernel:{kernel}({mode}, {textured})"
        for kernel in ("band_shader", "blend_worker")
        for mode in ("LIT", "UNLIT", "PBR")
        for textured in (False, True)
        if kernel == "band_shader" or textured or mode in ("LIT", "PBR")
    ),
    "holopack.rendering.raster_kernel:_resolve_tiles",
    "holopack.rendering.tangent_kernel:_tangent_blocks",
    "holopack.device.sector_weights_kernel:_sector_rows",
    "holopack.device.resample_kernel:_gather_groups",
    "holopack.device.quantise_kernel:encode_codes",
    "holopack.device.simulate_kernel:_simulate_rows",
    "holopack.colour_kernel:_convert_rows",
    # a keyed clip: the first pass's clean plate, then each frame's matte and its refinements
    "holopack.video.plate_kernel:_plate_rows",
    "holopack.video.plate_kernel:plate_behind",
    *(
        f"holopack.video.key_kernel:{kernel}"
        for kernel in ("_matte_rows", "_unmix_rows", "_colour_share_rows", "_composite_rows")
    ),
    "holopack.video.holes_kernel:label_sums",
    # a picture or clip with alpha, composited over black
    "holopack.video.alpha_kernel:premultiply_into",
    "holopack.video.guide_kernel:_guide_rows",
    # a wall: which fan owns each point, the fitted picture, the wall's preview, the fans' files
    "holopack.wall.weights_kernel:_owned_rows",
    "holopack.wall.fit_kernel:_column_rows",
    "holopack.wall.fit_kernel:_canvas_rows",
    "holopack.wall.preview_kernel:draw_single",
    "holopack.wall.preview_kernel:draw_overlaps",
    "holopack.formats.bitplanes_kernel:pack_bitplanes_words",
    *(
        f"holopack.rendering.splat_kernel:{kernel}"
        for kernel in (
            "project_blocks",
            "depth_order",
            "gather_boxes",
            "tile_entries",
            "bin_tiles",
            "blend_tiles",
            "resolve_rows",
        )
    ),
]

# warmup compiles in processes of its own, so each entry point is looked up in Numba's
# cache as its next use would: an index entry for this machine and the kernel's own code
# and closure (numba.core.caching's key), whose machine code loads
PROBE = """
import hashlib, importlib, sys
from numba.core.serialize import dumps
from holopack.cli import main
code = main(["warmup"])
missing = []
for entry in sys.argv[1:]:
    module, name = entry.split(":")
    kernel = eval(name, vars(importlib.import_module(module)))
    func = kernel.py_func
    cells = b"" if func.__closure__ is None else dumps(tuple(c.cell_contents for c in func.__closure__))
    own = (hashlib.sha256(func.__code__.co_code).hexdigest(), hashlib.sha256(cells).hexdigest())
    magic = kernel.targetctx.codegen().magic_tuple()
    cache = kernel._cache._cache_file
    keys = [key for key in cache._load_index() if key[1] == magic and key[2] == own]
    if not keys or any(cache.load(key) is None for key in keys):
        missing.append(entry)
print("MISSING", *missing)
sys.exit(code)
"""


def test_warmup_compiles_every_entry_point_and_shows_progress(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *ENTRY_POINTS],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["MISSING"]
    lines = proc.stderr.strip().splitlines()
    steps = [line for line in lines if "compiling:" in line]
    assert len(steps) >= 7 and steps[0].startswith("warmup [") and "1/" in steps[0]
    assert "done in" in lines[-1]
    assert "--seconds" not in proc.stderr  # warmup's own clip lengths, in its worker processes too
    assert list(tmp_path.iterdir()) == []  # nothing left where it ran


def test_warmup_says_nothing_of_a_seconds_the_user_never_gave(tmp_path, monkeypatch, capsys):
    import io

    from holopack import warmup as warmup_module

    step = warmup_module._export_step("3dcircle-42f2")
    # the same short export outside warmup warns that its length cuts the twin's clip...
    step.run(str(tmp_path))
    assert "--seconds" in capsys.readouterr().err
    # ...and inside warmup, where the length is warmup's own, it says nothing of it
    monkeypatch.setattr(warmup_module, "steps", lambda: [step])
    stream = io.StringIO()
    warmup_module.warmup(stream)
    assert "--seconds" not in capsys.readouterr().err
    assert "1/1 done in" in stream.getvalue()


def test_while_the_first_step_compiles_the_renderer_the_other_process_takes_steps_that_draw_no_mesh():
    """warmup's schedule: a second mesh step beside the first would compile the same
    renderer kernels twice; a picture, clip or splat step goes first, then the list's
    order."""
    from holopack.warmup import Step, _schedule, steps

    plan = [
        Step(name, print, renders_model=mesh)
        for name, mesh in [("a", True), ("b", True), ("c", False), ("d", True)]
    ]
    waiting = [1, 2, 3]
    assert _schedule(plan, waiting, first_done=False) == 2
    assert _schedule(plan, waiting, first_done=False) == 1  # none left that draws no mesh
    assert _schedule(plan, [1, 2, 3], first_done=True) == 1
    assert [step.label for step in steps() if not step.renders_model] == [
        "a picture to 3dcircle-42f2",
        "a green-screen clip keyed to 3dcircle-42f2",
        "a studio clip keyed to 3dcircle-42f2",
        "a textured backdrop clip keyed to 3dcircle-42f2",
        "a picture across a wall of two fans",
        "a Gaussian splat twin to 3dcircle-42f2",
    ]
