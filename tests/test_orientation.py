"""Facing and up: --front/--up, and what auto decides for skeletons and CAD meshes."""

import numpy as np
import pytest
from _facing_models import BLUE, PLAIN_NAMES, RED, Y_UP_BRACKET, Z_UP_BRACKET, animal, humanoid, write_obj
from _gltf_builder import GltfBuilder

from holopack.animate.orientation import AXES, Orientation, decide, detect, is_gait_clip, joint_kind
from holopack.errors import InputError
from holopack.pipeline import ExportSettings, make_timeline, open_source
from holopack.scene.load import load


def _picture(scene, **axes):
    timeline = make_timeline(scene, ExportSettings(turntable=0.0), 30.0)
    return open_source(scene, timeline, 64, **axes).picture(0).color


def _red_minus_blue(picture):
    lit = picture.max(axis=2) > 24
    assert lit.sum() > 50, "the model is in view"
    return float(picture[lit][:, 0].astype(int).mean() - picture[lit][:, 2].astype(int).mean())


@pytest.mark.parametrize("front", ["+x", "-x", "+y", "-y", "+z", "-z"])
@pytest.mark.parametrize("up", ["+x", "-x", "+y", "-y", "+z", "-z"])
def test_orientation_turns_front_to_viewer_and_up_to_up(front, up):
    if front[1] == up[1]:
        with pytest.raises(InputError):
            decide(None, front, up)
        return
    m = Orientation(front=front, up=up).matrix()
    # independent of how the matrix is built: a proper rotation taking the named axes home
    assert np.allclose(m @ m.T, np.eye(3)) and np.isclose(np.linalg.det(m), 1.0)
    assert np.allclose(m @ np.array(AXES[front]), [0, 0, 1])
    assert np.allclose(m @ np.array(AXES[up]), [0, 1, 0])


def test_a_humanoid_facing_minus_z_is_turned_to_show_its_face(tmp_path):
    path = tmp_path / "person.gltf"
    humanoid(-1.0).write(path)
    scene = load(str(path))
    found = detect(scene)
    assert (found.front, found.up) == ("-z", "+y")
    assert "toes and eyes" in found.reason
    # the viewer sees the red front panel, not the blue back
    assert _red_minus_blue(_picture(scene)) > 100
    assert _red_minus_blue(_picture(scene, front="+z")) < -100  # as the file says: its back


def test_a_humanoid_facing_plus_z_keeps_gltf_axes(tmp_path):
    path = tmp_path / "person.gltf"
    humanoid(1.0).write(path)
    scene = load(str(path))
    assert detect(scene).is_default and detect(scene).reason == ""
    assert _red_minus_blue(_picture(scene)) > 100


def test_conflicting_or_missing_cues_keep_gltf_axes(tmp_path):
    disagree = tmp_path / "disagree.gltf"
    humanoid(-1.0, eye_facing=1.0).write(disagree)
    assert detect(load(str(disagree))).is_default
    no_cues = tmp_path / "nocues.gltf"
    humanoid(-1.0, toes=False, eyes=False).write(no_cues)
    assert detect(load(str(no_cues))).is_default


def test_joint_names_from_common_rigs():
    assert joint_kind("mixamorig:HeadTop_End") is None
    assert joint_kind("Head") == "head" and joint_kind("head_01") == "head"
    assert joint_kind("LeftToeBase") == "toe" and joint_kind("ball_r") == "toe"
    assert joint_kind("foot_l") == "foot" and joint_kind("LeftAnkle") == "foot"
    assert joint_kind("LeftEye") == "eye" and joint_kind("EyeBrow_L") is None
    assert joint_kind("Spine") is None


@pytest.mark.parametrize("suffix", [".obj", ".stl"])
def test_a_z_up_cad_bracket_stands_up(tmp_path, suffix):
    obj = tmp_path / "bracket.obj"
    write_obj(obj, Z_UP_BRACKET)
    path = obj
    if suffix == ".stl":
        import trimesh

        path = tmp_path / "bracket.stl"
        trimesh.load(obj, force="mesh").export(path)
    found = detect(load(str(path)))
    assert (found.front, found.up) == ("-y", "+z")
    # seen from the front, the upright plate stands up: the picture is taller at one side
    lit = _picture(load(str(path))).max(axis=2) > 24
    cols = np.flatnonzero(lit.any(axis=0))
    heights = lit[:, cols].sum(axis=0)
    assert heights[:3].mean() > 2.5 * heights[-3:].mean() or heights[-3:].mean() > 2.5 * heights[:3].mean()


