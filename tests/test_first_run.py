"""The first run says it is compiling, only when it will; the ETA waits for timed frames."""

import glob
import hashlib
import io
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

from holopack import first_run, kernel_cache
from holopack.device import load_profile
from holopack.device.resample_kernel import weight_table
from holopack.first_run import CORE_MODULES, CompileNotice
from holopack.pipeline import compile_ahead
from holopack.progress import Progress

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_cache_dir_is_where_numba_writes_its_cache(tmp_path):
    """Numba itself caches a small kernel; kernel_cache must find its index there, with
    NUMBA_CACHE_DIR set and without (beside the source)."""
    module = tmp_path / "pkg" / "tiny_kernel.py"
    module.parent.mkdir()
    module.write_text("from numba import njit\n\n@njit(cache=True)\ndef twice(x):\n    return 2 * x\n")
    script = textwrap.dedent(f"""
        import sys, glob, os
        sys.path.insert(0, {str(module.parent)!r})
        import tiny_kernel
        tiny_kernel.twice(2.0)
        from holopack.kernel_cache import cache_dir
        print(sorted(os.path.basename(p) for p in glob.glob(os.path.join(cache_dir({str(module)!r}), "*.nbi"))))
    """)
    for custom in (str(tmp_path / "custom-cache"), None):
        env = dict(os.environ)
        env.pop("NUMBA_CACHE_DIR", None)
        if custom:
            env["NUMBA_CACHE_DIR"] = custom
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout
        assert "tiny_kernel.twice" in out, (custom, out)


def test_the_notice_shows_only_while_the_core_kernels_are_not_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "cache"))
    stream = io.StringIO()
    notice = CompileNotice(stream, interval=60)
    assert notice.start()
    notice.stop()
    lines = stream.getvalue().splitlines()
    assert "compiling holopack's kernels" in lines[0] and "first run only" in lines[0]
    assert lines[-1].startswith("holopack: kernels ready after")
    # a cache index for the source as it is, where Numba looks: nothing to say
    for relative in CORE_MODULES:
        module = os.path.join(os.path.dirname(kernel_cache.__file__), relative)
        folder = kernel_cache.cache_dir(module)
        os.makedirs(folder)
        stem = os.path.splitext(os.path.basename(module))[0]
        tag = f"py{sys.version_info[0]}{sys.version_info[1]}"
        kernel_cache.refresh(module, kernel_cache.KERNEL_MODULES[relative])  # its deps stamp
        with open(os.path.join(folder, f"{stem}.transform-66.{tag}.nbi"), "wb") as f:
            f.write(numba_index(module))
    quiet = io.StringIO()
    assert not CompileNotice(quiet).start()
    assert quiet.getvalue() == ""


def numba_index(source: str) -> bytes:
    """A cache index as Numba's IndexDataCacheFile writes one (numba/core/caching.py):
    its version pickled, then (the source's SHA-256, the overloads) pickled, here none."""
    import numba

    with open(source, "rb") as f:
        digest = hashlib.sha256(f.read()).digest()
    return pickle.dumps(numba.__version__, protocol=-1) + pickle.dumps((digest, {}), protocol=-1)


