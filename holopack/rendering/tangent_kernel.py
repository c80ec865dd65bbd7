"""View-space tangents of the PBR vertex table (Numba kernel): each vertex's tangent
(xyz) turned by the view's 3 x 3 rotation, its bitangent sign (w) kept.
``tangent_reference.py`` is the numpy twin the tests compare this kernel with.

Every frame of a normal-mapped model turns all its tangents (the camera moves). numpy
took FlightHelmet's 55,000 of them 0.75-1.1 ms of the main thread a frame (the product
0.2 ms, the copy into the table's strided columns most of the rest) while the other
thread waited; here the work pool's threads share them. Each component is the fused
multiply-adds ((t0 r0 + t1 r1) + t2 r2, one rounding each) that numpy's float32
product gives through OpenBLAS on this project's machines, so the table and the
pictures keep their bits.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from ..kernel_cache import refresh
from ..work_pool import run
from ..work_queue import claim_block

refresh(__file__, ["../work_queue.py"])

BLOCK = 4096  # vertices a thread claims at a time
ALONE = 8192  # up to this many vertices, one thread (waking the other costs more)


@intrinsic
def fma32(typingctx, a, b, c):
    """a * b + c in float32 with one rounding (LLVM's fma)."""
    if not all(isinstance(v, types.Float) for v in (a, b, c)):
        return None
    signature = types.float32(types.float32, types.float32, types.float32)

    def codegen(context, builder, sig, args):
        f32 = ir.FloatType()
        fnty = ir.FunctionType(f32, [f32, f32, f32])
        fma = cgutils.get_or_insert_function(builder.module, fnty, "llvm.fma.f32")
        return builder.call(fma, list(args))

    return signature, codegen


def view_tangents(world_tan, rotation, attr, column):
    """attr[i, column:column + 4] = (world_tan[i, :3] @ rotation, world_tan[i, 3]) for
    each of the N rows of world_tan (N, 4) float32 (w = 0 marks a vertex without a
    tangent: its row is zero); rotation (3, 3) float32 (the view's 3 x 3, transposed);
    attr (>= N, C) float32, the renderer's vertex table."""
    count = world_tan.shape[0]
    run(_tangent_blocks, np.zeros(1, np.int64), world_tan, rotation, attr, column, alone=count <= ALONE)


@njit(cache=True, error_model="numpy", nogil=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: not in the stubs
def _tangent_blocks(next_block, world_tan, rotation, attr, column):
    """One thread's share of view_tangents: blocks of BLOCK vertices until none are left."""
    while True:
        first, stop = claim_block(next_block, BLOCK, world_tan.shape[0])
        if first >= stop:
            break
        for i in range(first, stop):
            t0 = world_tan[i, 0]
            t1 = world_tan[i, 1]
            t2 = world_tan[i, 2]
            w = world_tan[i, 3]
            if w == 0.0:  # no tangent: zeros, not the signed zeros of a product
                for k in range(4):
                    attr[i, column + k] = 0.0
                continue
            for k in range(3):
                attr[i, column + k] = fma32(
                    t2, rotation[2, k], fma32(t1, rotation[1, k], t0 * rotation[0, k])
                )
            attr[i, column + 3] = w
