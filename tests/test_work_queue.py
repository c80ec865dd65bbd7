"""The work queue that parallel kernels share out their work with (holopack.work_queue)."""

import numba
import numpy as np
import pytest
from numba import njit, prange

from holopack.work_queue import claim, claim_block


@njit(parallel=True)
def _claim_all(count, workers, next_item, hits, claimed_by):
    """Each worker claims items until none are left; hits[i] counts the claims of item i."""
    for worker in prange(workers):
        while True:
            item = claim(next_item)
            if item >= count:
                break
            hits[item] += 1
            claimed_by[item] = worker


@pytest.mark.parametrize("count", [0, 1, 7, 100_000])
@pytest.mark.parametrize("workers", [1, 2, 5])
def test_every_item_is_claimed_exactly_once(count, workers):
    hits = np.zeros(count, np.int64)
    claimed_by = np.full(count, -1, np.int64)
    next_item = np.zeros(1, np.int64)
    _claim_all(count, workers, next_item, hits, claimed_by)
    np.testing.assert_array_equal(hits, np.ones(count, np.int64))
    # each worker's last claim is the one past the end: the counter stops at count + workers
    assert next_item[0] == count + workers
    assert set(np.unique(claimed_by)) <= set(range(workers))


@njit(parallel=True)
def _claim_all_blocks(count, block, workers, next_block, hits):
    """The same with claim_block: each worker takes blocks of items until none are left."""
    for _worker in prange(workers):
        first, stop = claim_block(next_block, block, count)
        while first < stop:
            for item in range(first, stop):
                hits[item] += 1
            first, stop = claim_block(next_block, block, count)


@pytest.mark.parametrize("count", [0, 1, 7, 1024, 100_001])
@pytest.mark.parametrize("block", [1, 3, 1024])
def test_every_item_of_a_block_queue_is_claimed_exactly_once(count, block):
    hits = np.zeros(count, np.int64)
    next_block = np.zeros(1, np.int64)
    _claim_all_blocks(count, block, 4, next_block, hits)
    np.testing.assert_array_equal(hits, np.ones(count, np.int64))
    # ceil(count / block) blocks, then one empty claim per worker
    assert next_block[0] == -(-count // block) + 4


def test_claims_from_serial_code_count_up_from_zero():
    counter = np.zeros(1, np.int64)

    @njit
    def three(counter):
        return claim(counter), claim(counter), claim(counter)

    assert three(counter) == (0, 1, 2)
    assert counter[0] == 3


def test_claim_rejects_a_counter_that_is_not_int64():
    with pytest.raises(numba.core.errors.TypingError):
        njit(lambda c: claim(c))(np.zeros(1, np.int32))
