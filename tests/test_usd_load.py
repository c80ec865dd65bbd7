"""Reading USD stages (holopack.scene.usd): geometry, stage units, materials, and the
faults a hostile file can hold, each one line. The geometric facts are computed with
numpy from the numbers in the .usda text, not through the loader. The usd-wg test files
are in tests/data/usd (README.md there says where from)."""

from __future__ import annotations

import io
import math
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from holopack.cli import main
from holopack.containment import allow_outside_files
from holopack.errors import InputError
from holopack.scene import usd
from holopack.scene.load import load

DATA = Path(__file__).parent / "data" / "usd"
STAGES = DATA / "stage_configuration"
AXIS = STAGES / "_common" / "axis.usda"
needs_usd = pytest.mark.skipif(not usd.available(), reason=f"usd-core is not installed: {usd.INSTALL}")


def _floats(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text)]


def _axis_cubes(text: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """name -> (scale, translate) of each Cube in a usda text (size 2: half-extent 1)."""
    cubes = {}
    for name, body in re.findall(r'def Cube "(\w+)"\s*\{(.*?)\n    \}', text, re.S):
        scale = re.search(r"xformOp:scale = \(([^)]*)\)", body)
        move = re.search(r"xformOp:translate = \(([^)]*)\)", body)
        cubes[name] = (
            np.array(_floats(scale.group(1)) if scale else [1.0, 1.0, 1.0]),
            np.array(_floats(move.group(1)) if move else [0.0, 0.0, 0.0]),
        )
    return cubes


def _meters_per_unit(text: str) -> float:
    return float(re.search(r"metersPerUnit = ([\d.]+)", text).group(1))


def _node_bounds(scene, name: str) -> np.ndarray:
    posed = scene.pose()
    for item, p in zip(scene.draw_items, posed):
        if scene.nodes[item.node].name == name:
            return np.stack([p.positions.min(axis=0), p.positions.max(axis=0)])
    raise AssertionError(f"no drawn node {name}")


def _stored_zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return path


def _png(colour=(255, 0, 0, 255), size=(4, 2)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, colour).save(out, "PNG")
    return out.getvalue()


_QUAD = """#usda 1.0
(
    defaultPrim = "Root"
    metersPerUnit = 1
    upAxis = "Y"
)
def Xform "Root"
{{
    def Mesh "quad" {extra_meta}
    {{
        int[] faceVertexCounts = [4, 4]
        int[] faceVertexIndices = [0, 1, 2, 3, 1, 4, 5, 2]
        point3f[] points = [(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0), (2, 0, 0), (2, 1, 0)]
        uniform token subdivisionScheme = "none"
{body}
    }}
{more}
}}
"""


def _quad(tmp_path: Path, body: str = "", more: str = "", extra_meta: str = "", name="quad.usda") -> Path:
    path = tmp_path / name
    path.write_text(_QUAD.format(body=body, more=more, extra_meta=extra_meta))
    return path


# -- without the optional package ---------------------------------------------------------
def test_a_usd_input_without_usd_core_is_one_line_naming_what_to_install(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(usd, "available", lambda: False)
    out = tmp_path / "out.mp4"
    source = DATA / "BoxAnimated" / "BoxAnimated.usdz"
    assert main(["export", str(source), "--device", "mp4-fan", "-q", "-o", str(out)]) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and "pip install 'holopack[usd]'" in lines[0]
    assert list(tmp_path.iterdir()) == []


# -- stage units ---------------------------------------------------------------------------
@needs_usd
def test_meters_per_unit_scales_the_stage_to_metres():
    axis = _axis_cubes(AXIS.read_text())
    folder = STAGES / "foundation" / "stage_configuration" / "metersPerUnit"
    for name in ("metersPerUnit_1.usda", "metersPerUnit_10.usda"):
        metres = _meters_per_unit((folder / name).read_text())
        with allow_outside_files():
            scene = load(folder / name)
        # the stage's own cube (size 2 at the origin) and the three axis bars
        boxes = [np.array([[-1.0] * 3, [1.0] * 3])]
        boxes += [np.stack([t - s, t + s]) for s, t in axis.values()]
        want = (
            np.stack([np.min([b[0] for b in boxes], axis=0), np.max([b[1] for b in boxes], axis=0)]) * metres
        )
        np.testing.assert_allclose(scene.bounds(), want, atol=1e-6)


@needs_usd
def test_up_axis_z_turns_the_stage_so_its_z_bar_points_up():
    axis = _axis_cubes(AXIS.read_text())
    folder = STAGES / "foundation" / "stage_configuration" / "upAxis"
    for name, turn in (
        ("upAxis_Y.usda", np.eye(3)),
        ("upAxis_Z.usda", np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0.0]])),
    ):
        metres = _meters_per_unit((folder / name).read_text())
        with allow_outside_files():
            scene = load(folder / name)
        for bar, (scale, move) in axis.items():
            corners = (
                np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)]) * scale + move
            )
            turned = corners @ turn.T * metres
            want = np.stack([turned.min(axis=0), turned.max(axis=0)])
            np.testing.assert_allclose(_node_bounds(scene, bar), want, atol=1e-6)
    # +Z up: the Z bar stands along +Y
    assert np.argmax(np.ptp(_node_bounds(scene, "Z"), axis=0)) == 1


@needs_usd
def test_a_sublayer_outside_the_stage_folder_is_refused_unless_allowed(capsys):
    stage = STAGES / "foundation" / "stage_configuration" / "upAxis" / "upAxis_Z.usda"
    assert main(["inspect", str(stage)]) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and "axis.usda" in lines[0] and "--allow-outside-files" in lines[0]


# -- meshes --------------------------------------------------------------------------------
@needs_usd
@pytest.mark.parametrize("name", ["5_face.usda", "quads.usda", "mixed.usda"])
def test_polygons_are_fanned_into_the_triangles_their_counts_give(name):
    text = (DATA / "meshes" / name).read_text()
    counts = np.array(_floats(re.search(r"faceVertexCounts = \[([^\]]*)\]", text).group(1)), int)
    extent = np.array(_floats(re.search(r"extent = \[([^\]]*)\]", text).group(1))).reshape(2, 3)
    scene = load(DATA / "meshes" / name)
    assert scene.triangle_count == int(np.sum(counts - 2))
    np.testing.assert_allclose(scene.bounds(), extent * _meters_per_unit(text), atol=1e-7)


@needs_usd
def test_face_varying_normals_are_kept_and_agree_with_the_triangle_winding():
    scene = load(DATA / "meshes" / "normalsTypes.usda")
    # the meshes whose normals are not 3-vector arrays (int, double, a single value) are
    # said to be computed; the others keep the file's flat faceVarying normals
    computed = {
        w.split(":")[0].rsplit("/", 1)[-1] for w in scene.warnings if "not an array of 3-vectors" in w
    }
    text = (DATA / "meshes" / "normalsTypes.usda").read_text()
    vectors = set(
        re.findall(r'def Mesh "(\w+)"[^}]*?(?:point|float|color|normal|double)3[fd]?\[\] normals', text)
    )
    assert computed and vectors and not computed & vectors
    checked = 0
    for item in scene.draw_items:
        if scene.nodes[item.node].name not in vectors:
            continue
        p = scene.primitive(item)
        tri = p.positions[p.indices].astype(np.float64)
        face = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        face /= np.linalg.norm(face, axis=1, keepdims=True)
        for corner in range(3):  # each corner's normal is its face's: the file's cube has flat faces
            np.testing.assert_allclose(p.normals[p.indices[:, corner]], face, atol=1e-6)
        checked += 1
    assert checked == len(vectors) == 8


