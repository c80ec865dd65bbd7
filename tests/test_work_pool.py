"""The thread pool that runs the kernels' claim loops on several threads (holopack.work_pool)."""

import threading

import numba
import numpy as np
import pytest
from numba import njit

from holopack import work_pool
from holopack.work_queue import claim


@njit(nogil=True)
def _claim_items(next_item, count, hits, thread_ids, thread_id):
    """Claims items until none are left; hits[i] counts the claims of item i, and
    thread_ids[i] says which call took it (thread_id[0], a number per call)."""
    me = claim(thread_id)
    while True:
        item = claim(next_item)
        if item >= count:
            break
        hits[item] += 1
        thread_ids[item] = me
        s = 0.0  # a little work per item, so that the helpers get some
        for k in range(200):
            s += k * 0.5
        if s < 0:
            hits[item] += 1


def _run_once(count):
    hits = np.zeros(count, np.int64)
    thread_ids = np.full(count, -1, np.int64)
    calls = np.zeros(1, np.int64)
    work_pool.run(_claim_items, np.zeros(1, np.int64), count, hits, thread_ids, calls)
    return hits, thread_ids, int(calls[0])


@pytest.mark.parametrize("count", [0, 1, 7, 100_000])
@pytest.mark.parametrize("threads", [1, 2, 4])
def test_every_item_is_claimed_exactly_once(count, threads):
    previous = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        for _ in range(5):
            hits, thread_ids, calls = _run_once(count)
            np.testing.assert_array_equal(hits, np.ones(count, np.int64))
            # helpers that came after the work was all claimed are not called at all
            assert 1 <= calls <= work_pool.threads()
            assert set(np.unique(thread_ids)) <= set(range(calls))
    finally:
        numba.set_num_threads(previous)


def test_the_thread_count_follows_numba():
    previous = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        assert work_pool.threads() == 1
        assert _run_once(1000)[2] == 1  # no helper for a single thread
    finally:
        numba.set_num_threads(previous)
    assert work_pool.threads() == previous


@njit(nogil=True)
def _fail(next_item, count):
    while claim(next_item) < count:
        pass
    raise ValueError("no good")


def test_an_error_in_a_worker_is_raised_to_the_caller_and_the_pool_goes_on():
    with pytest.raises(ValueError, match="no good"):
        work_pool.run(_fail, np.zeros(1, np.int64), 10)
    hits, _, _ = _run_once(1000)
    assert np.all(hits == 1)


def test_runs_from_two_threads_at_once_each_claim_everything():
    results = []

    def render():
        for _ in range(20):
            results.append(_run_once(5000)[0])

    threads = [threading.Thread(target=render) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 40
    assert all(np.all(h == 1) for h in results)


@njit(nogil=True)
def _compile_me(next_item, out):
    while claim(next_item) < 1:
        out[0] = 1.0


def test_compile_only_compiles_the_named_workers_and_runs_nothing():
    out = np.zeros(1, np.float32)
    hits = np.zeros(3, np.int64)
    with work_pool.compile_only([_compile_me]):
        work_pool.run(_compile_me, np.zeros(1, np.int64), out)
        work_pool.run(_claim_items, np.zeros(1, np.int64), 3, hits, hits, np.zeros(1, np.int64))
    assert out[0] == 0.0 and not hits.any()
    assert [str(t) for t in _compile_me.signatures[0]] == ["array(int64, 1d, C)", "array(float32, 1d, C)"]
    work_pool.run(_compile_me, np.zeros(1, np.int64), out)
    assert out[0] == 1.0


def test_a_forked_child_has_helpers_of_its_own():
    import multiprocessing

    _run_once(1000)  # the parent's helpers exist
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        hits_ok, calls = pool.apply(_child_run)
    assert hits_ok and 1 <= calls <= work_pool.threads()


def _child_run():
    hits, _, calls = _run_once(100_000)
    return bool(np.all(hits == 1)), calls


def test_the_packages_claim_loops_count_no_references():
    """Every claim loop the package hands to the pool (a nogil kernel in a module that
    runs the pool) is compiled without reference counting: arrays from Python carry
    counters, and counting them is an atomic instruction per reference (see
    docs/developing.md, Parallel kernels)."""
    import importlib

    from numba.core.registry import CPUDispatcher

    from holopack.rendering import raster_kernel
    from holopack.rendering.shading import LIT, PBR, UNLIT

    modules = [
        "holopack.rendering.raster_kernel",
        "holopack.rendering.tonemap_kernel",
        "holopack.animate.skin_kernel",
        "holopack.device.resample_kernel",
        "holopack.device.simulate_kernel",
        "holopack.colour_kernel",
        "holopack.video.key_kernel",
        "holopack.video.guide_kernel",
        "holopack.video.plate_kernel",
    ]
    loops = []
    for name in modules:
        module = importlib.import_module(name)
        assert module.run is work_pool.run, name
        loops += [
            f for f in vars(module).values() if isinstance(f, CPUDispatcher) and f.targetoptions.get("nogil")
        ]
    for mode in (LIT, UNLIT, PBR):
        for textured in (False, True):
            loops += [raster_kernel.band_shader(mode, textured), raster_kernel.blend_worker(mode, textured)]
    loops += [raster_kernel.band_shader(PBR, textured, environment=True) for textured in (False, True)]
    assert len(loops) > 20
    counting = [f.py_func.__qualname__ for f in loops if f.targetoptions.get("_nrt") is not False]
    assert counting == []


def test_the_functions_the_claim_loops_call_count_no_references():
    """The compiled functions the renderer's claim loops call rather than inline (the
    span shaders, the band shaders' resolve, shade_pbr, the environment's light, the
    texture sampler and PBR's packed fetch...) are compiled without reference counting too: each call would
    otherwise take and give back a reference to every array it is handed."""
    from holopack.rendering import pbr_kernel, raster_kernel, texture_kernel

    called = [
        raster_kernel._shade_span_pbr,
        raster_kernel._shade_span_pbr_textured,
        raster_kernel._shade_span_pbr_environment,
        raster_kernel._shade_span_pbr_textured_environment,
        raster_kernel._record_edges_call,
        raster_kernel._fragment_call,
        raster_kernel._fragment_alpha,
        raster_kernel._resolve_span_call,
        pbr_kernel.shade_pbr,
        pbr_kernel.environment_light,
        pbr_kernel.packed_maps,
        texture_kernel._sample_at,
    ]
    counting = [f.py_func.__qualname__ for f in called if f.targetoptions.get("_nrt") is not False]
    assert counting == []
