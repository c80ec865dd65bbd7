"""Small Gaussian splat PLYs for the tests, written here from the published 3DGS layout
with numpy alone (holopack's reader is what the tests check)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SH_C0 = 0.28209479177387814


def write_splat_ply(path: Path, means, scales, opacities, colours, quaternions=None) -> Path:
    """A degree-0 3DGS PLY: ``scales`` linear (written as logs), ``opacities`` in (0, 1)
    (written as logits), ``colours`` the degree-0 colour in [0, 1] (written as f_dc),
    ``quaternions`` w x y z (default: no rotation)."""
    means = np.asarray(means, np.float64).reshape(-1, 3)
    n = len(means)
    names = ["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2", "opacity"]
    names += ["scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"]
    rows = np.zeros((n, len(names)), "<f4")
    rows[:, 0:3] = means
    rows[:, 6:9] = (np.asarray(colours, np.float64).reshape(n, 3) - 0.5) / SH_C0
    p = np.asarray(opacities, np.float64).reshape(n)
    rows[:, 9] = np.log(p / (1.0 - p))
    rows[:, 10:13] = np.log(np.asarray(scales, np.float64).reshape(n, 3))
    rows[:, 13:17] = (1.0, 0.0, 0.0, 0.0) if quaternions is None else quaternions
    header = f"ply\nformat binary_little_endian 1.0\nelement vertex {n}\n"
    header += "".join(f"property float {name}\n" for name in names) + "end_header\n"
    path.write_bytes(header.encode("ascii") + rows.tobytes())
    return path


def sphere_twin(path: Path, count: int = 600, floaters: int = 0, seed: int = 0, radius: float = 1.0) -> Path:
    """``count`` opaque splats on a sphere of ``radius`` at the origin, red on top (+Y)
    and blue below, and ``floaters`` faint ones far out."""
    rng = np.random.default_rng(seed)
    d = rng.normal(size=(count, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    colours = np.where(d[:, 1:2] > 0, [0.9, 0.1, 0.1], [0.1, 0.1, 0.9])
    means = d * radius
    scales = np.full((count, 3), radius * 0.12)
    opacities = np.full(count, 0.95)
    if floaters:
        far = rng.uniform(-20.0, 20.0, (floaters, 3)) * radius
        means = np.concatenate([means, far])
        scales = np.concatenate([scales, np.full((floaters, 3), radius * 0.05)])
        opacities = np.concatenate([opacities, np.full(floaters, 0.05)])
        colours = np.concatenate([colours, np.full((floaters, 3), 0.5)])
    return write_splat_ply(path, means, scales, opacities, colours)


# -- the compact formats, each written from its published description --------------------


def _unit_wxyz(quaternions, n) -> np.ndarray:
    q = np.tile([1.0, 0.0, 0.0, 0.0], (n, 1)) if quaternions is None else np.asarray(quaternions, np.float64)
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def write_dot_splat(path: Path, means, scales, opacities, colours, quaternions=None) -> Path:
    """antimatter15's .splat: 32-byte records of position (3 x f32), linear scale (3 x f32),
    RGBA bytes (colour and opacity x 255) and the unit quaternion w x y z as q x 128 + 128."""
    means = np.asarray(means, np.float64).reshape(-1, 3)
    n = len(means)
    record = np.dtype([("p", "<f4", 3), ("s", "<f4", 3), ("c", "u1", 4), ("r", "u1", 4)])
    rows = np.zeros(n, record)
    rows["p"] = means
    rows["s"] = np.asarray(scales, np.float64).reshape(n, 3)
    rgba = np.concatenate(
        [np.asarray(colours, np.float64).reshape(n, 3), np.asarray(opacities).reshape(n, 1)], 1
    )
    rows["c"] = np.clip(np.round(rgba * 255), 0, 255)
    rows["r"] = np.clip(np.round(_unit_wxyz(quaternions, n) * 128 + 128), 0, 255)
    path.write_bytes(rows.tobytes())
    return path


def write_spz(
    path: Path, means, scales, opacities, colours, quaternions=None, version=3, rest=None, flags=0, bits=12
) -> Path:
    """Niantic's .spz (versions 2 and 3): a gzip stream of the 16-byte header and the
    attribute blocks (24-bit fixed-point positions, alpha bytes, colour bytes of f_dc x
    0.15 x 255 + 127.5, log-scale bytes (log + 10) x 16, rotations, SH bytes x 128 + 128
    with the channel varying fastest). ``rest``: (n, K, 3) higher SH coefficients."""
    import gzip
    import struct

    means = np.asarray(means, np.float64).reshape(-1, 3)
    n = len(means)
    k = 0 if rest is None else np.asarray(rest).shape[1]
    degree = {0: 0, 3: 1, 8: 2, 15: 3, 24: 4}[k]
    fixed = np.round(means * (1 << bits)).astype(np.int64) & 0xFFFFFF
    positions = np.stack([fixed & 0xFF, (fixed >> 8) & 0xFF, (fixed >> 16) & 0xFF], -1).astype(np.uint8)
    alphas = np.clip(np.round(np.asarray(opacities, np.float64) * 255), 0, 255).astype(np.uint8)
    dc = (np.asarray(colours, np.float64).reshape(n, 3) - 0.5) / SH_C0
    colour_bytes = np.clip(np.round(dc * 0.15 * 255 + 127.5), 0, 255).astype(np.uint8)
    scale_bytes = np.clip(np.round((np.log(np.asarray(scales, np.float64).reshape(n, 3)) + 10) * 16), 0, 255)
    q = _unit_wxyz(quaternions, n)[:, [1, 2, 3, 0]]  # x y z w
    if version == 2:
        q = np.where(q[:, 3:4] < 0, -q, q)
        rotations = np.clip(np.round((q[:, :3] + 1) * 127.5), 0, 255).astype(np.uint8)
    else:
        words = np.zeros(n, np.uint32)
        for row in range(n):
            largest = int(np.argmax(np.abs(q[row])))
            sign = q[row, largest] < 0
            word = largest
            for i in range(4):
                if i != largest:
                    negative = (q[row, i] < 0) != sign
                    magnitude = int(round(511 * abs(q[row, i]) / np.sqrt(0.5)))
                    word = (word << 10) | (int(negative) << 9) | magnitude
            words[row] = word
        rotations = words.view(np.uint8).reshape(n, 4)
    sh = np.zeros((n, k, 3), np.uint8)
    if k:
        sh = np.clip(np.round(np.asarray(rest, np.float64) * 128 + 128), 0, 255).astype(np.uint8)
    header = struct.pack("<IIIBBBB", 0x5053474E, version, n, degree, bits, flags, 0)
    body = b"".join(
        a.tobytes() for a in (positions, alphas, colour_bytes, scale_bytes.astype(np.uint8), rotations, sh)
    )
    path.write_bytes(gzip.compress(header + body))
    return path


def write_compressed_ply(path: Path, means, scales, opacities, colours, quaternions=None, rest=None) -> Path:
    """PlayCanvas's compressed PLY: chunks of 256 with float bounds (position, log scale,
    colour), four packed uint32 a splat (11-10-11 position and log scale fractions,
    2.10.10.10 rotation in w x y z order, RGBA bytes), optional uint8 SH bytes (value + 4)
    x 255 / 8 in the 3DGS order."""
    means = np.asarray(means, np.float64).reshape(-1, 3)
    n = len(means)
    log_scales = np.log(np.asarray(scales, np.float64).reshape(n, 3))
    colours = np.asarray(colours, np.float64).reshape(n, 3)
    q = _unit_wxyz(quaternions, n)
    chunks = (n + 255) // 256
    bounds = np.zeros((chunks, 18), "<f4")
    words = np.zeros((n, 4), "<u4")

    def fraction(v, lo, hi, bits):
        t = np.where(hi > lo, (v - lo) / np.where(hi > lo, hi - lo, 1), 0)
        return np.round(np.clip(t, 0, 1) * ((1 << bits) - 1)).astype(np.uint32)

    for c in range(chunks):
        rows = slice(c * 256, min(n, (c + 1) * 256))
        m, s, col = means[rows], log_scales[rows], colours[rows]
        lo_m, hi_m, lo_s, hi_s = m.min(0), m.max(0), s.min(0), s.max(0)
        lo_c, hi_c = col.min(0), col.max(0)
        bounds[c] = np.concatenate([lo_m, hi_m, lo_s, hi_s, lo_c, hi_c])
        for column, (v, lo, hi) in ((0, (m, lo_m, hi_m)), (2, (s, lo_s, hi_s))):
            f = [fraction(v[:, i], lo[i], hi[i], b) for i, b in enumerate((11, 10, 11))]
            words[rows, column] = (f[0] << 21) | (f[1] << 11) | f[2]
        cf = [fraction(col[:, i], lo_c[i], hi_c[i], 8) for i in range(3)]
        a = np.round(np.clip(np.asarray(opacities, np.float64).reshape(n)[rows], 0, 1) * 255).astype(
            np.uint32
        )
        words[rows, 3] = (cf[0] << 24) | (cf[1] << 16) | (cf[2] << 8) | a
    for row in range(n):
        largest = int(np.argmax(np.abs(q[row])))
        v = q[row] * (1 if q[row, largest] >= 0 else -1)
        word = largest
        for i in range(4):
            if i != largest:
                word = (word << 10) | int(round((v[i] / np.sqrt(2) + 0.5) * 1023))
        words[row, 1] = word
    lines = ["ply", "format binary_little_endian 1.0", f"element chunk {chunks}"]
    names = ["min_x", "min_y", "min_z", "max_x", "max_y", "max_z"]
    names += ["min_scale_x", "min_scale_y", "min_scale_z", "max_scale_x", "max_scale_y", "max_scale_z"]
    names += ["min_r", "min_g", "min_b", "max_r", "max_g", "max_b"]
    lines += [f"property float {name}" for name in names]
    lines += [f"element vertex {n}"]
    lines += [
        f"property uint {name}"
        for name in ("packed_position", "packed_rotation", "packed_scale", "packed_color")
    ]
    data = bounds.tobytes() + words.tobytes()
    if rest is not None:
        rest = np.asarray(rest, np.float64)  # (n, K, 3)
        k = rest.shape[1]
        lines += [f"element sh {n}"] + [f"property uchar f_rest_{i}" for i in range(3 * k)]
        ordered = np.concatenate([rest[:, :, c] for c in range(3)], axis=1)  # R's K, then G's, then B's
        data += np.clip(np.round((ordered + 4) * 255 / 8), 0, 255).astype(np.uint8).tobytes()
    path.write_bytes(("\n".join(lines) + "\nend_header\n").encode("ascii") + data)
    return path


def write_sog(
    path: Path, means, scales, opacities, colours, quaternions=None, rest=None, zipped=True
) -> Path:
    """PlayCanvas's SOG (version 2): lossless WebP pictures, pixel i splat i, and a
    meta.json: 16-bit positions of sign(v) log(|v| + 1) in two pictures, scale and DC
    codebook indices (256-entry codebooks, here evenly spread over each range), the
    quaternion's three smaller components (w x y z order) with the largest's index in A
    (252 + index), opacity in sh0's A, and with ``rest`` (n, K, 3) an SH palette of one
    entry a splat. ``zipped``: one .sog archive at ``path``; else a folder at ``path``
    whose meta.json is returned."""
    import io
    import json
    import zipfile

    from PIL import Image

    means = np.asarray(means, np.float64).reshape(-1, 3)
    n = len(means)
    width = int(np.ceil(np.sqrt(n)))
    height = (n + width - 1) // width

    def picture(values: np.ndarray) -> bytes:
        rgba = np.zeros((width * height, 4), np.uint8)
        rgba[:n, : values.shape[1]] = values
        if values.shape[1] < 4:
            rgba[:, 3] = 255
        buffer = io.BytesIO()
        Image.fromarray(rgba.reshape(height, width, 4), "RGBA").save(
            buffer, "WEBP", lossless=True, exact=True
        )
        return buffer.getvalue()

    def nearest(values: np.ndarray, codebook: np.ndarray) -> np.ndarray:
        return np.abs(values[..., None] - codebook).argmin(-1).astype(np.uint8)

    logged = np.sign(means) * np.log1p(np.abs(means))
    lo, hi = logged.min(0), logged.max(0)
    q16 = np.round((logged - lo) / (hi - lo) * 65535).astype(np.int64)
    log_scales = np.log(np.asarray(scales, np.float64).reshape(n, 3))
    scale_book = np.linspace(log_scales.min(), log_scales.max(), 256)
    dc = (np.asarray(colours, np.float64).reshape(n, 3) - 0.5) / SH_C0
    dc_book = np.linspace(dc.min(), dc.max(), 256)
    q = _unit_wxyz(quaternions, n)
    largest = np.abs(q).argmax(1)
    q = q * np.where(q[np.arange(n), largest] < 0, -1.0, 1.0)[:, None]
    quats = np.zeros((n, 4), np.uint8)
    for row in range(n):
        others = [i for i in range(4) if i != largest[row]]
        quats[row, :3] = np.clip(np.round((q[row, others] / np.sqrt(2) + 0.5) * 255), 0, 255)
        quats[row, 3] = 252 + largest[row]
    alpha = np.clip(np.round(np.asarray(opacities, np.float64).reshape(n) * 255), 0, 255).astype(np.uint8)
    files = {
        "means_l.webp": picture((q16 & 255).astype(np.uint8)),
        "means_u.webp": picture((q16 >> 8).astype(np.uint8)),
        "scales.webp": picture(nearest(log_scales, scale_book)),
        "quats.webp": picture(quats),
        "sh0.webp": picture(np.concatenate([nearest(dc, dc_book), alpha[:, None]], 1)),
    }
    meta = {
        "version": 2,
        "count": n,
        "antialias": False,
        "means": {"mins": lo.tolist(), "maxs": hi.tolist(), "files": ["means_l.webp", "means_u.webp"]},
        "scales": {"codebook": scale_book.tolist(), "files": ["scales.webp"]},
        "quats": {"files": ["quats.webp"]},
        "sh0": {"codebook": dc_book.tolist(), "files": ["sh0.webp"]},
    }
    if rest is not None:
        rest = np.asarray(rest, np.float64)
        k = rest.shape[1]
        book = np.linspace(rest.min(), rest.max(), 256)
        rows = (n + 63) // 64
        centroids = np.zeros((rows, 64 * k, 4), np.uint8)
        centroids[..., 3] = 255
        for entry in range(n):
            centroids[entry // 64, (entry % 64) * k : (entry % 64 + 1) * k, :3] = nearest(rest[entry], book)
        labels = np.stack([np.arange(n) & 255, np.arange(n) >> 8], 1).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(centroids, "RGBA").save(buffer, "WEBP", lossless=True, exact=True)
        files["shN_centroids.webp"] = buffer.getvalue()
        files["shN_labels.webp"] = picture(labels)
        bands = {3: 1, 8: 2, 15: 3}[k]
        meta["shN"] = {
            "count": n,
            "bands": bands,
            "codebook": book.tolist(),
            "files": ["shN_centroids.webp", "shN_labels.webp"],
        }
    files["meta.json"] = json.dumps(meta).encode()
    if zipped:
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in files.items():
                archive.writestr(name, data)
        return path
    path.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (path / name).write_bytes(data)
    return path / "meta.json"