def test_a_y_up_bracket_keeps_gltf_axes_and_options_override(tmp_path):
    path = tmp_path / "bracket.obj"
    write_obj(path, Y_UP_BRACKET)
    scene = load(str(path))
    assert detect(scene).is_default
    forced = decide(scene, "auto", "+z")
    assert (forced.front, forced.up, forced.chosen) == ("-y", "+z", True)
    with pytest.raises(InputError, match="--up"):
        decide(scene, "auto", "up")


def test_inspect_and_export_say_which_way_the_model_faces(tmp_path, capsys):
    from holopack.cli import main

    path = tmp_path / "person.gltf"
    humanoid(-1.0).write(path)
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "facing -z, up +y (auto: a humanoid skeleton" in out
    rc = main(
        [
            "export",
            str(path),
            "--device",
            "mp4-fan",
            "-o",
            str(tmp_path / "01_p.mp4"),
            "--size",
            "64",
            "--seconds",
            "0.2",
            "-q",
        ]
    )
    err = capsys.readouterr().err
    assert rc == 0 and "turned to face the viewer: facing -z, up +y" in err
    rc = main(
        [
            "export",
            str(path),
            "--device",
            "mp4-fan",
            "-o",
            str(tmp_path / "02_p.mp4"),
            "--size",
            "64",
            "--seconds",
            "0.2",
            "-q",
            "--front",
            "+z",
        ]
    )
    assert rc == 0 and "turned to face" not in capsys.readouterr().err


@pytest.mark.parametrize("front", ["+z", "-z", "+x", "-x"])
def test_an_animal_is_turned_by_its_head_ahead_of_tail_and_hips(tmp_path, front):
    path = tmp_path / "animal.gltf"
    animal(front).write(path)
    scene = load(str(path))
    found = detect(scene)
    assert (found.front, found.up) == (front, "+y")
    if front != "+z":
        assert "head is " + front + " of its tail and hips" in found.reason
    # the viewer sees the red head end, not the blue tail end
    assert _red_minus_blue(_picture(scene)) > 100


def test_a_walk_clip_tells_the_front_when_no_other_joint_does(tmp_path):
    walking = tmp_path / "walking.gltf"
    animal("-z", names=PLAIN_NAMES, gait="Walk").write(walking)
    found = detect(load(str(walking)))
    assert (found.front, found.up) == ("-z", "+y")
    assert "feet step -z in 'Walk'" in found.reason
    # the same motion under a name that is no gait says nothing; nor does a rig without one
    dancing = tmp_path / "dancing.gltf"
    animal("-z", names=PLAIN_NAMES, gait="Dance").write(dancing)
    assert detect(load(str(dancing))).is_default
    still = tmp_path / "still.gltf"
    animal("-z", names=PLAIN_NAMES).write(still)
    assert detect(load(str(still))).is_default


def test_an_animal_whose_cues_disagree_keeps_gltf_axes(tmp_path):
    path = tmp_path / "moonwalk.gltf"
    animal("-z", gait="Walk", step="+z").write(path)  # head and tail say -z, the steps +z
    assert detect(load(str(path))).is_default
    agree = tmp_path / "walk.gltf"
    animal("-x", gait="Run").write(agree)
    found = detect(load(str(agree)))
    assert found.front == "-x" and "and whose feet step -x in 'Run'" in found.reason


def test_animal_and_gait_joint_names():
    assert joint_kind("b_Neck_04") == "neck" and joint_kind("b_Tail01_012") == "tail"
    assert joint_kind("b_Hip_01") == "hips" and joint_kind("pelvis") == "hips"
    assert joint_kind("Ponytail_01") is None  # hair, not a tail
    assert joint_kind("b_Head_05") == "head"


