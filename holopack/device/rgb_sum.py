"""A weighted sum of RGB triples, one vector load per triple.

``weighted_rgb_sum(picture, offsets, weights, start, end)`` returns the three sums
``sum_k weights[k] * picture[offsets[k] + c]`` (c = 0, 1, 2) over ``start <= k < end``,
for a flat float32 picture of RGB triples. It is the resampler's inner loop.

Why an LLVM intrinsic: written as three scalar multiply-adds, each entry costs three
separate loads and six arithmetic instructions, and the loop runs at the front end's
limit (Numba has no way to say "these three floats are one vector"). Here each entry is
one unaligned <4 x float> load, one broadcast weight, one multiply and one add; the
fourth lane reads the float after the triple and is thrown away. That float must exist:
the caller guarantees ``offsets[k] + 4 <= picture.size`` (see resample.TiledTable.span).

The sums are bit-identical to the scalar loop's ``a += w * p`` per channel: the same
float32 operations in the same order, one lane each.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.extending import intrinsic


@intrinsic
def weighted_rgb_sum(typingctx, picture, offsets, weights, start, end):
    """picture float32 (N,), offsets uint32 (nnz,) float index of each triple,
    weights float32 (nnz,), start/end int64 -> (float32, float32, float32)."""
    if not (
        isinstance(picture, types.Array)
        and picture.dtype == types.float32
        and isinstance(offsets, types.Array)
        and offsets.dtype == types.uint32
        and isinstance(weights, types.Array)
        and weights.dtype == types.float32
        and picture.ndim == offsets.ndim == weights.ndim == 1
        and start == types.int64
        and end == types.int64
    ):
        return None
    signature = types.UniTuple(types.float32, 3)(picture, offsets, weights, start, end)

    def codegen(context, builder, sig, args):
        picture_t, offsets_t, weights_t = sig.args[:3]
        pixels = context.make_array(picture_t)(context, builder, args[0]).data
        offs = context.make_array(offsets_t)(context, builder, args[1]).data
        ws = context.make_array(weights_t)(context, builder, args[2]).data
        i32, i64 = ir.IntType(32), ir.IntType(64)
        quad = ir.VectorType(ir.FloatType(), 4)
        broadcast = ir.Constant(ir.VectorType(i32, 4), [0, 0, 0, 0])

        entry = builder.block
        test = builder.append_basic_block("rgbsum.test")
        body = builder.append_basic_block("rgbsum.body")
        done = builder.append_basic_block("rgbsum.done")
        builder.branch(test)

        builder.position_at_end(test)
        k = builder.phi(i64)
        total = builder.phi(quad)
        k.add_incoming(args[3], entry)
        total.add_incoming(ir.Constant(quad, [0.0] * 4), entry)
        builder.cbranch(builder.icmp_signed("<", k, args[4]), body, done)

        builder.position_at_end(body)
        offset = builder.zext(builder.load(builder.gep(offs, [k])), i64)
        texel = builder.load(builder.bitcast(builder.gep(pixels, [offset]), quad.as_pointer()), align=4)
        weight = builder.insert_element(
            ir.Constant(quad, ir.Undefined), builder.load(builder.gep(ws, [k])), ir.Constant(i32, 0)
        )
        weight = builder.shuffle_vector(weight, ir.Constant(quad, ir.Undefined), broadcast)
        k.add_incoming(builder.add(k, ir.Constant(i64, 1)), body)
        total.add_incoming(builder.fadd(total, builder.fmul(texel, weight)), body)
        builder.branch(test)

        builder.position_at_end(done)
        lanes = [builder.extract_element(total, ir.Constant(i32, c)) for c in range(3)]
        return context.make_tuple(builder, sig.return_type, lanes)

    return signature, codegen
