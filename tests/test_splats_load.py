"""Reading 3D Gaussian Splatting PLYs: the bytes are written here from the published
layout (Kerbl et al. 2023's point_cloud.ply), not by holopack's own code."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from holopack.errors import InputError
from holopack.scene.load import load


# the property order 3DGS's trainer writes: position, normal (zeros), DC colour, the
# higher-degree coefficients channel by channel, opacity logit, log scales, quaternion
# w x y z
def layout(rest: int) -> list[str]:
    return (
        ["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"]
        + [f"f_rest_{i}" for i in range(rest)]
        + ["opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"]
    )


def ply_bytes(
    rows: list[dict], rest: int = 0, endian: str = "<", count: int | None = None, fmt=None
) -> bytes:
    names = layout(rest)
    word = fmt or ("binary_little_endian" if endian == "<" else "binary_big_endian")
    header = f"ply\nformat {word} 1.0\nelement vertex {len(rows) if count is None else count}\n"
    header += "".join(f"property float {n}\n" for n in names) + "end_header\n"
    body = b"".join(struct.pack(endian + "f" * len(names), *(row.get(n, 0.0) for n in names)) for row in rows)
    return header.encode("ascii") + body


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


ROW = {
    "x": 1.0,
    "y": -2.0,
    "z": 0.5,
    "f_dc_0": 0.1,
    "f_dc_1": 0.2,
    "f_dc_2": 0.3,
    "opacity": 1.5,
    "scale_0": -3.0,
    "scale_1": -1.0,
    "scale_2": 0.25,
    "rot_0": 2.0,  # w
    "rot_1": 0.0,
    "rot_2": 2.0,  # y
    "rot_3": 0.0,
}


@pytest.mark.parametrize("endian", ["<", ">"])
def test_the_published_layout_reads_with_sigmoid_exp_and_normalised_xyzw(tmp_path, endian):
    path = tmp_path / "twin.ply"
    second = dict(ROW, x=4.0, opacity=-2.0, rot_0=0.0, rot_1=0.0, rot_2=0.0, rot_3=-3.0)
    path.write_bytes(ply_bytes([ROW, second], endian=endian))
    scene = load(path)
    splats = scene.splats
    assert splats is not None and len(splats) == 2 and splats.degree == 0
    assert not scene.draw_items and not scene.is_media
    np.testing.assert_allclose(splats.means[0], [1.0, -2.0, 0.5])
    np.testing.assert_allclose(splats.scales[0], [math.exp(-3.0), math.exp(-1.0), math.exp(0.25)], rtol=1e-6)
    np.testing.assert_allclose(splats.opacities, [sigmoid(1.5), sigmoid(-2.0)], rtol=1e-6)
    # w = 2, y = 2 -> unit (x, y, z, w) = (0, 0.7071, 0, 0.7071); w = 0, z = -3 -> (0, 0, -1, 0)
    np.testing.assert_allclose(splats.rotations[0], [0.0, math.sqrt(0.5), 0.0, math.sqrt(0.5)], atol=1e-7)
    np.testing.assert_allclose(splats.rotations[1], [0.0, 0.0, -1.0, 0.0], atol=1e-7)
    np.testing.assert_allclose(splats.sh[0, 0], [0.1, 0.2, 0.3], rtol=1e-6)
    for array, dtype in ((splats.means, np.float32), (splats.sh, np.float32), (splats.opacities, np.float32)):
        assert array.dtype == dtype


def test_f_rest_is_read_channel_by_channel(tmp_path):
    # degree 1: 9 f_rest values, R's three coefficients first, then G's, then B's
    row = dict(ROW, **{f"f_rest_{i}": float(10 + i) for i in range(9)})
    path = tmp_path / "sh1.ply"
    path.write_bytes(ply_bytes([row], rest=9))
    splats = load(path).splats
    assert splats.sh.shape == (1, 4, 3) and splats.degree == 1
    np.testing.assert_array_equal(splats.sh[0, 1:, 0], [10, 11, 12])  # red, degree-1 coefficients
    np.testing.assert_array_equal(splats.sh[0, 1:, 1], [13, 14, 15])
    np.testing.assert_array_equal(splats.sh[0, 1:, 2], [16, 17, 18])


@pytest.mark.parametrize("rest, degree", [(24, 2), (45, 3)])
def test_every_published_degree_reads(tmp_path, rest, degree):
    path = tmp_path / "sh.ply"
    path.write_bytes(ply_bytes([ROW] * 3, rest=rest))
    splats = load(path).splats
    assert splats.degree == degree and splats.sh.shape == (3, (degree + 1) ** 2, 3)


def test_a_count_of_f_rest_outside_the_layout_is_refused(tmp_path):
    path = tmp_path / "odd.ply"
    path.write_bytes(ply_bytes([ROW], rest=6))
    with pytest.raises(InputError, match="6 f_rest properties"):
        load(path)


def test_a_header_asking_for_a_billion_splats_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.ply"
    path.write_bytes(ply_bytes([ROW], count=1_000_000_000))
    with pytest.raises(InputError, match="memory budget"):
        load(path)


def test_a_file_cut_short_says_how_many_splats_it_holds(tmp_path):
    path = tmp_path / "short.ply"
    path.write_bytes(ply_bytes([ROW] * 3, count=5))
    with pytest.raises(InputError, match="declares 5 splats but the file holds 3"):
        load(path)


def test_rows_with_values_that_are_not_numbers_are_left_out_with_a_warning(tmp_path):
    path = tmp_path / "nan.ply"
    bad = dict(ROW, x=float("nan"))
    huge = dict(ROW, scale_1=1000.0)  # exp overflows
    path.write_bytes(ply_bytes([ROW, bad, huge, dict(ROW, rot_0=0.0, rot_2=0.0)]))
    scene = load(path)
    assert len(scene.splats) == 2
    assert any("2 of 4 splats" in w for w in scene.warnings)
    assert any("zero rotation" in w for w in scene.warnings)
    np.testing.assert_allclose(scene.splats.rotations[1], [0.0, 0.0, 0.0, 1.0])


def test_ascii_splats_and_malformed_compressed_splats_are_refused_in_one_line(tmp_path):
    path = tmp_path / "ascii.ply"
    names = layout(0)
    text = "ply\nformat ascii 1.0\nelement vertex 1\n" + "".join(f"property float {n}\n" for n in names)
    path.write_text(text + "end_header\n" + " ".join("0" for _ in names) + "\n")
    with pytest.raises(InputError, match="ascii format"):
        load(path)
    packed = tmp_path / "packed.ply"
    packed.write_bytes(
        b"ply\nformat binary_little_endian 1.0\nelement chunk 1\nproperty float min_x\n"
        b"element vertex 1\nproperty uint packed_position\nproperty uint packed_rotation\n"
        b"end_header\n" + bytes(12)
    )
    with pytest.raises(InputError, match="compressed Gaussian splat"):
        load(packed)


@pytest.mark.parametrize(
    ("dropped", "said"),
    [
        (["opacity"], "without the property opacity;"),
        (["scale_0", "rot_3"], "without the properties scale_0, rot_3;"),
    ],
)
def test_a_splat_ply_missing_some_3dgs_properties_names_them(tmp_path, dropped, said):
    # trimesh read such a file as a point cloud ("no triangles to draw")
    data = ply_bytes([ROW] * 4)
    for name in dropped:
        data = data.replace(f"property float {name}\n".encode(), b"")
    path = tmp_path / "lost.ply"
    path.write_bytes(data)
    with pytest.raises(InputError, match=f"a Gaussian splat PLY {said} the 3DGS layout has x y z"):
        load(path)


def test_a_ply_header_without_end_header_in_its_first_64_kb_is_refused_in_its_words(tmp_path):
    # 300 MB of comments ran trimesh 7.6 s to "list index out of range"; 1 MB of one
    # comment line was read as a point cloud
    head = ply_bytes([ROW]).split(b"end_header")[0]
    endless = tmp_path / "endless.ply"
    endless.write_bytes(head + b"comment no end\n" * 10_000)
    with pytest.raises(InputError, match="the PLY header runs past 64 KB with no end_header"):
        load(endless)
    long_line = tmp_path / "long.ply"
    long_line.write_bytes(head + b"comment " + b"x" * (1 << 20) + b"\nend_header\n" + bytes(68))
    with pytest.raises(InputError, match="the PLY header runs past 64 KB with no end_header"):
        load(long_line)


def test_a_point_cloud_ply_is_still_refused_as_a_point_cloud(tmp_path):
    path = tmp_path / "cloud.ply"
    header = "ply\nformat binary_little_endian 1.0\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\nend_header\n"
    path.write_bytes(header.encode() + struct.pack("<6f", 0, 0, 0, 1, 1, 1))
    with pytest.raises(InputError, match="point cloud"):
        load(path)


def test_extra_properties_of_other_types_between_the_splat_ones_are_skipped(tmp_path):
    # some exporters add 8-bit colours and double positions; the row layout follows the header
    header = (
        "ply\nformat binary_little_endian 1.0\ncomment exported\nelement vertex 2\n"
        "property double x\nproperty double y\nproperty double z\n"
        "property uchar red\nproperty uchar green\nproperty uchar blue\n"
        + "".join(f"property float {n}\n" for n in ["f_dc_0", "f_dc_1", "f_dc_2", "opacity"])
        + "".join(f"property float {n}\n" for n in ["scale_0", "scale_1", "scale_2"])
        + "".join(f"property float {n}\n" for n in ["rot_0", "rot_1", "rot_2", "rot_3"])
        + "element face 0\nproperty list uchar int vertex_indices\nend_header\n"
    )
    rows = b"".join(
        struct.pack(
            "<3d3B11f", x, -1.0, 2.0, 255, 0, 7, 0.1, 0.2, 0.3, 0.0, -1.0, -2.0, -3.0, 1.0, 0.0, 0.0, 0.0
        )
        for x in (0.25, 0.5)
    )
    path = tmp_path / "extra.ply"
    path.write_bytes(header.encode("ascii") + rows)
    splats = load(path).splats
    np.testing.assert_allclose(splats.means, [[0.25, -1.0, 2.0], [0.5, -1.0, 2.0]])
    np.testing.assert_allclose(splats.opacities, [0.5, 0.5])
    np.testing.assert_allclose(splats.scales[1], np.exp([-1.0, -2.0, -3.0]), rtol=1e-6)
    np.testing.assert_allclose(splats.sh[1, 0], [0.1, 0.2, 0.3], rtol=1e-6)