@needs_usd
def test_double_sided_comes_from_the_mesh():
    for name, want in (("singleSided.usda", False), ("doubleSided_quad.usda", True)):
        scene = load(DATA / "meshes" / name)
        assert {scene.materials[scene.primitive(i).material].double_sided for i in scene.draw_items} == {want}


@needs_usd
def test_left_handed_orientation_and_holes(tmp_path):
    for meta, holes, want_z, want_triangles in (
        ("", "", 1.0, 4),
        ("(\n        )\n", "        int[] holeIndices = [1]\n", 1.0, 2),
        ("", '        uniform token orientation = "leftHanded"\n', -1.0, 4),
    ):
        scene = load(_quad(tmp_path, body=holes, extra_meta=meta))
        p = scene.primitive(scene.draw_items[0])
        tri = p.positions[p.indices].astype(np.float64)
        face = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        assert scene.triangle_count == want_triangles
        assert np.all(np.sign(face[:, 2]) == want_z)
        assert np.all(np.sign(p.normals[:, 2]) == want_z)  # computed normals follow the winding


@needs_usd
def test_display_colour_per_face_becomes_vertex_colours_and_a_constant_one_the_base_colour(tmp_path):
    per_face = '        color3f[] primvars:displayColor = [(1, 0, 0), (0, 0, 1)] (\n            interpolation = "uniform"\n        )\n'
    scene = load(_quad(tmp_path, body=per_face))
    p = scene.primitive(scene.draw_items[0])
    assert len(p.positions) == 8  # the shared edge's two points split by the two colours
    for face, colour in ((0, [1, 0, 0, 1]), (1, [0, 0, 1, 1])):
        for tri in p.indices[face * 2 : face * 2 + 2]:
            np.testing.assert_allclose(p.colors[tri], [colour] * 3)
    constant = "        color3f[] primvars:displayColor = [(0.25, 0.5, 0.75)]\n"
    scene = load(_quad(tmp_path, body=constant, name="constant.usda"))
    p = scene.primitive(scene.draw_items[0])
    assert p.colors is None and len(p.positions) == 6
    np.testing.assert_allclose(scene.materials[p.material].base_color_factor, [0.25, 0.5, 0.75, 1.0])


@needs_usd
def test_invisible_and_proxy_prims_are_not_drawn(tmp_path):
    more = """    def Mesh "hidden"
    {
        token visibility = "invisible"
        int[] faceVertexCounts = [3]
        int[] faceVertexIndices = [0, 1, 2]
        point3f[] points = [(0, 5, 0), (1, 5, 0), (1, 6, 0)]
    }
    def Mesh "proxy"
    {
        uniform token purpose = "proxy"
        int[] faceVertexCounts = [3]
        int[] faceVertexIndices = [0, 1, 2]
        point3f[] points = [(0, 7, 0), (1, 7, 0), (1, 8, 0)]
    }
"""
    scene = load(_quad(tmp_path, more=more))
    assert scene.triangle_count == 4
    assert scene.bounds()[1, 1] == pytest.approx(1.0)


# -- materials -----------------------------------------------------------------------------
_MATERIAL = """#usda 1.0
(
    defaultPrim = "Root"
    metersPerUnit = 1
    upAxis = "Y"
)
def Xform "Root"
{{
    def Mesh "quad" (
        prepend apiSchemas = ["MaterialBindingAPI"]
    )
    {{
        int[] faceVertexCounts = [4]
        int[] faceVertexIndices = [0, 1, 2, 3]
        point3f[] points = [(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0)]
        texCoord2f[] primvars:uvs = [(0, 0), (1, 0), (1, 1), (0, 1)] (
            interpolation = "faceVarying"
        )
        int[] primvars:uvs:indices = [0, 1, 2, 3]
        rel material:binding = </Root/Looks/Paint>
        uniform token subdivisionScheme = "none"
    }}
    def Scope "Looks"
    {{
        def Material "Paint"
        {{
            token outputs:surface.connect = </Root/Looks/Paint/Surface.outputs:surface>
            def Shader "Surface"
            {{
                uniform token info:id = "UsdPreviewSurface"
                color3f inputs:diffuseColor.connect = </Root/Looks/Paint/Picture.outputs:rgb>
                float inputs:metallic = 0.25
                float inputs:roughness = 0.75
                color3f inputs:emissiveColor = (0.1, 0.2, 0.3)
                float inputs:opacity = 0.5
                float inputs:opacityThreshold = {threshold}
                token outputs:surface
            }}
            def Shader "Picture"
            {{
                uniform token info:id = "UsdUVTexture"
                asset inputs:file = @{file}@
                float2 inputs:st.connect = </Root/Looks/Paint/Move.outputs:result>
                token inputs:wrapS = "clamp"
                token inputs:wrapT = "mirror"
                float4 inputs:scale = (0.5, 0.5, 0.5, 1)
                token inputs:sourceColorSpace = "{space}"
                float3 outputs:rgb
            }}
            def Shader "Move"
            {{
                uniform token info:id = "UsdTransform2d"
                float2 inputs:in.connect = </Root/Looks/Paint/Reader.outputs:result>
                float inputs:rotation = 30
                float2 inputs:scale = (2, 3)
                float2 inputs:translation = (0.1, 0.2)
                float2 outputs:result
            }}
            def Shader "Reader"
            {{
                uniform token info:id = "UsdPrimvarReader_float2"
                token inputs:varname = "uvs"
                float2 outputs:result
            }}
        }}
    }}
}}
"""


def _material_stage(threshold="0", file="paint.png", space="auto") -> str:
    return _MATERIAL.format(threshold=threshold, file=file, space=space)


def _st_transform(st: np.ndarray) -> np.ndarray:
    """UsdTransform2d of the stage above in st space: scale, then rotate 30 degrees
    counter-clockwise, then translate."""
    a = np.radians(30.0)
    rotation = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return (st * [2.0, 3.0]) @ rotation.T + [0.1, 0.2]


@needs_usd
def test_a_preview_surface_with_a_texture_in_a_usdz_reads_as_a_gltf_material(tmp_path):
    picture = _png((10, 200, 30, 255), (4, 2))
    package = _stored_zip(
        tmp_path / "paint.usdz", {"paint.usda": _material_stage().encode(), "paint.png": picture}
    )
    scene = load(package)
    p = scene.primitive(scene.draw_items[0])
    m = scene.materials[p.material]
    np.testing.assert_allclose(m.base_color_factor, [0.5, 0.5, 0.5, 0.5])
    assert (m.metallic_factor, m.roughness_factor) == (0.25, 0.75)
    np.testing.assert_allclose(m.emissive_factor, [0.1, 0.2, 0.3], rtol=1e-6)
    assert m.alpha_mode == "BLEND"
    texture = scene.textures[m.base_color_texture]
    assert (texture.wrap_s, texture.wrap_t) == (33071, 33648)
    np.testing.assert_array_equal(texture.pixels, np.asarray(Image.new("RGBA", (4, 2), (10, 200, 30, 255))))
    # uv: the primvar the reader names, v flipped to glTF's
    st = np.array([[0, 0], [1, 0], [1, 1], [0, 1.0]])
    uv = p.uv[m.base_color_texcoord]
    order = np.lexsort((p.positions[:, 1], p.positions[:, 0]))
    np.testing.assert_allclose(uv[order], np.stack([st[:, 0], 1 - st[:, 1]], 1)[[0, 3, 1, 2]], atol=1e-6)
    # the transform, applied to glTF uv, gives the st transform's result, flipped
    for s_t in st:
        moved = _st_transform(s_t[None])[0]
        got = m.base_color_transform @ np.array([s_t[0], 1 - s_t[1], 1.0])
        np.testing.assert_allclose(got, [moved[0], 1 - moved[1]], atol=1e-9)


