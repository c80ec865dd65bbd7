"""Dynamic scheduling for Numba's parallel loops: threads take work as they come free.

Numba's ``prange`` hands each thread one fixed share of the iterations (the OpenMP
threading layer runs ``#pragma omp for`` without a schedule clause, which libgomp runs
statically, and ``numba.set_parallel_chunksize`` only cuts the shares smaller; they
are still dealt out in advance). On a machine with other work, one descheduled thread
then holds up the whole kernel while the others wait for it. llvmpipe hands out tiles
as its threads come free and slows down far less.

So every parallel kernel runs ``prange`` over ``WORKERS`` iterations, and each
claims the next item (a tile, a band of rows, a block of vertices) from a shared
counter with an atomic fetch-and-add until none are left::

    next_item = np.zeros(1, np.int64)
    for _worker in prange(WORKERS):
        while True:
            item = claim(next_item)
            if item >= count:
                break
            ...  # work on item

or, the same loop with the claim at its ends (``claim_block`` hands out a block of
items as a range, clipped to ``count``; a ``continue`` in such a loop would skip the
claim, so the loop's own level has none)::

    next_block = np.zeros(1, np.int64)
    for _worker in prange(WORKERS):
        first, stop = claim_block(next_block, BLOCK, count)
        while first < stop:
            ...  # work on items first to stop - 1
            first, stop = claim_block(next_block, BLOCK, count)

Whichever thread comes free claims the next item; a thread that is descheduled for
a while simply claims fewer. A thread's first iteration works until the queue is
empty and its other iterations find it empty at once (a claim each: nothing). Every item is
claimed exactly once whatever the thread count or timing, so a kernel's results do
not depend on the schedule as long as each item writes only its own outputs.
Flat loops (vertices, rows) claim blocks of iterations, so that the claims cost
nothing next to the work.

What it does not remove: the end of every parallel region still waits until each
thread has shown up once, so a thread that is descheduled when a kernel starts still
delays it by however long the system takes to run it, though no longer by its share of
the work. And Numba does not know that ``claim`` writes the counter: read it after the
loop only outside the kernel (the tests pass the counter in for that).

Compile time: Numba types the body of a parallel loop twice (in the kernel, and in the
worker function it makes of the loop), and its parallel passes grow with the loop's
code. A kernel compiles fastest when the loop holds one call of a compiled function
that runs the whole claim loop (one thread's share), and when Numba's parallel
options are limited to ``prange`` (``parallel=prange_only()``): then ``np.zeros``
for the counter is a plain allocation, not one more parallel loop to compile.
"""

from __future__ import annotations

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

# prange iterations of a work-queue loop: at least one for every thread of any machine
# (Numba gives each thread an equal run of them). A constant rather than
# numba.get_num_threads(): calling that inside a kernel makes Numba refuse to cache it
# ("uses dynamic globals"), which would mean compiling again on every run.
WORKERS = 256


def prange_only() -> dict:
    """Numba's ``parallel`` option that turns only ``prange`` loops into parallel
    regions (no implicit parallel array expressions, reductions or fusion): less to
    compile. A new dict each call, as Numba empties the one it is given."""
    return {
        "comprehension": False,
        "reduction": False,
        "inplace_binop": False,
        "setitem": False,
        "numpy": False,
        "stencil": False,
        "fusion": False,
    }


@intrinsic
def claim(typingctx, counter):
    """Atomically counter[0] += 1; returns the value before (int64). counter: int64 (1,)
    C-contiguous array shared by the threads of one parallel region."""
    if not (isinstance(counter, types.Array) and counter.dtype == types.int64):
        return None
    sig = types.int64(counter)

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        array = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(
            context, builder, array_type, array, [context.get_constant(types.intp, 0)]
        )
        # monotonic: the counter orders nothing else; each item's data is written by
        # the one thread that claimed it and read after the parallel region ends
        return builder.atomic_rmw("add", pointer, ir.Constant(ir.IntType(64), 1), "monotonic")

    return sig, codegen


@njit(inline="always")
def claim_block(counter, block, count):
    """The next ``block`` items below ``count``, claimed from ``counter`` (see claim), as
    (first, stop): items first to stop - 1; first >= stop once none are left."""
    first = claim(counter) * block
    return first, min(first + block, count)