def test_a_kernel_source_rewritten_with_its_own_content_is_still_cached(tmp_path, monkeypatch):
    # a git checkout that rewrites a file with the content it had gives it a new time but
    # the same SHA-256, which is what Numba compares: the notice said "compiling" by file
    # times, while Numba loaded every kernel from its cache
    package = tmp_path / "pkg"
    package.mkdir()
    module = package / "tiny_kernel.py"
    module.write_text("from numba import njit\n\n@njit(cache=True)\ndef twice(x):\n    return 2 * x\n")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"), NUMBA_DEBUG_CACHE="1")
    script = f"import sys; sys.path.insert(0, {str(package)!r}); import tiny_kernel; tiny_kernel.twice(2.0)"

    def run_numba() -> str:
        """What Numba's cache did in a fresh process that calls the kernel."""
        return subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        ).stdout

    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(kernel_cache, "_PACKAGE", str(package))
    monkeypatch.setitem(kernel_cache.KERNEL_MODULES, "tiny_kernel.py", [])
    assert not kernel_cache.is_cached("tiny_kernel.py")
    assert "data saved" in run_numba()
    assert kernel_cache.is_cached("tiny_kernel.py")
    later = os.path.getmtime(module) + 3600
    os.utime(module, (later, later))  # rewritten as it was
    assert "data loaded" in run_numba()  # Numba compiles nothing ...
    assert kernel_cache.is_cached("tiny_kernel.py")  # ... and the check agrees
    module.write_text(module.read_text().replace("2 * x", "3 * x"))
    assert not kernel_cache.is_cached("tiny_kernel.py")
    assert "data saved" in run_numba()
    assert kernel_cache.is_cached("tiny_kernel.py")
    # an index of another Numba, or a damaged one, is not taken
    (index,) = glob.glob(str(tmp_path / "cache" / "**" / "tiny_kernel.*.nbi"), recursive=True)
    with open(index, "rb") as f:
        whole = f.read()
    with open(index, "wb") as f:
        digest = hashlib.sha256(module.read_bytes()).digest()
        f.write(pickle.dumps("0.0.1", protocol=-1) + pickle.dumps((digest, {}), protocol=-1))
    assert not kernel_cache.is_cached("tiny_kernel.py")
    with open(index, "wb") as f:
        f.write(whole[:9])
    assert not kernel_cache.is_cached("tiny_kernel.py")


def test_every_kernel_module_is_known_to_the_cache_check():
    package = os.path.dirname(kernel_cache.__file__)
    found = set()
    for folder, _, files in os.walk(package):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as f:
                    if "cache=True" in f.read() and name != "kernel_cache.py":
                        found.add(os.path.relpath(path, package).replace(os.sep, "/"))
    assert found == set(kernel_cache.KERNEL_MODULES)


