"""inspect tells the truth: vertex colours count, every texture with its role and use."""

import json
import re

import numpy as np
from _gltf_builder import GltfBuilder, quad

from holopack.cli import main


def _run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_a_model_coloured_by_color_0_is_not_called_grey(tmp_path, capsys):
    b = GltfBuilder()
    positions, indices = quad()
    colors = np.array([[1, 0, 0, 1], [0, 1, 0, 1], [0, 0, 1, 1], [1, 1, 0, 1]], np.float32)
    b.root(b.node(mesh=b.triangle_mesh(positions, indices, COLOR_0=colors)))
    path = tmp_path / "painted.gltf"
    b.write(path)
    rc, out, _ = _run(capsys, "inspect", path)
    assert rc == 0 and "one grey" not in out
    assert "vertex colours (COLOR_0): yes" in out
    # without the colours it is grey, and inspect says so
    plain = GltfBuilder()
    plain.root(plain.node(mesh=plain.triangle_mesh(positions, indices)))
    grey = tmp_path / "grey.gltf"
    plain.write(grey)
    rc, out, _ = _run(capsys, "inspect", grey)
    assert "one grey" in out


def test_every_texture_is_listed_with_its_role_and_use(models, capsys):
    path = models["helmet"]
    with open(path) as f:
        gltf = json.load(f)  # what the file says, read here without holopack
    rc, out, _ = _run(capsys, "inspect", path)
    assert rc == 0
    lines = [l.strip() for l in out.splitlines()]
    header = [l for l in lines if l.startswith("textures (")][0]
    assert header.startswith(f"textures ({len(gltf['textures'])}, ")
    for i, tex in enumerate(gltf["textures"]):
        uri = gltf["images"][tex["source"]]["uri"]
        line = [l for l in lines if l.startswith(uri + ":")]
        assert len(line) == 1, uri
        roles = set()
        for m in gltf["materials"]:
            for role, info in [
                ("baseColor", m.get("pbrMetallicRoughness", {}).get("baseColorTexture")),
                ("metallicRoughness", m.get("pbrMetallicRoughness", {}).get("metallicRoughnessTexture")),
                ("normal", m.get("normalTexture")),
                ("occlusion", m.get("occlusionTexture")),
                ("emissive", m.get("emissiveTexture")),
            ]:
                if info and info["index"] == i:
                    roles.add(role)
        shown = set(line[0].split(": ")[1].split(" (")[0].split(" + "))
        assert shown == roles
        drawn = bool(roles & {"baseColor", "emissive"})
        assert line[0].endswith(": used") == drawn
        # the metallic-roughness and normal maps are drawn by the PBR shading alone
        pbr_only = not drawn and bool(roles & {"metallicRoughness", "normal"})
        assert line[0].endswith(": used with --shading pbr") == pbr_only


def test_material_features_say_what_each_shading_draws(models, capsys):
    with open(models["helmet"]) as f:
        gltf = json.load(f)
    rc, out, _ = _run(capsys, "inspect", models["helmet"])
    assert rc == 0
    uses = [l.strip() for l in out.splitlines() if l.strip().startswith("uses: ")]
    assert len(uses) == len(gltf["materials"])
    for m, line in zip(gltf["materials"], uses):
        assert ("normal map (drawn with --shading pbr)" in line) == ("normalTexture" in m)
        assert ("occlusion map (dims the environment's light" in line) == ("occlusionTexture" in m)
        has_mr = "metallicRoughnessTexture" in m.get("pbrMetallicRoughness", {})
        assert ("metallic-roughness map (drawn with --shading pbr)" in line) == has_mr
        assert ("alpha BLEND (drawn)" in line) == (m.get("alphaMode") == "BLEND")


def test_report_lines_are_well_formed(models, capsys):
    for name in ("robot", "morphstress", "fox", "bunny"):
        rc, out, _ = _run(capsys, "inspect", models[name])
        assert rc == 0
        for line in out.splitlines()[1:]:
            assert line.startswith("  ") and line.strip(), repr(line)
            assert "None" not in line and "[]" not in line, line
            assert not re.search(r"\b1 channels\b", line), line
        assert re.search(r"^  facing [+-][xyz], up [+-][xyz] ", out, re.M)
        plays = [l for l in out.splitlines() if l.startswith("  plays: ")]
        assert len(plays) == (1 if "animations (" in out else 0)


def test_a_one_primitive_model_is_counted_in_the_singular(tmp_path, capsys):
    # the Stanford bunny's OBJ read "69,451 triangles, 35,947 vertices, 1 primitives"
    (tmp_path / "tri.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\nf 1 2 3\nf 2 4 3\n")
    assert main(["inspect", str(tmp_path / "tri.obj")]) == 0
    assert "  2 triangles, 4 vertices, 1 primitive\n" in capsys.readouterr().out