def test_gait_clips_are_told_by_a_word_of_their_name():
    gaits = ["Walk", "Running", "FastRun", "Armature|walk_cycle", "RUN", "Fox_Trot", "Gallop"]
    others = ["Dance", "trunk_twist", "Survey", "Idle", "animation 0", "Prune", ""]
    assert all(is_gait_clip(name) for name in gaits)
    assert not any(is_gait_clip(name) for name in others)


def _sheet(path, thickness=0.0, facing=1.0):
    """A 2 x 2 sheet lying across Y (``thickness`` its extent along Y): its far half
    (-Z) red, its near half (+Z) blue, its triangles facing ``facing`` * +Y."""
    b = GltfBuilder()
    positions, colours, faces = [], [], []
    for z0, z1, colour in ((-1.0, 0.0, RED), (0.0, 1.0, BLUE)):
        base = len(positions)
        # near-left, near-right, far-right, far-left: counter-clockwise seen from +Y
        ring = [(-1, z1), (1, z1), (1, z0), (-1, z0)]
        positions += [(x, thickness * (z - z0), z) for x, z in ring]
        colours += [colour] * 4
        tris = [(0, 1, 2), (0, 2, 3)] if facing > 0 else [(0, 2, 1), (0, 3, 2)]
        faces += [[base + i for i in t] for t in tris]
    mesh = b.triangle_mesh(positions, faces, COLOR_0=np.asarray(colours, np.float32))
    b.root(b.node(mesh=mesh))
    b.write(path)
    return load(str(path))


def _top_minus_bottom_red(picture):
    """How much redder the upper half of the lit picture is than its lower half."""
    lit = picture.max(axis=2) > 24
    rows = np.flatnonzero(lit.any(axis=1))
    middle = (rows[0] + rows[-1]) // 2
    red = picture[..., 0].astype(int) - picture[..., 2].astype(int)
    return float(red[:middle][lit[:middle]].mean() - red[middle:][lit[middle:]].mean())


def test_a_sheet_lying_flat_is_seen_from_above_with_its_far_edge_up(tmp_path):
    scene = _sheet(tmp_path / "sheet.gltf")
    found = detect(scene)
    assert (found.front, found.up) == ("+y", "-z")
    assert "flat model lying across +y, seen from above" in found.reason
    picture = _picture(scene)
    lit = picture.max(axis=2) > 24
    # face on it fills much of the picture; edge-on (glTF's axes) it all but vanishes
    edge_on = _picture(scene, front="+z", up="+y").max(axis=2) > 24
    assert lit.sum() > 0.3 * lit.size and edge_on.sum() < 0.05 * lit.size
    assert _top_minus_bottom_red(picture) > 100  # the far (red) half at the top


def test_a_sheet_whose_faces_look_down_is_seen_from_below(tmp_path):
    scene = _sheet(tmp_path / "ceiling.gltf", facing=-1.0)
    found = detect(scene)
    assert (found.front, found.up) == ("-y", "-z")
    lit = _picture(scene).max(axis=2) > 24
    assert lit.sum() > 0.3 * lit.size
    assert _top_minus_bottom_red(_picture(scene)) > 100  # the far half still at the top


def test_a_thin_slab_counts_as_flat_and_a_thicker_one_does_not(tmp_path):
    assert detect(_sheet(tmp_path / "tile.gltf", thickness=0.09)).front == "+y"  # 0.045 of 2
    assert detect(_sheet(tmp_path / "step.gltf", thickness=0.11)).is_default  # 0.055 of 2


def test_a_flat_plate_from_cad_is_seen_from_above(tmp_path):
    import trimesh

    path = tmp_path / "plate.stl"
    trimesh.creation.box(extents=(40.0, 30.0, 1.0)).export(path)  # a 1 mm plate, Z up
    found = detect(load(str(path)))
    assert (found.front, found.up) == ("+z", "+y")
    assert "resting on a flat face" in found.reason and "flat model lying across +z" in found.reason
    lit = _picture(load(str(path))).max(axis=2) > 24
    assert lit.sum() > 0.3 * lit.size
