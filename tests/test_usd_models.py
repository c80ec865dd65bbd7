"""USDZ conversions of the Khronos sample models against independent references:
the same model's glTF as holopack renders it (checked against OpenGL and three.js
elsewhere) for silhouette IoU, PSNR and counts; pxr's own xform and UsdSkel skinning
computations for the animated and skinned poses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _gl_reference import framed_camera, iou, psnr

from holopack.inspection import describe
from holopack.scene import usd
from holopack.scene.load import load

DATA = Path(__file__).parent / "data"
USD = DATA / "usd"
pytestmark = pytest.mark.skipif(not usd.available(), reason=f"usd-core is not installed: {usd.INSTALL}")

# model: (its glTF, poses (seconds, yaw degrees)); the USD conversions keep the glTF's
# time codes at 24 a second (CesiumMan starts at 1/24 s, as the glTF's first key)
PAIRS = {
    "CesiumMan": (DATA / "CesiumMan" / "CesiumMan.glb", [(0.0, 0.0), (0.5, 40.0), (1.2, 200.0)]),
    "RiggedFigure": (DATA / "RiggedFigure" / "RiggedFigure.glb", [(0.0, 0.0), (0.6, 90.0), (1.1, 300.0)]),
    "BrainStem": (DATA / "BrainStem" / "BrainStem.glb", [(0.0, 30.0), (7.5, 120.0), (20.0, 250.0)]),
}
# measured at 128 x 128 (supersample 1): IoU 1.0000 at every pose; PSNR 89.03 dB or more
# for CesiumMan and RiggedFigure (the same pictures but for a code in a few pixels), 79.99
# dB or more for BrainStem (its conversion adds a root joint: float32 rounding differs);
# at 256 x 256 BrainStem's worst is 62.17 dB (benchmarks/results/2026-12-05/usd-vs-gltf.txt)
MIN_IOU = 0.999
MIN_PSNR = 60.0


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_a_converted_model_draws_as_its_gltf_at_every_pose(name):
    from holopack.rendering import render

    gltf_path, poses = PAIRS[name]
    ours, reference = load(USD / name / f"{name}.usdz"), load(gltf_path)
    assert ours.triangle_count == reference.triangle_count
    # BrainStem's conversion adds a root joint above the glTF's 18
    extra = 1 if name == "BrainStem" else 0
    assert {len(s.joints) for s in ours.skins} == {len(reference.skins[0].joints) + extra}
    (clip,) = ours.animations
    assert clip.duration == pytest.approx(reference.animations[0].duration, abs=1e-4)
    assert clip.start == pytest.approx(reference.animations[0].start, abs=1e-4)
    for seconds, yaw in poses:
        view, projection = framed_camera(reference.pose(None, seconds), yaw=yaw)
        a = render(reference, view, projection, (128, 128), time=seconds, supersample=1)
        b = render(ours, view, projection, (128, 128), time=seconds, supersample=1)
        assert iou(a.alpha > 0.5, b.alpha > 0.5) >= MIN_IOU, (name, seconds)
        assert psnr(a.color, b.color) >= MIN_PSNR, (name, seconds)


def test_brainstem_binds_every_mesh_to_the_skeletons_joints():
    from pxr import Usd, UsdSkel

    scene = load(USD / "BrainStem" / "BrainStem.usdz")
    stage = Usd.Stage.Open(str(USD / "BrainStem" / "BrainStem.usdz"))
    skinned = [p for p in stage.Traverse() if p.HasAPI(UsdSkel.BindingAPI) and p.GetTypeName() == "Mesh"]
    assert len(scene.skins) == len(skinned) == 59
    (skeleton,) = [p for p in stage.Traverse() if p.IsA(UsdSkel.Skeleton)]
    joints = len(UsdSkel.Skeleton(skeleton).GetJointsAttr().Get())
    assert {len(s.joints) for s in scene.skins} == {joints}


def _pxr_skinned_points(path: Path, seconds: float) -> np.ndarray:
    """Every skinned mesh's points in world space at ``seconds``, as UsdSkel computes them
    (joint skinning in skeleton space, then the skeleton's local-to-world)."""
    from pxr import Usd, UsdGeom, UsdSkel, Vt

    stage = Usd.Stage.Open(str(path))
    time = Usd.TimeCode(seconds * stage.GetTimeCodesPerSecond())
    cache = UsdSkel.Cache()
    out = []
    for prim in stage.Traverse():
        if not prim.IsA(UsdSkel.Root):
            continue
        root = UsdSkel.Root(prim)
        cache.Populate(root, Usd.PrimDefaultPredicate)
        for binding in cache.ComputeSkelBindings(root, Usd.PrimDefaultPredicate):
            query = cache.GetSkelQuery(binding.GetSkeleton())
            xforms = query.ComputeSkinningTransforms(time)
            to_world = np.array(
                UsdGeom.XformCache(time).GetLocalToWorldTransform(binding.GetSkeleton().GetPrim())
            )
            for target in binding.GetSkinningTargets():
                points = Vt.Vec3fArray(UsdGeom.Mesh(target.GetPrim()).GetPointsAttr().Get(time))
                assert target.ComputeSkinnedPoints(xforms, points, time)
                p = np.asarray(points, np.float64)
                out.append(np.c_[p, np.ones(len(p))] @ to_world)  # row vectors, as USD
    return np.concatenate(out)[:, :3]


@pytest.mark.parametrize("name", ["CesiumMan", "RiggedFigure"])
def test_skinned_vertices_are_where_usdskel_puts_them(name):
    from scipy.spatial import cKDTree

    path = USD / name / f"{name}.usdz"
    scene = load(path)
    for seconds in (0.25, 0.9):
        want = _pxr_skinned_points(path, seconds)
        ours = np.concatenate(scene.posed_positions(None, seconds))
        distance, _ = cKDTree(want).query(ours)
        assert distance.max() < 1e-4, (name, seconds)
        distance, _ = cKDTree(ours).query(want)
        assert distance.max() < 1e-4


def _pxr_world_points(path: Path, seconds: float) -> np.ndarray:
    from pxr import Usd, UsdGeom

    stage = Usd.Stage.Open(str(path))
    time = Usd.TimeCode(seconds * stage.GetTimeCodesPerSecond())
    cache = UsdGeom.XformCache(time)
    out = []
    for prim in stage.Traverse():
        if prim.IsA(UsdGeom.Mesh):
            p = np.asarray(UsdGeom.Mesh(prim).GetPointsAttr().Get(time), np.float64)
            out.append(np.c_[p, np.ones(len(p))] @ np.array(cache.GetLocalToWorldTransform(prim)))
    return np.concatenate(out)[:, :3]


@pytest.mark.parametrize("name", ["BoxAnimated", "AnimatedCube"])
def test_xform_time_samples_move_the_nodes_as_pxr_computes_them(name):
    from pxr import Usd
    from scipy.spatial import cKDTree

    path = USD / name / f"{name}.usdz"
    stage = Usd.Stage.Open(str(path))
    rate = stage.GetTimeCodesPerSecond()
    scene = load(path)
    (clip,) = scene.animations
    assert clip.name == name
    assert clip.duration == pytest.approx(stage.GetEndTimeCode() / rate)
    assert {c.interpolation for c in clip.channels} == {"LINEAR"}
    # at time codes and between them (where LINEAR keys at every code agree with pxr's
    # linear interpolation of the authored samples only to within the motion's curvature)
    for seconds in (0.0, 10 / rate, 37 / rate, clip.duration):
        want = _pxr_world_points(path, seconds)
        ours = np.concatenate(scene.posed_positions(None, seconds))
        distance, _ = cKDTree(want).query(ours)
        assert distance.max() < 1e-4, (name, seconds)


def test_inspect_lists_a_usdz_twin_as_a_gltf_one():
    info = describe(load(USD / "CesiumMan" / "CesiumMan.usdz"))
    reference = describe(load(DATA / "CesiumMan" / "CesiumMan.glb"))
    for key in ("triangles", "vertices", "primitives", "bounds", "vertex_colours"):
        assert info[key] == reference[key], key
    assert [(t["width"], t["height"]) for t in info["textures"]] == [
        (t["width"], t["height"]) for t in reference["textures"]
    ]
    assert [s["joints"] for s in info["skins"]] == [s["joints"] for s in reference["skins"]]
    assert [(a["seconds"], a["channels"]) for a in info["animations"]] == [
        (a["seconds"], a["channels"]) for a in reference["animations"]
    ]
    # USD names cannot hold '-': the conversion's material is Cesium_Man_effect
    assert [(r["role"], r["material"].replace("-", "_"), r["used"]) for r in info["texture_roles"]] == [
        (r["role"], r["material"].replace("-", "_"), r["used"]) for r in reference["texture_roles"]
    ]


def test_inspect_names_the_role_of_each_preview_surface_texture():
    from holopack.inspection import format_report

    info = describe(load(USD / "AnimatedCube" / "AnimatedCube.usdz"))
    roles = {(r["name"], r["role"], r["used"], r["pbr"]) for r in info["texture_roles"]}
    assert roles == {
        ("AnimatedCube_BaseColor.png", "baseColor", True, True),
        ("AnimatedCube_MetallicRoughness.png", "metallicRoughness", False, True),
    }
    assert "metallicRoughness (in AnimatedCube): used with --shading pbr" in format_report(info)


def test_export_of_a_usdz_twin_writes_the_frames_of_its_gltf(tmp_path):
    """The whole command, loader registry to written frames, with nothing told of USD."""
    from PIL import Image

    from holopack.cli import main

    frames = {}
    for kind, source in (
        ("usdz", USD / "RiggedFigure" / "RiggedFigure.usdz"),
        ("gltf", DATA / "RiggedFigure" / "RiggedFigure.glb"),
    ):
        out = tmp_path / kind
        args = ["export", str(source), "--device", "mp4-fan", "--format", "png", "--seconds", "1.25"]
        assert main([*args, "--fps", "4", "--size", "96", "--yaw", "30", "-q", "-o", f"{out}/"]) == 0
        frames[kind] = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(out.glob("*.png"))]
    assert len(frames["usdz"]) == len(frames["gltf"]) == 5
    for ours, reference in zip(frames["usdz"], frames["gltf"]):
        assert (reference.sum(axis=2) > 0).mean() > 0.1  # the figure is there to compare
        assert iou(ours.sum(axis=2) > 0, reference.sum(axis=2) > 0) >= MIN_IOU
        assert psnr(ours, reference) >= MIN_PSNR


def test_a_playlist_takes_a_usdz_item_and_hashes_the_package(tmp_path):
    import shutil

    from holopack.pack.playlist import parse_playlist
    from holopack.scene.sources import source_hash

    twin = tmp_path / "CesiumMan.usdz"
    shutil.copy(USD / "CesiumMan" / "CesiumMan.usdz", twin)
    text = f'devices = ["hypervsn"]\n[[items]]\ninput = "{twin.name}"\n'
    (item,) = parse_playlist(text, str(tmp_path / "list.toml")).items
    assert Path(item.input).name == "CesiumMan.usdz"
    digest, entries = source_hash(str(twin))
    assert [e["path"] for e in entries] == ["CesiumMan.usdz"]  # a package holds its textures
    data = bytearray(twin.read_bytes())
    data[-100] ^= 1
    twin.write_bytes(bytes(data))
    assert source_hash(str(twin))[0] != digest