def test_a_cold_export_says_so_before_anything_else(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cold"))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "holopack",
            "export",
            "--device",
            "mp4-fan",
            "-o",
            str(tmp_path / "01_twin.mp4"),
            "--size",
            "32",
            "--seconds",
            "0.1",
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        first = proc.stderr.readline()
    finally:
        proc.kill()
        proc.wait()
    assert first.startswith("holopack: compiling holopack's kernels")


def test_a_wall_export_ends_the_compile_notice_at_its_first_frame(tmp_path, monkeypatch):
    """A cold wall export (the command starts the notice) says its kernels are ready
    once its first frame is made, and no "compiling kernels" line follows among its
    frames: the notice's progress lines ran on through the whole export before."""
    from holopack.wall import export_wall

    stream = io.StringIO()
    notice = CompileNotice(stream, interval=3600.0)
    notice.active, notice._started, notice._wall_start = True, 0.0, 0.0  # as start() on a cold cache
    monkeypatch.setattr(first_run, "_notice", notice)
    (tmp_path / "wall.toml").write_text(
        'device = "3dcircle-42f2"\n[grid]\nrows = 1\ncols = 2\npitch = 400.0\n'
    )
    active_at: list[tuple[int, bool]] = []
    export_wall(
        None,
        str(tmp_path / "wall.toml"),
        str(tmp_path / "out"),
        seconds=0.1,
        progress=lambda done, total: active_at.append((done, notice.active)),
    )
    assert active_at and all(not active for _, active in active_at)
    assert stream.getvalue().count("kernels ready") == 1


def test_a_walls_second_process_compiles_the_band_shader_and_no_encoder(tmp_path, monkeypatch):
    """compile_ahead.start without a profile (a wall's fans have encoders of their
    own): the second process compiles the band shader and then ends, taking none of
    the single fan's encoder work."""
    ahead = _second_process_for(None, tmp_path, monkeypatch, ("unlit", False))
    if ahead is None:
        return
    ahead.wait_for_shader()
    process = ahead.process
    ahead.finish()
    assert process is not None and process.returncode == 0
    indexes = glob.glob(str(tmp_path / "numba" / "**" / "*.nbi"), recursive=True)
    assert sorted(os.path.basename(p).split("-")[0] for p in indexes) == [
        "raster_kernel.resolve_span",
        "raster_kernel.shade_bands_unlit",
    ]
    assert not list((tmp_path / "tables").glob("**/*.npz"))


def test_a_cold_wall_export_shares_its_compile_with_a_second_process(tmp_path, monkeypatch):
    """On a cold first run a wall of a model starts the second process with its job's
    band shader, waits for it before its first shading pass, and lets it go by the
    first frame; a wall of a picture starts none."""
    from holopack.wall import export as wall_export

    calls: list = []

    class Ahead:
        def wait_for_shader(self):
            calls.append("wait_for_shader")

        def shader_pending(self):
            return False

        def finish(self):
            calls.append("finish")

    def start(profile, render_size, shader):
        calls.append(("start", profile, shader))
        return Ahead()

    monkeypatch.setattr(wall_export, "compiling", lambda: True)
    monkeypatch.setattr(wall_export.compile_ahead, "start", start)
    (tmp_path / "wall.toml").write_text(
        'device = "3dcircle-42f2"\n[grid]\nrows = 1\ncols = 2\npitch = 400.0\n'
    )
    frames: list[tuple[int, list]] = []
    wall_export.export_wall(
        None,
        str(tmp_path / "wall.toml"),
        str(tmp_path / "twin"),
        seconds=0.1,
        progress=lambda done, total: frames.append((done, list(calls))),
    )
    assert calls == [("start", None, ("lit", False, False)), "wait_for_shader", "finish"]
    assert frames[0][1] == calls  # all of it by the first frame
    calls.clear()
    Image.fromarray(np.full((40, 60, 3), 200, np.uint8)).save(tmp_path / "pic.png")
    wall_export.export_wall(
        str(tmp_path / "pic.png"),
        str(tmp_path / "wall.toml"),
        str(tmp_path / "pic"),
        seconds=0.1,
        progress=False,
    )
    assert calls == []


@pytest.mark.parametrize(
    "args, named",
    [
        (["--device", "3dcircle-42f2", "-o", "twin.bin"], "twin.bin"),  # a name the fan would skip
        (["--wall", "no-such-wall.toml", "-o", "out"], "no-such-wall.toml"),
    ],
)
def test_a_cold_export_that_fails_before_its_first_frame_says_only_what_failed(tmp_path, args, named):
    """After the compile notice, the error naming the file is the last line, with no
    "kernels ready" line claiming a compile that did not happen; nothing is written."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cold"), HOLOPACK_CACHE_DIR=str(tmp_path / "t"))
    out = subprocess.run(
        [sys.executable, "-m", "holopack", "export", *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    lines = out.stderr.splitlines()
    assert out.returncode != 0 and not (tmp_path / args[-1]).exists()
    assert lines[0].startswith("holopack: compiling holopack's kernels")
    assert lines[-1].startswith("holopack: error: ") and named in lines[-1]
    assert not any("kernels ready" in line for line in lines) and "Traceback" not in out.stderr


def test_no_eta_until_frames_after_the_warm_up_are_timed():
    stream = io.StringIO()
    bar = Progress(10, label="x", stream=stream, log_every=0.0)
    bar.update(1)  # the first frame pays for compiling: no rate from it
    bar.update(2)
    assert "ETA after warm-up" in stream.getvalue().splitlines()[-1]
    bar.update(3)
    last = stream.getvalue().splitlines()[-1]
    assert "ETA after warm-up" not in last and "ETA " in last and "fps" in last


def _second_process(tmp_path, monkeypatch, shader=None):
    """compile_ahead.start for the 42-F2 at 64 px with caches of the test's own, or None
    where there is no second process (only on a single core)."""
    return _second_process_for(load_profile("3dcircle-42f2"), tmp_path, monkeypatch, shader)


def _second_process_for(profile, tmp_path, monkeypatch, shader=None):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba"))
    monkeypatch.setenv("HOLOPACK_CACHE_DIR", str(tmp_path / "tables"))
    ahead = compile_ahead.start(profile, 64, shader)
    if ahead is None:
        assert (os.cpu_count() or 1) < 2
    return ahead


def test_the_second_process_leaves_the_weight_table_cached(tmp_path, monkeypatch):
    """compile_ahead: after finish(), the weight table is in holopack's table cache and
    its kernel in Numba's, so the export only loads it; the table is the one this
    process would build. With nothing claimed by the export, the second process
    compiles the resampler and quantiser too."""
    profile = load_profile("3dcircle-42f2")
    ahead = _second_process(tmp_path, monkeypatch)
    if ahead is None:
        return
    ahead.finish()
    assert ahead.process is None
    tables = list((tmp_path / "tables" / "weights").glob("*.npz"))
    assert len(tables) == 1
    indexes = glob.glob(str(tmp_path / "numba" / "**" / "*.nbi"), recursive=True)
    cached = {os.path.basename(p).split("-")[0] for p in indexes}
    assert {
        "sector_weights_kernel._sector_rows",
        "resample_kernel._gather_groups",
        "quantise_kernel.encode_codes",
    } <= cached
    with np.load(tables[0]) as stored:
        monkeypatch.setenv("HOLOPACK_CACHE_DIR", "")  # computed here, not read from disk
        built = weight_table.__wrapped__(profile, 64)
        assert np.array_equal(stored["indptr"], built.indptr)
        assert np.array_equal(stored["indices"], built.indices)
        assert np.allclose(stored["weights"], built.weights)


def test_the_second_process_compiles_the_jobs_band_shader_first(tmp_path, monkeypatch):
    """compile_ahead with a shader: once wait_for_shader returns, the band shader of
    that variant (and the resolve it calls) is in Numba's cache, and no other render
    kernel (the export process compiles those); the flag file it waited on is gone after
    finish()."""
    ahead = _second_process(tmp_path, monkeypatch, ("unlit", True))
    if ahead is None:
        return
    flag = ahead.flag
    ahead.wait_for_shader()  # returns once the shader is cached, before the encoder is
    indexes = glob.glob(str(tmp_path / "numba" / "**" / "raster_kernel.*.nbi"), recursive=True)
    # resolve_span: the band shaders call it (one compiled copy for every variant)
    assert sorted(os.path.basename(p).split("-")[0] for p in indexes) == [
        "raster_kernel.resolve_span",
        "raster_kernel.shade_bands_unlit_textured",
    ]
    ahead.finish()
    assert flag is not None and not os.path.exists(flag)
    assert not glob.glob(ahead.claims + ".*")


def test_an_export_that_waits_for_the_shader_builds_the_table_and_the_second_process_the_encoder(
    tmp_path, monkeypatch
):
    """compile_ahead: an export that reaches its shading before the shader is cached
    claims the encoder's work while it waits (here the weight table and the
    quantiser, which it would build and compile meanwhile in its own process); the
    second process then does only what is left after its shader (the resampler), and
    the claims go with the flag at finish(). A claim is taken once."""
    ahead = _second_process(tmp_path, monkeypatch, ("unlit", False))
    if ahead is None:
        return
    flag = ahead.flag
    assert ahead.shader_pending()  # a band shader takes seconds to compile
    assert ahead.claim(compile_ahead.TABLE) and ahead.claim(compile_ahead.QUANTISER)
    assert not compile_ahead.claim(ahead.claims, compile_ahead.TABLE)  # as the second process tries it
    ahead.wait_for_shader()
    assert not ahead.shader_pending()
    ahead.finish()
    indexes = glob.glob(str(tmp_path / "numba" / "**" / "*.nbi"), recursive=True)
    cached = {os.path.basename(p).split("-")[0] for p in indexes}
    assert "resample_kernel._gather_groups" in cached
    assert "quantise_kernel.encode_codes" not in cached
    assert "sector_weights_kernel._sector_rows" not in cached
    assert not list((tmp_path / "tables").glob("**/*.npz"))
    assert flag is not None and not os.path.exists(flag) and not glob.glob(ahead.claims + ".*")
    assert ahead.claim(compile_ahead.TABLE)  # the second process has ended: all is this one's


def test_the_second_process_is_told_the_jobs_shader_variant():
    """compile_ahead gets (shading, textured, environment): an untextured PBR job
    without an environment compiles neither the map code nor the environment's light."""
    from holopack.pipeline.exporting import band_shader_for, default_twin
    from holopack.pipeline.settings import ExportSettings
    from holopack.scene.load import load

    twin = load(default_twin())
    assert band_shader_for(twin, ExportSettings(shading="pbr")) == ("pbr", False, False)
    assert band_shader_for(twin, ExportSettings(shading="pbr", environment="studio")) == ("pbr", False, True)
    # the environment is PBR's alone: lit draws without it
    assert band_shader_for(twin, ExportSettings(shading="lit", environment="studio")) == ("lit", False, False)