@needs_usd
def test_a_raw_diffuse_texture_holds_linear_values_and_is_drawn_so(tmp_path):
    codes = np.array([0, 1, 10, 64, 128, 200, 255], np.uint8)
    picture = np.zeros((1, len(codes), 4), np.uint8)
    picture[0, :, 0] = picture[0, :, 1] = picture[0, :, 2] = codes
    picture[..., 3] = 77
    out = io.BytesIO()
    Image.fromarray(picture, "RGBA").save(out, "PNG")
    (tmp_path / "paint.png").write_bytes(out.getvalue())
    for space, want in (
        ("auto", codes),
        # the sRGB encoding (IEC 61966-2-1) of the linear values the codes stand for
        (
            "raw",
            np.round(
                255
                * np.where(
                    codes / 255 <= 0.0031308, 12.92 * codes / 255, 1.055 * (codes / 255) ** (1 / 2.4) - 0.055
                )
            ),
        ),
    ):
        stage = tmp_path / f"{space}.usda"
        stage.write_text(_material_stage(space=space))
        scene = load(stage)
        pixels = scene.textures[scene.materials[0].base_color_texture].pixels
        np.testing.assert_array_equal(pixels[0, :, :3], np.repeat(want.astype(np.uint8)[:, None], 3, axis=1))
        assert np.all(pixels[..., 3] == 77)  # alpha is never re-encoded


@needs_usd
def test_opacity_threshold_means_mask(tmp_path):
    (tmp_path / "paint.png").write_bytes(_png())
    stage = tmp_path / "mask.usda"
    stage.write_text(_material_stage(threshold="0.4"))
    m = load(stage).materials[0]
    assert (m.alpha_mode, m.alpha_cutoff) == ("MASK", pytest.approx(0.4))


@needs_usd
def test_packed_metallic_roughness_texture_is_read_as_gltf_packs_it():
    scene = load(DATA / "AnimatedCube" / "AnimatedCube.usdz")
    (m,) = scene.materials
    assert m.base_color_texture is not None and m.metallic_roughness_texture is not None
    with zipfile.ZipFile(DATA / "AnimatedCube" / "AnimatedCube.usdz") as z:
        for index, entry in (
            (m.base_color_texture, "0/AnimatedCube_BaseColor.png"),
            (m.metallic_roughness_texture, "0/AnimatedCube_MetallicRoughness.png"),
        ):
            want = np.asarray(Image.open(io.BytesIO(z.read(entry))).convert("RGBA"))
            np.testing.assert_array_equal(scene.textures[index].pixels, want)


# -- hostile files: one line each ----------------------------------------------------------
def _one_line_refusal(capsys, path: Path, *words: str) -> str:
    assert main(["inspect", str(path)]) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    for word in words:
        assert word in lines[0]
    return lines[0]


@needs_usd
def test_a_usdz_that_is_not_a_zip_is_one_line(tmp_path, capsys):
    path = tmp_path / "fake.usdz"
    path.write_bytes(b"#usda 1.0\n" + bytes(range(256)) * 4)
    _one_line_refusal(capsys, path, "not a USDZ package")


