"""kernel_cache.refresh works on the cache Numba really uses, NUMBA_CACHE_DIR included."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap

from holopack import kernel_cache

KERNEL = textwrap.dedent("""
    from numba import njit

    @njit(cache=True)
    def twice(x):
        return 2 * x

    assert twice(21) == 42
""")


def _numba_writes(module_dir, cache_dir) -> set[str]:
    """Run a cached kernel in a fresh interpreter; the files Numba wrote under cache_dir."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    subprocess.run([sys.executable, "-c", "import kern"], cwd=module_dir, env=env, check=True)
    return {
        os.path.relpath(os.path.join(root, name), cache_dir)
        for root, _, names in os.walk(cache_dir)
        for name in names
    }


def test_refresh_drops_stale_kernels_where_numba_cache_dir_puts_them(tmp_path, monkeypatch):
    module_dir = tmp_path / "pkg"
    module_dir.mkdir()
    (module_dir / "kern.py").write_text(KERNEL)
    (module_dir / "helper.py").write_text("A = 1\n")
    cache_dir = tmp_path / "numba-cache"
    written = _numba_writes(module_dir, cache_dir)
    # Numba's documented layout for NUMBA_CACHE_DIR: <dir>/<parent>_<sha1 of the source folder>
    folder = "pkg_" + hashlib.sha1(str(module_dir).encode()).hexdigest()
    assert any(w.startswith(folder + os.sep) and w.endswith(".nbi") for w in written), written
    assert not (module_dir / "__pycache__").exists() or not any(
        n.endswith(".nbi") for n in os.listdir(module_dir / "__pycache__")
    )

    monkeypatch.setenv("NUMBA_CACHE_DIR", str(cache_dir))
    module = str(module_dir / "kern.py")
    assert kernel_cache.cache_dir(module) == str(cache_dir / folder)
    kernel_cache.refresh(module, ["helper.py"])  # first call: no stamp yet, so drop
    assert not any(n.endswith((".nbi", ".nbc")) for n in os.listdir(cache_dir / folder))
    assert (cache_dir / folder / "kern.deps-sha256").exists()

    (cache_dir / folder / "kern.twice-7.py311.nbi").write_bytes(b"")  # cached again
    kernel_cache.refresh(module, ["helper.py"])  # dependency unchanged: kept
    assert any(n.endswith(".nbi") for n in os.listdir(cache_dir / folder))
    (module_dir / "helper.py").write_text("A = 2\n")  # dependency changed: dropped
    kernel_cache.refresh(module, ["helper.py"])
    assert not any(n.endswith((".nbi", ".nbc")) for n in os.listdir(cache_dir / folder))


def test_without_numba_cache_dir_the_cache_is_beside_the_module(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    module = tmp_path / "kern.py"
    assert kernel_cache.cache_dir(str(module)) == str(tmp_path / "__pycache__")


def test_each_raster_closure_variant_keeps_its_own_cache_index():
    """Variants of one factory sharing a cache index can be mixed up by two processes
    compiling at once; each variant must name an index file of its own."""
    from holopack.rendering import raster_kernel as raster
    from holopack.rendering.shading import LIT, PBR, UNLIT

    kernels = []
    for mode in (LIT, UNLIT, PBR):
        for textured in (False, True):
            kernels += [raster.band_shader(mode, textured), raster.blend_worker(mode, textured)]
    kernels += [raster.band_shader(PBR, textured, True) for textured in (False, True)]
    kernels += [raster._shade_span_pbr, raster._shade_span_pbr_textured]
    kernels += [raster._shade_span_pbr_environment, raster._shade_span_pbr_textured_environment]
    index_files = [k._cache._cache_file._index_path for k in kernels]
    assert len(set(index_files)) == len(index_files)


CLOSURE_KEYS = textwrap.dedent("""
    import hashlib
    from numba.core.serialize import dumps
    from holopack.rendering import raster_kernel as raster
    from holopack.rendering.shading import LIT, PBR, UNLIT

    kernels = {}
    for mode in (LIT, UNLIT, PBR):
        for textured in (False, True):
            kernels[f"band {mode} {textured}"] = raster.band_shader(mode, textured)
            kernels[f"blend {mode} {textured}"] = raster.blend_worker(mode, textured)
        kernels[f"band {mode} environment"] = raster.band_shader(PBR, mode == PBR, True)
    kernels["depth"] = raster._raster_tiles
    kernels["depth masked"] = raster._raster_tiles_masked
    for name, kernel in kernels.items():
        cells = tuple(c.cell_contents for c in kernel.py_func.__closure__ or ())
        print(name, hashlib.sha256(dumps(cells)).hexdigest())
""")


def test_a_closure_kernel_is_found_in_the_cache_by_the_next_process():
    """Numba keys a closure's cached code by the pickle of its cells (as computed
    here). A cell whose pickle differs from one process to the next (an intrinsic made
    at run time did) misses the cache on every run: the kernel compiled again each
    export (the depth pass: 2.3 s of a 5.6 s short export) and the cache grew a copy."""
    runs = [
        subprocess.run(
            [sys.executable, "-c", CLOSURE_KEYS], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    ]
    assert "depth masked" in runs[0]
    assert runs[0] == runs[1]


def test_a_numba_cache_save_holds_its_folders_lock_and_a_load_finds_it_whole(tmp_path):
    """lock_numba_cache: while Numba writes a kernel's index and machine code, another
    process cannot take the folder's lock (so two saves never interleave, and a load
    never reads an index without its data); afterwards the lock is free again and the
    entry loads."""
    import fcntl

    from numba.core import caching

    kernel_cache.lock_numba_cache()
    cache = caching.IndexDataCacheFile(str(tmp_path), "probe", source_stamp=(0.0, 0))
    lock_path = str(tmp_path / kernel_cache.LOCK_NAME)
    seen = []

    def other_process_can_lock() -> bool:
        handle = os.open(lock_path, os.O_RDWR | os.O_CREAT)  # a description of its own, as another process's
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        finally:
            os.close(handle)
        return True

    save_index, save_data = cache._save_index, cache._save_data
    cache._save_index = lambda overloads: (seen.append(other_process_can_lock()), save_index(overloads))[1]
    cache._save_data = lambda name, data: (seen.append(other_process_can_lock()), save_data(name, data))[1]
    cache.save(("signature",), {"machine code": 1})
    assert seen == [False, False]
    assert other_process_can_lock()
    assert cache.load(("signature",)) == {"machine code": 1}