def test_the_second_process_ends_at_once_with_its_kernels_whole_in_the_cache(tmp_path, monkeypatch):
    """compile_ahead's second process skips the interpreter's teardown when it is done
    (the export waits for it to end): it still ends with status 0, and the next process
    loads the kernels it compiled from Numba's cache without compiling any of them."""
    ahead = _second_process(tmp_path, monkeypatch, ("unlit", False))
    if ahead is None:
        return
    process = ahead.process
    assert process is not None
    assert ahead.claim(compile_ahead.TABLE) and ahead.claim(compile_ahead.QUANTISER)
    ahead.finish()
    assert process.returncode == 0
    script = textwrap.dedent("""
        from holopack.device.resample_kernel import _gather_groups
        from holopack.pipeline import compile_ahead
        from holopack.rendering import raster_kernel as raster

        compile_ahead.compile_resampler()
        compile_ahead.compile_shader("unlit", False)
        shader = raster.band_shader(raster.UNLIT, False, False)
        for kernel in (_gather_groups, shader):
            stats = kernel.stats
            assert sum(stats.cache_hits.values()) == 1, (kernel, stats)
            assert not sum(stats.cache_misses.values()), (kernel, stats)
        print("loaded")
    """)
    env = dict(
        os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"), HOLOPACK_CACHE_DIR=str(tmp_path / "tables")
    )
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and "loaded" in out.stdout, out.stderr


