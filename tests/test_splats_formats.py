"""Gaussian splat twins in the compact formats people hand over: antimatter15's .splat
(the web viewers'), Niantic's .spz (Scaniverse), and PlayCanvas's compressed PLY and SOG
(SuperSplat). Each test file is written here from the format's published description
with numpy alone (tests/_splat_files.py), from known splats; the reader must give those
splats back within each format's quantisation step, and a twin must draw as its 3DGS
.ply does. Broken files are one line naming the fault."""

from __future__ import annotations

import gzip
import struct
import zipfile

import numpy as np
import pytest
from _splat_files import SH_C0, write_compressed_ply, write_dot_splat, write_sog, write_splat_ply, write_spz
from PIL import Image

from holopack.cli import main
from holopack.errors import InputError
from holopack.scene.load import load

N = 700  # three compressed chunks, the last one partial


@pytest.fixture(scope="module")
def truth():
    """Known splats: a ball of centres, varied scales, opacities, colours and rotations."""
    rng = np.random.default_rng(7)
    d = rng.normal(size=(N, 3))
    means = d / np.linalg.norm(d, axis=1, keepdims=True) * rng.uniform(0.6, 1.0, (N, 1))
    scales = np.exp(rng.uniform(np.log(0.01), np.log(0.08), (N, 3)))
    opacities = rng.uniform(0.3, 0.98, N)
    colours = np.where(means[:, 1:2] > 0, [0.9, 0.15, 0.1], [0.1, 0.2, 0.85]) + rng.uniform(
        -0.05, 0.05, (N, 3)
    )
    q = rng.normal(size=(N, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return {"means": means, "scales": scales, "opacities": opacities, "colours": colours, "wxyz": q}


def write(kind: str, path, t, **extra):
    args = (path, t["means"], t["scales"], t["opacities"], t["colours"], t["wxyz"])
    return {
        "ply": write_splat_ply,
        "splat": write_dot_splat,
        "spz": write_spz,
        "compressed": write_compressed_ply,
        "sog": write_sog,
    }[kind](*args, **extra)


SUFFIX = {"ply": ".ply", "splat": ".splat", "spz": ".spz", "compressed": ".compressed.ply", "sog": ".sog"}
# each format's step: position (of the ball's 2-unit span), log scale, colour, opacity,
# quaternion component
STEPS = {
    "splat": (1e-6, 1e-6, 1 / 255, 1 / 255, 1 / 128),
    "spz": (1 / 4096, 1 / 16, 0.5 * SH_C0 / (0.15 * 255) * 2, 1 / 255, np.sqrt(0.5) / 511),
    "compressed": (2 / 1023, (np.log(0.08) - np.log(0.01)) / 1023, 0.9 / 255, 1 / 255, np.sqrt(2) / 1023),
    # 16 bits of log(|v| + 1); codebooks of 256 over each range
    "sog": (
        2 * np.log(2) / 65535 * 2,
        (np.log(0.08) - np.log(0.01)) / 255,
        0.9 / 255,
        1 / 255,
        np.sqrt(2) / 255,
    ),
}


def same_rotation(a_xyzw: np.ndarray, b_wxyz: np.ndarray) -> np.ndarray:
    """|cos| of the angle between two sets of unit quaternions (q and -q are one rotation)."""
    return np.abs(np.sum(a_xyzw * b_wxyz[:, [1, 2, 3, 0]], axis=1))


@pytest.mark.parametrize("kind", ["splat", "spz", "compressed", "sog"])
def test_each_format_gives_the_splats_back_within_its_step(tmp_path, truth, kind):
    splats = load(write(kind, tmp_path / f"twin{SUFFIX[kind]}", truth)).splats
    assert splats is not None and len(splats) == N
    position, log_scale, colour, opacity, component = STEPS[kind]
    np.testing.assert_allclose(splats.means, truth["means"], atol=position + 1e-6)
    np.testing.assert_allclose(np.log(splats.scales), np.log(truth["scales"]), atol=log_scale + 1e-5)
    np.testing.assert_allclose(0.5 + SH_C0 * splats.sh[:, 0], truth["colours"], atol=colour + 1e-5)
    np.testing.assert_allclose(splats.opacities, truth["opacities"], atol=opacity + 1e-6)
    np.testing.assert_allclose(np.linalg.norm(splats.rotations, axis=1), 1.0, atol=1e-5)
    assert same_rotation(splats.rotations, truth["wxyz"]).min() > 1 - 4 * component


def test_spz_version_2_and_higher_degrees_read_too(tmp_path, truth):
    rng = np.random.default_rng(3)
    rest = rng.uniform(-0.9, 0.9, (N, 8, 3))  # degree 2
    splats = load(write("spz", tmp_path / "v2.spz", truth, version=2, rest=rest)).splats
    assert splats is not None and splats.degree == 2
    np.testing.assert_allclose(splats.sh[:, 1:], rest, atol=0.5 / 128 + 1e-6)
    assert same_rotation(splats.rotations, truth["wxyz"]).min() > 0.99
    deg4 = load(write("spz", tmp_path / "deg4.spz", truth, rest=rng.uniform(-0.5, 0.5, (N, 24, 3))))
    assert deg4.splats is not None and deg4.splats.degree == 3
    assert any("degree 4" in w for w in deg4.warnings)


def test_compressed_ply_reads_its_spherical_harmonics_in_the_3dgs_order(tmp_path, truth):
    rest = np.random.default_rng(5).uniform(-3.5, 3.5, (N, 3, 3))  # degree 1
    splats = load(write("compressed", tmp_path / "sh.compressed.ply", truth, rest=rest)).splats
    assert splats is not None and splats.degree == 1
    np.testing.assert_allclose(splats.sh[:, 1:], rest, atol=4 / 255 + 1e-6)


def render(path, tmp_path, name) -> np.ndarray:
    out = tmp_path / f"{name}.png"
    argv = ["export", str(path), "-o", str(out), "--device", "mp4-fan", "--size", "128", "--seconds", "0.02"]
    assert main([*argv, "--turntable", "0", "-q"]) == 0
    return np.asarray(Image.open(out).convert("RGB")).astype(float)


def test_each_format_draws_as_the_3dgs_ply_of_the_same_splats(tmp_path, truth):
    reference = render(write("ply", tmp_path / "twin.ply", truth), tmp_path, "ply")
    assert (reference.max(axis=2) > 40).mean() > 0.1  # the ball is there
    for kind in ("splat", "spz", "compressed", "sog"):
        picture = render(write(kind, tmp_path / f"twin{SUFFIX[kind]}", truth), tmp_path, kind)
        mse = np.mean((picture - reference) ** 2)
        psnr = 10 * np.log10(255**2 / max(mse, 1e-12))
        assert psnr > 30, (kind, psnr)


def test_a_zipped_spz_is_the_archives_model(tmp_path, truth):
    spz = write("spz", tmp_path / "scan.spz", truth)
    archive = tmp_path / "scan.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(spz, "export/scan.spz")
    scene = load(archive)
    assert scene.splats is not None and len(scene.splats) == N


def refused(path, *words):
    with pytest.raises(InputError) as caught:
        load(path)
    message = str(caught.value)
    assert "\n" not in message and all(w in message for w in words), message


def test_broken_splat_files_are_one_line(tmp_path, truth):
    odd = tmp_path / "odd.splat"
    odd.write_bytes(bytes(33))
    refused(odd, "not a whole number of 32-byte splats")
    noise = tmp_path / "noise.splat"
    noise.write_bytes(np.random.default_rng(1).bytes(32 * 500))
    refused(noise, "do not read as splats")
    empty = tmp_path / "empty.splat"
    empty.write_bytes(b"")
    refused(empty, "empty")


def test_broken_spz_files_are_one_line(tmp_path, truth):
    good = write("spz", tmp_path / "good.spz", truth).read_bytes()
    raw = gzip.decompress(good)
    cases = {
        "plain.spz": (raw, "not gzip-compressed"),
        "cut.spz": (gzip.compress(raw[: len(raw) // 2]), "ends after"),
        "damaged.spz": (good[:40] + bytes(len(good) - 40), "damaged"),
        "v4.spz": (b"NGSP" + struct.pack("<I", 4) + bytes(24), "version 4"),
        "v1.spz": (gzip.compress(struct.pack("<IIIBBBB", 0x5053474E, 1, 5, 0, 12, 0, 0)), "version 1"),
        "ext.spz": (gzip.compress(raw[:14] + b"\x02" + raw[15:]), "vendor extensions"),
        "deg9.spz": (gzip.compress(raw[:12] + b"\x09" + raw[13:]), "degree 9"),
        "magic.spz": (gzip.compress(b"XXXX" + raw[4:]), "does not start with NGSP"),
    }
    for name, (data, words) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        refused(path, words)


def test_an_spz_that_promises_billions_of_splats_is_refused_before_it_is_inflated(tmp_path):
    # 16 bytes of header claiming 4 billion splats, then a gzip stream of zeros that would
    # inflate without end: refused from the header, within the memory budget
    header = struct.pack("<IIIBBBB", 0x5053474E, 3, 0xFFFFFFFF, 3, 12, 0, 0)
    path = tmp_path / "bomb.spz"
    path.write_bytes(gzip.compress(header + bytes(1 << 20)))
    refused(path, "splats")


def test_a_compressed_ply_that_breaks_its_layout_is_one_line(tmp_path, truth):
    good = write("compressed", tmp_path / "good.compressed.ply", truth).read_bytes()
    chunks = tmp_path / "chunks.ply"
    chunks.write_bytes(good.replace(b"element chunk 3", b"element chunk 2", 1))
    refused(chunks, "2 chunks for 700 splats")
    cut = tmp_path / "cut.ply"
    cut.write_bytes(good[: len(good) - 4000])
    refused(cut, "ends inside")


def test_sog_reads_its_sh_palette_and_its_folder_layout(tmp_path, truth):
    rest = np.random.default_rng(9).uniform(-0.8, 0.8, (N, 8, 3))  # 2 bands
    meta = write("sog", tmp_path / "scene", truth, rest=rest, zipped=False)
    splats = load(meta).splats
    assert splats is not None and splats.degree == 2
    step = (rest.max() - rest.min()) / 255
    np.testing.assert_allclose(splats.sh[:, 1:], rest, atol=step / 2 + 1e-6)
    zipped = load(write("sog", tmp_path / "scene.sog", truth, rest=rest)).splats
    assert zipped is not None
    np.testing.assert_array_equal(zipped.sh, splats.sh)
    np.testing.assert_array_equal(zipped.means, splats.means)


def test_broken_sog_files_are_one_line(tmp_path, truth):
    import json

    folder_meta = write("sog", tmp_path / "scene", truth, zipped=False)
    meta = json.loads(folder_meta.read_text())

    def variant(name: str, change) -> None:
        changed = json.loads(json.dumps(meta))
        change(changed)
        (tmp_path / "scene" / name).write_text(json.dumps(changed))

    variant("outside.json", lambda m: m["quats"].update(files=["../elsewhere.webp"]))
    refused(tmp_path / "scene" / "outside.json", "leaves the referencing file's folder")
    variant("missing.json", lambda m: m["quats"].update(files=["gone.webp"]))
    refused(tmp_path / "scene" / "missing.json", "gone.webp", "missing")
    variant("count.json", lambda m: m.update(count=10**6))
    refused(tmp_path / "scene" / "count.json", "pixels for 1,000,000 splats")
    variant("version.json", lambda m: m.update(version=7))
    refused(tmp_path / "scene" / "version.json", "SOG version 7")
    variant("book.json", lambda m: m["scales"].update(codebook=[1.0] * 10))
    refused(tmp_path / "scene" / "book.json", "codebook should be 256 numbers")
    other = tmp_path / "scene" / "other.json"
    other.write_text('{"asset": {"version": "2.0"}}')
    refused(other, "not a SOG splat's meta.json")
    notzip = tmp_path / "bad.sog"
    notzip.write_bytes(b"not a zip")
    refused(notzip, "ZIP archive")
    # quats whose A lies outside 252-255
    import io

    from PIL import Image

    bad = np.asarray(Image.open(tmp_path / "scene" / "quats.webp")).copy()
    bad[0, 0, 3] = 17
    buffer = io.BytesIO()
    Image.fromarray(bad, "RGBA").save(buffer, "WEBP", lossless=True, exact=True)
    (tmp_path / "scene" / "badquats.webp").write_bytes(buffer.getvalue())
    variant("quats.json", lambda m: m["quats"].update(files=["badquats.webp"]))
    refused(tmp_path / "scene" / "quats.json", "outside 252-255")


def test_a_sog_folder_hashes_and_ships_its_pictures(tmp_path, truth):
    from holopack.scene.sources import source_files

    meta = write("sog", tmp_path / "scene", truth, zipped=False)
    names = sorted(p.rsplit("/", 1)[-1] for p in source_files(str(meta)))
    assert names == sorted(
        ["meta.json", "means_l.webp", "means_u.webp", "scales.webp", "quats.webp", "sh0.webp"]
    )


def test_a_sog_folder_named_as_a_folder_is_the_capture_not_a_clip_of_its_pictures(tmp_path, truth):
    from holopack.scene.sources import source_files

    meta = write("sog", tmp_path / "scene", truth, zipped=False)
    scene = load(tmp_path / "scene")
    assert scene.splats is not None and len(scene.splats) == N and not scene.is_media
    assert sorted(source_files(str(tmp_path / "scene"))) == sorted(source_files(str(meta)))
