"""The weighted sum of four RGBA16 texels, as vector arithmetic.

``mix_texels(pool, i0, i1, i2, i3, w0, w1, w2, w3)`` returns the four channels of
``sum_k w_k * pool[i_k]`` for the (P, 4) uint16 texel pool (texture_kernel.py), as float64.
It is the inside of every bilinear fetch. ``pool`` may also be a pointer to the pool's first
texel (``data_pointer(pool)``), as the sampler takes it.

Why an LLVM intrinsic: written per channel, a bilinear fetch is sixteen 16-bit loads,
sixteen integer-to-float conversions and sixteen multiply-adds, and the conversions
alone held the textured shading of a 1024-px frame to a few milliseconds. Here each
texel is one 64-bit load of its four channels, one vector conversion and one vector
multiply-add. The arithmetic is float32 (the texels have 16 bits; the weights and the
sum keep 24), which moves results by about 1e-7 of full scale.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def mix_texels(typingctx, pool, i0, i1, i2, i3, w0, w1, w2, w3):
    """pool uint16 (P, 4) C-contiguous, or a uint16 pointer to its first texel; i* int64
    texel rows; w* float64 weights -> (float64,) * 4, the weighted sum of the four texels' RGBA."""
    array = isinstance(pool, types.Array)
    if not (
        (
            (array and pool.dtype == types.uint16 and pool.ndim == 2 and pool.layout == "C")
            or (isinstance(pool, types.CPointer) and pool.dtype == types.uint16)
        )
        and all(isinstance(i, types.Integer) for i in (i0, i1, i2, i3))
        and all(w == types.float64 for w in (w0, w1, w2, w3))
    ):
        return None
    signature = types.UniTuple(types.float64, 4)(pool, i0, i1, i2, i3, w0, w1, w2, w3)

    def codegen(context, builder, sig, args):
        texels = context.make_array(sig.args[0])(context, builder, args[0]).data if array else args[0]
        i32, i64 = ir.IntType(32), ir.IntType(64)
        quad_u16 = ir.VectorType(ir.IntType(16), 4)
        quad = ir.VectorType(ir.FloatType(), 4)
        broadcast = ir.Constant(ir.VectorType(i32, 4), [0, 0, 0, 0])
        total = None
        for k in range(4):
            index = context.cast(builder, args[1 + k], sig.args[1 + k], types.int64)
            row = builder.gep(texels, [builder.mul(index, ir.Constant(i64, 4))])
            rgba = builder.uitofp(builder.load(builder.bitcast(row, quad_u16.as_pointer()), align=2), quad)
            weight = builder.fptrunc(args[5 + k], ir.FloatType())
            weight = builder.insert_element(ir.Constant(quad, ir.Undefined), weight, ir.Constant(i32, 0))
            weight = builder.shuffle_vector(weight, ir.Constant(quad, ir.Undefined), broadcast)
            term = builder.fmul(rgba, weight)
            total = term if total is None else builder.fadd(total, term)
        channels = [
            builder.fpext(builder.extract_element(total, ir.Constant(i32, c)), ir.DoubleType())
            for c in range(4)
        ]
        return context.make_tuple(builder, sig.return_type, channels)

    return signature, codegen


@intrinsic
def data_pointer(typingctx, array):
    """A C-contiguous array's first element as a typed pointer: indexing it (``p[i]``)
    reads element i of the flattened array, with no bounds or negative-index handling."""
    if not (isinstance(array, types.Array) and array.layout == "C"):
        return None
    signature = types.CPointer(array.dtype)(array)

    def codegen(context, builder, sig, args):
        return context.make_array(sig.args[0])(context, builder, args[0]).data

    return signature, codegen


@intrinsic
def prefetch_texel(typingctx, pool, row):
    """Ask the CPU to start loading the cache line of texel ``row`` of the pool (a uint16
    pointer to its first texel, as ``data_pointer`` gives it) while other work goes on:
    a hint that changes no result. The row may lie outside the pool: a prefetch never
    faults and reads nothing there."""
    if not (
        isinstance(pool, types.CPointer) and pool.dtype == types.uint16 and isinstance(row, types.Integer)
    ):
        return None
    signature = types.void(pool, row)

    def codegen(context, builder, sig, args):
        i64 = ir.IntType(64)
        index = context.cast(builder, args[1], sig.args[1], types.int64)
        # a plain address computation (no inbounds GEP): the row may be any number
        emit_prefetch(
            builder, builder.add(builder.ptrtoint(args[0], i64), builder.mul(index, ir.Constant(i64, 8)))
        )
        return context.get_dummy_value()

    return signature, codegen


def emit_prefetch(builder, address):
    """Emit LLVM's prefetch of the cache line at ``address`` (an integer the width of a
    pointer): a read, kept in all cache levels, of data. The codegen of every prefetch
    intrinsic (this module's prefetch_texel, raster_kernel's _prefetch)."""
    byte = ir.IntType(8).as_pointer()
    i32 = ir.IntType(32)
    fnty = ir.FunctionType(ir.VoidType(), [byte, i32, i32, i32])
    prefetch = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
    builder.call(prefetch, [builder.inttoptr(address, byte), i32(0), i32(3), i32(1)])