@needs_usd
def test_a_truncated_crate_is_one_line(tmp_path, capsys):
    with zipfile.ZipFile(DATA / "BoxAnimated" / "BoxAnimated.usdz") as z:
        crate = z.read(z.namelist()[0])
    path = tmp_path / "cut.usdc"
    path.write_bytes(crate[: len(crate) // 2])
    _one_line_refusal(capsys, path, "unreadable USD", "truncated")
    cut = tmp_path / "cut.usdz"
    cut.write_bytes((DATA / "BoxAnimated" / "BoxAnimated.usdz").read_bytes()[:5000])
    _one_line_refusal(capsys, cut, "cut short")


@needs_usd
def test_a_texture_path_escaping_the_package_is_refused(tmp_path, capsys):
    stage = _material_stage(file="../../etc/passwd").encode()
    package = _stored_zip(tmp_path / "escape.usdz", {"escape.usda": stage, "paint.png": _png()})
    _one_line_refusal(capsys, package, "../../etc/passwd", "outside the package")
    # a loose stage: the containment rule of every other reader
    loose = tmp_path / "loose.usda"
    loose.write_text(_material_stage(file="/etc/passwd"))
    _one_line_refusal(capsys, loose, "/etc/passwd", "absolute path")


@needs_usd
def test_a_layer_reference_escaping_the_package_is_refused(tmp_path, capsys):
    stage = '#usda 1.0\n(\n    subLayers = [@../outside.usda@]\n)\ndef Xform "Root"\n{\n}\n'
    package = _stored_zip(tmp_path / "layers.usdz", {"layers.usda": stage.encode()})
    (tmp_path / "outside.usda").write_text('#usda 1.0\ndef Xform "Other"\n{\n}\n')
    _one_line_refusal(capsys, package, "outside the package")


@pytest.fixture()
def thousand_prims(monkeypatch):
    """The prim limit at 1,000 so that the files stay small: the same checks as at
    100,000 (10^6 prims: refused in 3.4 s and 566 MB, docs/formats.md)."""
    from holopack.scene.usd import package, reader

    monkeypatch.setattr(package, "MAX_NODES", 1000)
    monkeypatch.setattr(reader, "MAX_NODES", 1000)


@needs_usd
def test_a_layer_of_more_prims_than_the_limit_is_refused_before_it_is_composed(
    tmp_path, capsys, thousand_prims
):
    lines = ['#usda 1.0\n(\n    defaultPrim = "W"\n)\ndef Xform "W"\n{\n']
    lines += [f'    def Xform "p{i}"\n    {{\n    }}\n' for i in range(1001)]
    path = tmp_path / "many.usda"
    path.write_text("".join(lines) + "}\n")
    _one_line_refusal(capsys, path, "the stage holds more than 1,000 prims")


@needs_usd
def test_references_multiplying_prims_past_the_limit_are_refused(tmp_path, capsys, thousand_prims):
    # 40 prims under Base, referenced by 30 prims: 1,200 prims composed from 72 specs
    base = "".join(f'        def Xform "c{i}"\n        {{\n        }}\n' for i in range(40))
    copies = "".join(
        f'    def "r{i}" (\n        references = </Base>\n    )\n    {{\n    }}\n' for i in range(30)
    )
    path = tmp_path / "copies.usda"
    path.write_text(f'#usda 1.0\ndef Xform "Base"\n{{\n{base}}}\ndef Xform "World"\n{{\n{copies}}}\n')
    _one_line_refusal(capsys, path, "the stage holds more than 1,000 prims once composed")


@needs_usd
def test_nested_references_are_refused_from_their_specs_before_the_stage_is_composed(
    tmp_path, capsys, thousand_prims
):
    # a "billion laughs" of references: 10 prims a level, each referencing the level
    # below, 4 levels: 10^4 prims composed from 40 specs (8 levels, 10^8: pxr aborted)
    text = '#usda 1.0\n(\n    defaultPrim = "L4"\n)\ndef Mesh "L0"\n{\n}\n'
    for level in range(1, 5):
        text += f'def Xform "L{level}"\n{{\n'
        for k in range(10):
            text += f'    def "c{k}" (\n        references = </L{level - 1}>\n    )\n    {{\n    }}\n'
        text += "}\n"
    path = tmp_path / "laughs.usda"
    path.write_text(text)
    from holopack.scene.usd import package

    # counted from the layer's specs alone: L3 holds 10 x (1 + 10 x (1 + 10)) = 1,110
    # prims, L4 10 x (1 + 1,110) = 11,110, past twice the limit
    with pytest.raises(InputError, match=r"would compose more than 1,000 prims \(about 11,110 counted"):
        package.check_layers(str(path))
    _one_line_refusal(capsys, path, "references and instances would compose more than 1,000 prims")
    # a reference cycle (pxr drops it) adds nothing and ends
    cycle = tmp_path / "cycle.usda"
    cycle.write_text(
        '#usda 1.0\ndef Xform "A" (\n    references = </B>\n)\n{\n    def Xform "a" {}\n}\n'
        'def Xform "B" (\n    references = </A>\n)\n{\n    def Xform "b" {}\n}\n'
    )
    package.check_layers(str(cycle))


@needs_usd
def test_the_composed_estimate_looks_in_the_sublayers_that_hold_a_prim_only(
    tmp_path, capsys, monkeypatch, thousand_prims
):
    from holopack.scene.usd import package

    # 900 prims over 200 empty sublayers: each prim looked up in every sublayer took 34 s
    # for 20,000 prims; each prim (and each layer's root) is visited once now
    for i in range(200):
        (tmp_path / f"s{i}.usda").write_text("#usda 1.0\n")
    subs = ", ".join(f"@s{i}.usda@" for i in range(200))
    prims = "".join(f'    def Xform "p{i}"\n    {{\n    }}\n' for i in range(900))
    path = tmp_path / "wide.usda"
    path.write_text(f'#usda 1.0\n(\n    subLayers = [{subs}]\n)\ndef Xform "W"\n{{\n{prims}}}\n')
    visits = []
    real = package._prim_parts
    monkeypatch.setattr(package, "_prim_parts", lambda *a: visits.append(a[-1]) or real(*a))
    package.check_layers(str(path))
    assert len(visits) == 1 + 1 + 900 + 200  # the root, W, its prims, each sublayer's root
    # a sublayer's prims still count: 8 levels of 3 prims referencing the level below
    laughs = '#usda 1.0\ndef "L0"\n{\n}\n'
    for level in range(1, 9):
        refs = "".join(
            f'    def "c{k}" (\n        references = </L{level - 1}>\n    )\n    {{\n    }}\n'
            for k in range(3)
        )
        laughs += f'def "L{level}"\n{{\n{refs}}}\n'
    (tmp_path / "laughs.usda").write_text(laughs)
    top = tmp_path / "top.usda"
    top.write_text("#usda 1.0\n(\n    subLayers = [@laughs.usda@]\n)\n")
    _one_line_refusal(capsys, top, "would compose more than 1,000 prims")


@needs_usd
def test_a_text_layer_is_counted_against_the_budget_by_its_numbers_before_pxr_parses_it(
    tmp_path, capsys, monkeypatch
):
    from pxr import Sdf

    from holopack.scene.usd import package

    # 400,000 face counts in 1.2 MB of text: 180 bytes a number (pxr's parser held 1.8
    # GB for 10^7 of them) and 12 a byte, 82 MB, past a budget of 64 MB
    counts = "[" + "3, " * 399_999 + "3]"
    big = _quad(tmp_path, name="counts.usda")
    big.write_text(big.read_text().replace("[4, 4]", counts))
    text = big.read_bytes()
    assert package.text_layer_cost(str(big), str(big), "") == len(text) * 12 + text.count(b",") * 180
    monkeypatch.setenv("HOLOPACK_MEMORY_BUDGET_MB", "64")
    monkeypatch.setattr(Sdf.Layer, "FindOrOpen", staticmethod(lambda *a: pytest.fail("parsed")))
    _one_line_refusal(capsys, big, "the stage (USD text, which pxr parses whole) needs 82 MB")
    # a layer inside a package is counted from its entry; a crate costs nothing here
    package_path = _stored_zip(tmp_path / "counts.usdz", {"counts.usda": big.read_bytes()})
    _one_line_refusal(capsys, package_path, "USD text, which pxr parses whole")
    assert package.text_layer_cost(str(tmp_path / "x.usdc"), str(tmp_path / "x.usdc"), "") == 0
    monkeypatch.undo()
    assert len(load(_quad(tmp_path)).draw_items) == 1  # a small stage reads as before


@needs_usd
def test_a_crates_arrays_are_counted_from_its_structure_before_pxr_unpacks_them(
    tmp_path, capsys, monkeypatch
):
    from pxr import Sdf, Usd, UsdGeom, Vt

    from holopack.scene.usd import crate

    # a crate packs 10^6 face counts of 3 and 3 x 10^6 indices of 0 into a few KB;
    # unpacked they are 16 MB (10^8 of them: 1.5 GB, pxr's bad_alloc past 2 GB)
    path = tmp_path / "packed.usdc"
    stage = Usd.Stage.CreateNew(str(path))
    mesh = UsdGeom.Mesh.Define(stage, "/Root/m")
    mesh.GetPointsAttr().Set(Vt.Vec3fArray([(0, 0, 0), (1, 0, 0), (0, 1, 0)]))
    mesh.GetFaceVertexCountsAttr().Set(Vt.IntArray(1_000_000, 3))
    mesh.GetFaceVertexIndicesAttr().Set(Vt.IntArray(3_000_000, 0))
    stage.GetRootLayer().Save()
    assert path.stat().st_size < 100_000
    with open(path, "rb") as f:
        assert crate.array_bytes(f, path.stat().st_size) == 1_000_000 * 4 + 3_000_000 * 4 + 3 * 12
    monkeypatch.setenv("HOLOPACK_MEMORY_BUDGET_MB", "8")
    monkeypatch.setattr(Sdf.Layer, "FindOrOpen", staticmethod(lambda *a: pytest.fail("unpacked")))
    _one_line_refusal(capsys, path, "the stage's arrays (as pxr unpacks them) needs")
    # the same crate as a package's first entry, read where it lies in the .usdz
    package_path = _stored_zip(tmp_path / "packed.usdz", {"packed.usdc": path.read_bytes()})
    _one_line_refusal(capsys, package_path, "the stage's arrays (as pxr unpacks them) needs")
    # a field table whose offsets leave the file: one line, before pxr reads it
    data = bytearray(path.read_bytes())
    toc = int.from_bytes(data[16:24], "little")
    data[toc : toc + 8] = (3).to_bytes(8, "little")  # the first of 3 sections: FIELDS at 2^40
    data[toc + 8 : toc + 40] = b"FIELDS".ljust(16, b"\0") + (2**40).to_bytes(8, "little") * 2
    damaged = tmp_path / "damaged.usdc"
    damaged.write_bytes(bytes(data))
    _one_line_refusal(capsys, damaged, "is a damaged crate (an offset past the end of the file")


@needs_usd
def test_prims_nested_past_the_depth_limit_are_refused_before_pxr_recurses_over_them(
    tmp_path, capsys, monkeypatch
):
    from pxr import Sdf

    from holopack.scene.usd import package

    # pxr's parser died (SIGSEGV) on a .usda of prims 99,999 deep, its list of a layer's
    # dependencies on one 20,000 deep; 5,000 is past the limit of 4,096
    deep = tmp_path / "deep.usda"
    deep.write_text("#usda 1.0\n" + 'def "p" {\n' * 5000 + "}\n" * 5000)
    _one_line_refusal(capsys, deep, "the stage nests its prims or values 5,000 deep, more than the 4,096")
    # brackets in strings, asset paths, prim paths and comments do not nest
    quoted = _quad(tmp_path, body='        custom string note = "' + "{[(" * 5000 + '"\n', name="quoted.usda")
    quoted.write_text(quoted.read_text() + "# " + "{" * 5000 + "\n")
    assert package.text_layer_depth(str(quoted), str(quoted), "") == 4  # Root, quad, points [ and (
    # strings and comments that never end are read once, to the end of their line or of
    # the text: when each opener was scanned again, 80 KB of '"\\' took 25 s
    for name, body in (
        ("quotes", b'"\\' * 100_000),
        ("comments", b"/* " * 70_000),
        ("paths", b"<" * 200_000),
    ):
        hostile = tmp_path / f"{name}.usda"
        hostile.write_bytes(b"#usda 1.0\n" + body)
        start = time.perf_counter()
        assert package.text_layer_depth(str(hostile), str(hostile), "") == 0
        assert time.perf_counter() - start < 2.0, name
    # the limit at 100 from here: pxr takes 21 s to write a crate of prims 4,100 deep
    monkeypatch.setattr(package, "MAX_DEPTH", 100)
    # a crate holds its prims by path: counted as its specs are
    crate = Sdf.Layer.CreateNew(str(tmp_path / "deep.usdc"))
    prim_path = Sdf.Path.absoluteRootPath
    for _ in range(150):
        prim_path = prim_path.AppendChild("p")
    Sdf.CreatePrimInLayer(crate, prim_path)
    crate.Save()
    _one_line_refusal(capsys, tmp_path / "deep.usdc", "the stage nests its prims more than 100 deep")
    # references that stack two chains of 80 prims
    chain = 'def "c0" {\n' + "".join(f'def "c{i}" {{\n' for i in range(1, 80)) + "}\n" * 80
    (tmp_path / "chain.usda").write_text('#usda 1.0\n(\n    defaultPrim = "c0"\n)\n' + chain)
    stacked = chain.replace('def "c79" {', 'def "c79" (\n    references = @chain.usda@\n) {', 1)
    (tmp_path / "stacked.usda").write_text("#usda 1.0\n" + stacked)
    _one_line_refusal(capsys, tmp_path / "stacked.usda", "references nest its prims more than 100 deep once")


def _skinned_quad(joints: list[str], transforms: int) -> str:
    """A SkelRoot holding a Skeleton of ``joints`` with ``transforms`` identity rest and
    bind transforms, and a quad bound to its first joint."""
    identity = "((1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1))"
    matrices = "[" + ", ".join([identity] * transforms) + "]"
    names = ", ".join(f'"{j}"' for j in joints)
    return f"""#usda 1.0
(
    defaultPrim = "Root"
)
def SkelRoot "Root"
{{
    def Skeleton "skel"
    {{
        uniform token[] joints = [{names}]
        uniform matrix4d[] bindTransforms = {matrices}
        uniform matrix4d[] restTransforms = {matrices}
    }}
    def Mesh "quad" (
        prepend apiSchemas = ["SkelBindingAPI"]
    )
    {{
        int[] faceVertexCounts = [4]
        int[] faceVertexIndices = [0, 1, 2, 3]
        point3f[] points = [(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0)]
        rel skel:skeleton = </Root/skel>
        int[] primvars:skel:jointIndices = [0, 0, 0, 0] (
            elementSize = 1
            interpolation = "vertex"
        )
        float[] primvars:skel:jointWeights = [1, 1, 1, 1] (
            elementSize = 1
            interpolation = "vertex"
        )
    }}
}}
"""


@needs_usd
def test_a_skeleton_with_fewer_transforms_than_joints_is_one_line_naming_the_counts(tmp_path, capsys):
    # pxr warns and computes no rest pose; numpy's "index 0 is out of bounds" was the line
    path = tmp_path / "short.usda"
    path.write_text(_skinned_quad(["a", "a/b", "c"], 2))
    _one_line_refusal(
        capsys,
        path,
        "unreadable USD: skeleton /Root/skel: its 3 joints have 2 restTransforms and 2 bindTransforms, "
        "not one of each per joint",
    )
    path.write_text(_skinned_quad(["a", "a/b", "c"], 3))
    assert len(load(path).skins) == 1


@needs_usd
def test_a_skeleton_of_more_joints_than_the_limit_is_refused_before_its_nodes_are_made(
    tmp_path, capsys, monkeypatch, thousand_prims
):
    from holopack.scene.usd import skel

    monkeypatch.setattr(skel, "add_joint_nodes", lambda *a: pytest.fail("joint nodes made"))
    path = tmp_path / "joints.usda"
    path.write_text(_skinned_quad([f"j{i}" for i in range(1001)], 1001))
    _one_line_refusal(capsys, path, "more than 1,000 prims and joints, more than holopack draws")


@needs_usd
def test_listing_a_stages_files_checks_each_layer_before_pxr_reads_it(tmp_path, monkeypatch):
    from pxr import Sdf

    from holopack.scene.sources import source_files

    # `pack` lists a playlist item's files before it loads it: a .usda of prims 50,000
    # deep died there (SIGSEGV) before the loader could refuse it
    (tmp_path / "more.usda").write_text('#usda 1.0\ndef "q"\n{\n}\n')
    deep = tmp_path / "deep.usda"
    deep.write_text("#usda 1.0\n(\n    subLayers = [@more.usda@]\n)\n" + 'def "p" {\n' * 5000 + "}\n" * 5000)
    opened = []
    real = Sdf.Layer.FindOrOpen
    monkeypatch.setattr(Sdf.Layer, "FindOrOpen", staticmethod(lambda p, *a: opened.append(p) or real(p, *a)))
    assert source_files(str(deep)) == [str(deep)]
    assert opened == []
    # within the limit the sublayer is listed as before
    deep.write_text("#usda 1.0\n(\n    subLayers = [@more.usda@]\n)\n" + 'def "p" {\n' * 50 + "}\n" * 50)
    assert source_files(str(deep)) == [str(deep), str(tmp_path / "more.usda")]


@needs_usd
def test_a_stage_with_nothing_to_draw_is_one_line(tmp_path, capsys):
    path = tmp_path / "empty.usda"
    path.write_text('#usda 1.0\ndef Xform "Root"\n{\n    def BasisCurves "hair"\n    {\n    }\n}\n')
    _one_line_refusal(capsys, path, "no mesh to draw")
    with pytest.raises(InputError, match="no mesh to draw"):
        load(path)


# -- the files a loose stage pulls in ------------------------------------------------------
@needs_usd
def test_a_loose_stage_ships_and_hashes_with_its_layers_and_textures(tmp_path):
    from holopack.cluster.inputs import materialise, read_bundle
    from holopack.scene.sources import source_files, source_hash

    folder = tmp_path / "twin"
    (folder / "looks").mkdir(parents=True)
    (folder / "looks" / "paint.png").write_bytes(_png((0, 0, 255, 255)))
    (folder / "looks" / "paint.usda").write_text(_material_stage(file="paint.png"))
    (folder / "unused.png").write_bytes(_png())
    stage = folder / "twin.usda"
    stage.write_text('#usda 1.0\n(\n    subLayers = [@looks/paint.usda@]\n    defaultPrim = "Root"\n)\n')
    files = source_files(str(stage))
    assert [Path(f).relative_to(folder).as_posix() for f in files] == [
        "twin.usda",
        "looks/paint.usda",
        "looks/paint.png",
    ]
    digest = source_hash(str(stage))[0]
    (folder / "looks" / "paint.png").write_bytes(_png((0, 255, 0, 255)))
    assert source_hash(str(stage))[0] != digest  # a changed texture renders again
    # a worker with no shared disk loads the same twin from the bundle
    main = materialise(read_bundle(str(stage)), cache_root=str(tmp_path / "cache"))
    scene = load(main)
    texture = scene.textures[scene.materials[0].base_color_texture]
    assert tuple(texture.pixels[0, 0]) == (0, 255, 0, 255)


# -- blend shapes --------------------------------------------------------------------------
@needs_usd
def test_blend_shapes_move_the_points_by_their_animated_weights():
    path = DATA / "made" / "blend_shapes.usda"
    text = path.read_text()
    points = np.array(_floats(re.search(r"point3f\[\] points = \[([^\]]*)\]", text).group(1))).reshape(-1, 3)
    lift_rows = np.array(_floats(re.search(r"pointIndices = \[([^\]]*)\]", text).group(1)), int)
    offsets = re.findall(r"offsets = \[([^\]]*)\]", text)
    lift, push = np.zeros_like(points), np.array(_floats(offsets[1])).reshape(-1, 3)
    lift[lift_rows] = np.array(_floats(offsets[0])).reshape(-1, 3)
    samples = re.search(r"blendShapeWeights.timeSamples = \{(.*?)\}", text, re.S).group(1)
    keys = {float(k): np.array(_floats(v)) for k, v in re.findall(r"([\d.]+): \[([^\]]*)\]", samples)}
    rate = float(re.search(r"timeCodesPerSecond = ([\d.]+)", text).group(1))
    (k0, w0), (k1, w1) = sorted(keys.items())
    scene = load(path)
    (clip,) = scene.animations
    assert clip.duration == pytest.approx(k1 / rate)
    p = scene.primitive(scene.draw_items[0])
    assert p.morph is not None and p.morph.names == ["lift", "push"]
    for seconds in (0.0, 0.25, 0.6, 1.0):
        a = (seconds * rate - k0) / (k1 - k0)
        w = (1 - a) * w0 + a * w1
        want = points + w[0] * lift + w[1] * push
        got = scene.posed_positions(None, seconds)[0]
        # the quad's four corners, each split vertex where its point is
        np.testing.assert_allclose(np.unique(got, axis=0), np.unique(want, axis=0), atol=1e-6)


@needs_usd
def test_textures_over_the_budget_are_reduced_and_the_notice_reaches_stderr(monkeypatch):
    # pxr's stderr (file descriptor 2) is held during the load; holopack's own notice must
    # still be shown: a child process, whose descriptor 2 is a real pipe
    path = DATA / "AnimatedCube" / "AnimatedCube.usdz"
    sizes = [t.pixels.shape[:2] for t in load(path).textures]
    monkeypatch.setenv("HOLOPACK_MEMORY_BUDGET_MB", "4")  # the two 512 px maps need 4 MB
    code = (
        "import sys; from holopack.scene.load import load; "
        "s = load(sys.argv[1]); print([t.pixels.shape[:2] for t in s.textures])"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert "warning" in out.stderr and "drawn at 1/2" in out.stderr and str(path) in out.stderr
    assert out.stdout.strip() == str([(-(-h // 2), -(-w // 2)) for h, w in sizes])


_TRIANGLE = """        int[] faceVertexCounts = [3]
        int[] faceVertexIndices = [0, 1, 2]
        point3f[] points = [(0, 0, 0), (1, 0, 0), (0, 1, 0)]
"""


@needs_usd
def test_instances_draw_their_prototype_at_each_place(tmp_path):
    path = tmp_path / "instances.usda"
    instance = (
        '    def "{name}" (\n        instanceable = true\n        references = </Proto>\n    )\n    {{\n'
        "        double3 xformOp:translate = ({x}, 0, 0)\n"
        '        uniform token[] xformOpOrder = ["xformOp:translate"]\n    }}\n'
    )
    path.write_text(
        '#usda 1.0\n(\n    defaultPrim = "Root"\n    metersPerUnit = 1\n)\n'
        f'class Xform "Proto"\n{{\n    def Mesh "tri"\n    {{\n{_TRIANGLE}    }}\n}}\n'
        'def Xform "Root"\n{\n' + instance.format(name="a", x=0) + instance.format(name="b", x=5) + "}\n"
    )
    scene = load(path)
    posed = scene.pose()
    assert len(posed) == 2 and scene.triangle_count == 2
    lows = sorted(float(p.positions[:, 0].min()) for p in posed)
    assert lows == [0.0, 5.0]


@needs_usd
def test_material_subsets_become_primitives_with_their_own_materials(tmp_path):
    def material(name, rgb):
        return (
            f'        def Material "{name}"\n        {{\n'
            f"            token outputs:surface.connect = </Root/Looks/{name}/S.outputs:surface>\n"
            f'            def Shader "S"\n            {{\n'
            f'                uniform token info:id = "UsdPreviewSurface"\n'
            f"                color3f inputs:diffuseColor = {rgb}\n"
            f"                token outputs:surface\n            }}\n        }}\n"
        )

    subset = (
        '        def GeomSubset "{name}" (\n            prepend apiSchemas = ["MaterialBindingAPI"]\n        )\n'
        '        {{\n            uniform token elementType = "face"\n'
        '            uniform token familyName = "materialBind"\n'
        "            int[] indices = [{face}]\n"
        "            rel material:binding = </Root/Looks/{material}>\n        }}\n"
    )
    body = subset.format(name="left", face=0, material="Red") + subset.format(
        name="right", face=1, material="Blue"
    )
    more = (
        '    def Scope "Looks"\n    {\n'
        + material("Red", "(1, 0, 0)")
        + material("Blue", "(0, 0, 1)")
        + "    }\n"
    )
    scene = load(_quad(tmp_path, body=body, more=more))
    assert len(scene.draw_items) == 2
    for item in scene.draw_items:
        p = scene.primitive(item)
        assert len(p.indices) == 2  # the quad's two fan triangles
        colour = scene.materials[p.material].base_color_factor[:3]
        centre_x = p.positions[:, 0].mean()
        # face 0 spans x 0..1 (red), face 1 spans x 1..2 (blue)
        np.testing.assert_allclose(colour, [1, 0, 0] if centre_x < 1 else [0, 0, 1])


@needs_usd
def test_a_compressed_package_and_a_broken_mesh_are_one_line_each(tmp_path, capsys):
    packed = tmp_path / "packed.usdz"
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("packed.usda", _QUAD.format(body="", more="", extra_meta=""))
    _one_line_refusal(capsys, packed, "compressed")
    broken = (
        _quad(tmp_path, name="broken.usda")
        .read_text()
        .replace("[0, 1, 2, 3, 1, 4, 5, 2]", "[0, 1, 2, 3, 1, 4, 5, 99]")
    )
    (tmp_path / "broken.usda").write_text(broken)
    _one_line_refusal(capsys, tmp_path / "broken.usda", "beyond its 6 points")
    short = broken.replace("[4, 4]", "[4, 5]")
    (tmp_path / "short.usda").write_text(short)
    _one_line_refusal(capsys, tmp_path / "short.usda", "face vertex counts add up to 9")
    not_picture = _stored_zip(
        tmp_path / "text.usdz",
        {"text.usda": _material_stage().encode(), "paint.png": b"not a picture at all"},
    )
    _one_line_refusal(capsys, not_picture, "paint.png", "not a picture")


# -- time ----------------------------------------------------------------------------------
TIMES = STAGES / "foundation" / "stage_configuration" / "timeCodesPerSecond"


@needs_usd
def test_time_codes_per_second_sets_the_clips_seconds():
    stage_text = (TIMES / "timeCodesPerSecond_48.usda").read_text()
    rate = float(re.search(r"timeCodesPerSecond = ([\d.]+)", stage_text).group(1))
    end = float(re.search(r"endTimeCode = ([\d.]+)", stage_text).group(1))
    metres = _meters_per_unit(stage_text)
    cube = (STAGES / "_common" / "animated_cube_translation.usda").read_text()
    samples = re.search(r"translate.timeSamples = \{(.*?)\}", cube, re.S).group(1)
    keys = [(float(k), np.array(_floats(v))) for k, v in re.findall(r"([\d.]+): \(([^)]*)\)", samples)]
    (k0, x0), (k1, x1) = keys
    # the sublayer's samples keep their own rate (USD scales a sublayer's time codes by
    # the ratio of the rates): it says none, so USD's fallback of 24
    own = re.search(r"timeCodesPerSecond = ([\d.]+)", cube)
    cube_rate = float(own.group(1)) if own else 24.0
    with allow_outside_files():
        scene = load(TIMES / "timeCodesPerSecond_48.usda")
    (clip,) = scene.animations
    assert clip.duration == pytest.approx(end / rate)
    for code in (0.0, 30.0, 75.0, 100.0):
        a = (code / rate * cube_rate - k0) / (k1 - k0)
        want = ((1 - a) * x0 + a * x1) * metres
        box = scene.pose(None, code / rate)
        centre = next(
            p.positions.mean(axis=0)
            for item, p in zip(scene.draw_items, box)
            if scene.nodes[item.node].name == "animatedCube"
        )
        np.testing.assert_allclose(centre, want, atol=1e-6)


@needs_usd
def test_a_stage_at_zero_time_codes_per_second_is_refused_at_once():
    # pxr asked for time samples without end on this file: a child process, bounded
    stage = TIMES / "timeCodesPerSecond_0.usda"
    out = subprocess.run(
        [sys.executable, "-m", "holopack", "inspect", "--allow-outside-files", str(stage)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "timeCodesPerSecond 0, not a rate" in lines[0]


# -- implicit shapes -----------------------------------------------------------------------
# (type, authored attributes, its volume in closed form (None: a plane), its axis)
IMPLICIT = [
    ("Sphere", {"radius": 0.7}, 4 / 3 * math.pi * 0.7**3, "Z"),
    ("Cube", {"size": 1.5}, 1.5**3, "Z"),
    ("Cylinder", {"radius": 0.4, "height": 1.2, "axis": "X"}, math.pi * 0.4**2 * 1.2, "X"),
    ("Cone", {"radius": 0.5, "height": 2.0, "axis": "Y"}, math.pi * 0.5**2 * 2.0 / 3, "Y"),
    ("Capsule", {"radius": 0.3, "height": 1.0}, math.pi * 0.3**2 * 1.0 + 4 / 3 * math.pi * 0.3**3, "Z"),
    (
        "Cylinder_1",
        {"radiusBottom": 0.6, "radiusTop": 0.2, "height": 1.0, "axis": "Y"},
        math.pi * 1.0 / 3 * (0.6**2 + 0.6 * 0.2 + 0.2**2),
        "Y",
    ),
    ("Capsule_1", {"radiusBottom": 0.6, "radiusTop": 0.2, "height": 2.0}, None, "Z"),
    ("Plane", {"width": 2.0, "length": 6.0, "axis": "X"}, None, "X"),
]


def _implicit_stage(tmp_path, kind: str, attributes: dict) -> Path:
    lines = []
    for name, v in attributes.items():
        if isinstance(v, str):
            lines.append(f'        uniform token {name} = "{v}"')
        else:
            lines.append(f"        double {name} = {v}")
    lines.append("        color3f[] primvars:displayColor = [(0.9, 0.5, 0.1)]")
    path = tmp_path / f"{kind}.usda"
    body = "\n".join(lines)
    path.write_text(f'#usda 1.0\n(\n    upAxis = "Y"\n)\ndef {kind} "shape"\n{{\n{body}\n}}\n')
    return path


def _signed_volume(positions, triangles) -> float:
    a, b, c = (positions[triangles[:, k]].astype(np.float64) for k in range(3))
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)


@needs_usd
@pytest.mark.parametrize("kind, attributes, volume, axis", IMPLICIT, ids=[k[0] for k in IMPLICIT])
def test_an_implicit_shape_fills_pxrs_extent_faces_outward_and_holds_its_volume(
    tmp_path, kind, attributes, volume, axis
):
    """Each implicit prim is drawn as triangles whose box is the extent pxr computes for
    it, wound counter-clockwise outward (a positive volume, normals along the faces)
    and, for the closed ones, holding the closed form's volume to the tessellation's
    2% (32 segments around, 16 rings: a sphere holds 98.4%)."""
    from pxr import Usd, UsdGeom

    path = _implicit_stage(tmp_path, kind, attributes)
    stage = Usd.Stage.Open(str(path))
    extent = np.array(
        UsdGeom.Boundable.ComputeExtentFromPlugins(
            UsdGeom.Boundable(stage.GetPrimAtPath("/shape")), Usd.TimeCode.Default()
        )
    )
    scene = load(path)
    (primitive,) = scene.meshes[0].primitives
    positions, triangles = primitive.positions, primitive.indices.reshape(-1, 3)
    np.testing.assert_allclose(positions.min(axis=0), extent[0], atol=2e-3)
    np.testing.assert_allclose(positions.max(axis=0), extent[1], atol=2e-3)
    a, b, c = (positions[triangles[:, k]].astype(np.float64) for k in range(3))
    face = np.cross(b - a, c - a)
    corner_normals = primitive.normals[triangles].astype(np.float64).sum(axis=1)
    assert (np.einsum("ij,ij->i", face, corner_normals) > 0).all()  # winding agrees with the normals
    np.testing.assert_allclose(np.linalg.norm(primitive.normals, axis=1), 1.0, atol=1e-5)
    if volume is not None:
        assert _signed_volume(positions, triangles) == pytest.approx(volume, rel=0.02)
    material = scene.materials[primitive.material]
    np.testing.assert_allclose(material.base_color_factor[:3], (0.9, 0.5, 0.1), atol=1e-6)
    assert material.double_sided == (kind == "Plane")  # the schema's default for each


@needs_usd
def test_a_stage_of_implicit_shapes_is_drawn_lit(tmp_path):
    """A product built of shapes only (a lamp: a cone shade on a cylinder post on a
    plane) exports; the picture shows the shade's colour."""
    from PIL import Image

    from holopack.cli import main

    path = tmp_path / "lamp.usda"
    path.write_text(
        '#usda 1.0\n(\n    upAxis = "Y"\n)\ndef Xform "lamp"\n{\n'
        '    def Cylinder "post"\n    {\n        double radius = 0.05\n        double height = 1.0\n'
        '        uniform token axis = "Y"\n    }\n'
        '    def Cone "shade"\n    {\n        double radius = 0.4\n        double height = 0.4\n'
        '        uniform token axis = "Y"\n        double3 xformOp:translate = (0, 0.6, 0)\n'
        '        uniform token[] xformOpOrder = ["xformOp:translate"]\n'
        "        color3f[] primvars:displayColor = [(0.9, 0.1, 0.1)]\n    }\n}\n"
    )
    out = tmp_path / "frames"
    assert (
        main(
            [
                "export",
                str(path),
                "--device",
                "mp4-fan",
                "--format",
                "png",
                "--seconds",
                "0.1",
                "--size",
                "96",
                "-q",
                "-o",
                f"{out}/",
            ]
        )
        == 0
    )
    picture = np.asarray(Image.open(sorted(out.glob("*.png"))[0]).convert("RGB")).astype(int)
    red = picture[..., 0] > picture[..., 1] + 60  # the shade: lit, 0.1 linear is sRGB 89
    assert red.sum() > 200
    ys = np.nonzero(red)[0]
    lit = np.nonzero(picture.max(axis=2) > 20)[0]
    assert ys.mean() < lit.mean()  # the shade is at the top


@needs_usd
def test_a_materialx_layer_is_left_out_with_a_warning_and_outside_ones_still_refused(tmp_path, capsys):
    """usd-core reads no MaterialX: a look that references a .mtlx beside the geometry
    (usd-wg's OpenChessSet) is drawn without it, said once; a .mtlx named outside the
    stage's folder is refused as any outside layer is."""
    folder = tmp_path / "piece"
    folder.mkdir()
    (folder / "look.mtlx").write_text('<?xml version="1.0"?>\n<materialx version="1.38"/>\n')
    mesh = _implicit_stage(folder, "Sphere", {"radius": 0.5}).read_text().split("\n", 4)[4]
    stage = folder / "piece.usda"
    stage.write_text(
        '#usda 1.0\ndef Xform "piece"\n{\n    def Scope "Materials" (\n'
        "        prepend references = @./look.mtlx@</MaterialX/Materials>\n    )\n    {\n    }\n}\n" + mesh
    )
    scene = load(stage)
    assert len(scene.meshes) == 1
    assert any("look.mtlx" in w and "MaterialX" in w for w in scene.warnings)
    (tmp_path / "sub").mkdir()
    moved = tmp_path / "sub" / "p.usda"
    moved.write_text(stage.read_text().replace("@./look.mtlx@", "@../piece/look.mtlx@"))
    _one_line_refusal(capsys, moved, "look.mtlx", "--allow-outside-files")


@needs_usd
def test_a_point_instancer_draws_each_prototype_at_each_instance_and_hides_the_invisible(tmp_path):
    """Four instances of two prototypes (a cube of edge 0.2 with its own offset, and a
    sphere), placed by positions, orientations and scales; id 2 is invisible. The
    expected corners are computed here from the authored numbers, with no pxr."""
    stage = tmp_path / "shelf.usda"
    stage.write_text(
        '#usda 1.0\n(\n    upAxis = "Y"\n    metersPerUnit = 1\n)\n'
        'def PointInstancer "shelf"\n{\n'
        "    point3f[] positions = [(0, 0, 0), (1, 0, 0), (2, 0, 0), (0, 1, 0)]\n"
        "    quath[] orientations = [(1, 0, 0, 0), (0.7071068, 0, 0, 0.7071068), (1, 0, 0, 0), (1, 0, 0, 0)]\n"
        "    float3[] scales = [(1, 1, 1), (1, 3, 1), (1, 1, 1), (2, 2, 2)]\n"
        "    int[] protoIndices = [0, 0, 1, 1]\n"
        "    int64[] invisibleIds = [2]\n"
        "    rel prototypes = [</shelf/protos/box>, </shelf/protos/ball>]\n"
        '    def Scope "protos"\n    {\n'
        '        def Cube "box"\n        {\n            double size = 0.2\n'
        "            double3 xformOp:translate = (0, 0.5, 0)\n"
        '            uniform token[] xformOpOrder = ["xformOp:translate"]\n        }\n'
        '        def Sphere "ball"\n        {\n            double radius = 0.1\n        }\n'
        "    }\n}\n"
    )
    scene = load(stage)
    boxes = sorted(
        (np.round(p.positions.min(axis=0), 4).tolist(), np.round(p.positions.max(axis=0), 4).tolist())
        for p in scene.pose()
    )
    # instance 0: the cube at its own offset; 1: scaled 3 along y, then turned 90 degrees
    # about z (quath is (real, i, j, k)), so the offset (0, 1.5, 0) points along -x and
    # the cube is 0.6 long across x; 2: hidden; 3: the sphere doubled at (0, 1, 0)
    expected = sorted(
        [
            ([-0.1, 0.4, -0.1], [0.1, 0.6, 0.1]),
            ([1.0 - 1.5 - 0.3, -0.1, -0.1], [1.0 - 1.5 + 0.3, 0.1, 0.1]),
            ([-0.2, 0.8, -0.2], [0.2, 1.2, 0.2]),
        ]
    )
    assert len(boxes) == 3
    for (lo, hi), (elo, ehi) in zip(boxes, expected):
        np.testing.assert_allclose(lo, elo, atol=2e-3)
        np.testing.assert_allclose(hi, ehi, atol=2e-3)
    # each prototype's mesh is read once, however many instances draw it
    assert len(scene.meshes) == 2


@needs_usd
def test_a_blend_shape_without_point_offsets_leaves_the_points_where_they_are(tmp_path):
    """pxr's own blendshapesWithNormals test turns normals only: no `offsets` authored
    reads as no movement, not as a broken file."""
    text = (DATA / "made" / "blend_shapes.usda").read_text()
    path = tmp_path / "normals_only.usda"
    path.write_text(text.replace("uniform vector3f[] offsets = [(0, 0.5, 0), (0, 0.5, 0)]", ""))
    scene = load(path)
    still = load(DATA / "made" / "blend_shapes.usda")
    # at the first key the weights are those of the original; "lift" no longer moves
    lifted = scene.primitive(scene.draw_items[0]).morph
    assert lifted is not None and lifted.names == ["lift", "push"]
    np.testing.assert_array_equal(lifted.positions[0], 0.0)
    np.testing.assert_array_equal(
        lifted.positions[1], still.primitive(still.draw_items[0]).morph.positions[1]
    )


@needs_usd
def test_a_point_instancer_the_schema_does_not_hold_is_said_and_the_rest_drawn(tmp_path):
    path = tmp_path / "bad_instancer.usda"
    path.write_text(
        '#usda 1.0\ndef Xform "root"\n{\n'
        '    def PointInstancer "broken"\n    {\n'
        "        point3f[] positions = [(0, 0, 0), (1, 0, 0)]\n        int[] protoIndices = [0, 3]\n"
        "        rel prototypes = </root/broken/protos/ball>\n"
        '        def Scope "protos"\n        {\n            def Sphere "ball"\n            {\n            }\n        }\n'
        "    }\n"
        '    def Cube "box"\n    {\n    }\n}\n'
    )
    scene = load(path)
    assert len(scene.draw_items) == 1  # the cube; the instancer's ball nowhere
    assert any("/root/broken" in w and "not drawn" in w for w in scene.warnings)