def test_the_export_compiles_the_encoders_kernels_for_the_types_an_export_passes(tmp_path):
    """compile_resampler and compile_quantiser (the encoder's work beside the weight
    table) leave nothing for the first frame's encode to compile: in a fresh process,
    the resampler's and quantiser's kernels have the same signatures after a real
    encode as after them."""
    script = textwrap.dedent("""
        import numpy as np
        from holopack.device import PolarEncoder, load_profile
        from holopack.device.quantise_kernel import encode_codes
        from holopack.device.resample_kernel import _gather_groups
        from holopack.pipeline import compile_ahead

        profile = load_profile("3dcircle-42f2")
        compile_ahead.compile_resampler()
        compile_ahead.compile_quantiser(profile)
        before = [list(k.signatures) for k in (_gather_groups, encode_codes)]
        assert all(len(s) == 1 for s in before), before
        picture = np.zeros((64, 64, 3), np.float32)
        picture[20:40, 20:40] = 0.5
        PolarEncoder(profile, 64).encode(picture, 0, occupied=np.ones((2, 2), np.bool_))
        after = [list(k.signatures) for k in (_gather_groups, encode_codes)]
        assert before == after, (before, after)
        print("same")
    """)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"), HOLOPACK_CACHE_DIR=str(tmp_path / "t"))
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and "same" in out.stdout, out.stderr


def test_the_second_process_started_early_takes_its_job_later_or_ends(tmp_path, monkeypatch):
    """first_run.start_ahead starts the second process before the export knows its
    job; compile_ahead.start hands it the job (no second process started); one given
    no job is ended by end_ahead."""
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba"))
    monkeypatch.setenv("HOLOPACK_CACHE_DIR", str(tmp_path / "tables"))
    if (os.cpu_count() or 1) < 2:
        return
    monkeypatch.setattr(first_run, "compiling", lambda: True)
    first_run.start_ahead()
    early = first_run._ahead
    assert early is not None
    first_run.start_ahead()  # one at a time
    assert first_run._ahead is early
    ahead = compile_ahead.start(load_profile("3dcircle-42f2"), 64)
    assert ahead is not None and ahead.process is early and first_run._ahead is None
    ahead.finish()
    assert early.returncode == 0
    assert list((tmp_path / "tables" / "weights").glob("*.npz"))
    first_run.start_ahead()
    idle = first_run._ahead
    assert idle is not None
    first_run.end_ahead()
    assert first_run._ahead is None and idle.returncode is not None
    first_run.end_ahead()  # none left: nothing to do


def test_the_command_line_is_parsed_without_numba_so_the_second_process_starts_early():
    """cli and the option table it builds import no Numba (nor the posing code): a cold
    export starts its second compile process (first_run.start_ahead) right after parsing,
    and every module Numba would bring first delays that start."""
    code = "import sys; from holopack.cli import build_parser; build_parser(); print(sorted(m for m in ('numba', 'holopack.animate.pose', 'holopack.animate.orientation') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stdout
