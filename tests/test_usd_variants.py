"""USD variant sets through --variant: a product configurator's colourways and shapes.

A USD product twin keeps its options in variant sets on its root prim (a "color" set of
looks, a "shape" set of geometries); a variant may change the geometry as well as the
materials, so choosing one composes the stage anew with that selection (in a session
layer: the file is never written). The stage here is written as text in the test; the
expected colours are its UsdPreviewSurface diffuse colours and the expected triangle
counts its faces, counted from the text's numbers, not through the loader.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from holopack.cli import main
from holopack.errors import InputError
from holopack.scene import usd
from holopack.scene.load import load

pytestmark = pytest.mark.skipif(not usd.available(), reason=f"usd-core is not installed: {usd.INSTALL}")

RED, BLUE = (0.8, 0.05, 0.05), (0.05, 0.1, 0.8)

_STAGE = """#usda 1.0
(
    defaultPrim = "Bottle"
    metersPerUnit = 1
    upAxis = "Y"
)
def Xform "Bottle" (
    variants = {
        string color = "red"
        string shape = "square"
    }
    prepend variantSets = ["color", "shape"]
)
{
    def Scope "Looks"
    {
        def Material "Red"
        {
            token outputs:surface.connect = </Bottle/Looks/Red/Surface.outputs:surface>
            def Shader "Surface"
            {
                uniform token info:id = "UsdPreviewSurface"
                color3f inputs:diffuseColor = (0.8, 0.05, 0.05)
                float inputs:roughness = 1
                token outputs:surface
            }
        }
        def Material "Blue"
        {
            token outputs:surface.connect = </Bottle/Looks/Blue/Surface.outputs:surface>
            def Shader "Surface"
            {
                uniform token info:id = "UsdPreviewSurface"
                color3f inputs:diffuseColor = (0.05, 0.1, 0.8)
                float inputs:roughness = 1
                token outputs:surface
            }
        }
    }
    variantSet "color" = {
        "red" {
            over "Body" (
                prepend apiSchemas = ["MaterialBindingAPI"]
            )
            {
                rel material:binding = </Bottle/Looks/Red>
            }
        }
        "blue" {
            over "Body" (
                prepend apiSchemas = ["MaterialBindingAPI"]
            )
            {
                rel material:binding = </Bottle/Looks/Blue>
            }
        }
    }
    variantSet "shape" = {
        "square" {
            def Mesh "Body"
            {
                int[] faceVertexCounts = [4]
                int[] faceVertexIndices = [0, 1, 2, 3]
                point3f[] points = [(-1, -1, 0), (1, -1, 0), (1, 1, 0), (-1, 1, 0)]
                uniform token subdivisionScheme = "none"
            }
        }
        "star" {
            def Mesh "Body"
            {
                int[] faceVertexCounts = [3, 3, 3, 3, 3]
                int[] faceVertexIndices = [0, 1, 2, 0, 2, 3, 0, 3, 4, 0, 4, 5, 0, 5, 1]
                point3f[] points = [(0, 0, 0), (0, 1, 0), (-0.95, 0.31, 0), (-0.59, -0.81, 0), (0.59, -0.81, 0), (0.95, 0.31, 0)]
                uniform token subdivisionScheme = "none"
            }
        }
    }
}
"""


def stage(tmp_path: Path, name: str = "bottle.usda") -> Path:
    path = tmp_path / name
    path.write_text(_STAGE)
    return path


def faces(variant: str) -> int:
    """The triangles of the shape variant's mesh, from the stage's text."""
    body = _STAGE.split(f'"{variant}" {{', 1)[1]
    counts = body.split("faceVertexCounts = [", 1)[1].split("]", 1)[0]
    return sum(int(c) - 2 for c in counts.split(","))


def srgb(linear) -> np.ndarray:
    c = np.asarray(linear, np.float64)
    return np.round(np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055) * 255)


def centre_colour(path, tmp_path, *variant) -> np.ndarray:
    out = tmp_path / f"look{len(list(tmp_path.glob('look*')))}.png"
    argv = ["export", str(path), "-o", str(out), "--device", "mp4-fan", "--size", "64", "--seconds", "0.02"]
    argv += ["--turntable", "0", "--shading", "unlit", "-q", *(["--variant", *variant] if variant else [])]
    assert main(argv) == 0
    return np.asarray(Image.open(out).convert("RGB"))[32, 32].astype(float)


def test_the_stage_lists_every_variant_of_its_variant_sets(tmp_path):
    scene = load(stage(tmp_path))
    assert scene.variants == [
        "color=blue",
        "color=red",
        "shape=square",
        "shape=star",
    ]  # sorted, as pxr lists them
    assert scene.triangle_count == faces("square")


@pytest.mark.parametrize(
    "variant, colour, shape",
    [
        (None, RED, "square"),  # the file's own selections
        ("color=blue", BLUE, "square"),
        ("blue", BLUE, "square"),  # a variant's name alone, where no other set has it
        ("COLOR=Blue", BLUE, "square"),  # without regard to case
        ("3", RED, "star"),  # an index: shape=star, the colour as the file selects it
    ],
)
def test_a_variant_composes_the_stage_with_that_selection(tmp_path, variant, colour, shape):
    path = stage(tmp_path)
    scene = load(path).with_variant(variant)
    assert scene.triangle_count == faces(shape)
    got = centre_colour(path, tmp_path, *([variant] if variant else []))
    np.testing.assert_allclose(got, srgb(colour), atol=2)
    assert path.read_text() == _STAGE  # the selection never touches the file


def test_choosing_again_starts_from_the_file_and_the_library_takes_it_too(tmp_path):
    scene = load(stage(tmp_path))
    star = scene.with_variant("shape=star")
    back = star.with_variant("shape=square")
    assert star.triangle_count == faces("star") and back.triangle_count == faces("square")
    assert star.variants == scene.variants and star.variant == 3 and star.as_loaded is scene


def test_an_unknown_variant_is_one_line(tmp_path, capsys):
    rc = main(["export", str(stage(tmp_path)), "-o", str(tmp_path / "x.mp4"), "--variant", "green", "-q"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "green" in err and "color=red" in err, err
    with pytest.raises(InputError):
        load(stage(tmp_path)).with_variant(9)


def test_inspect_lists_the_variant_sets_and_the_files_selection(tmp_path, capsys):
    path = stage(tmp_path)
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "variants (4; --variant SET=NAME|NAME|INDEX" in out
    assert "[1] color=red: USD variant set 'color' of /Bottle, the file's selection" in out
    assert "[3] shape=star: USD variant set 'shape' of /Bottle" in out
    assert main(["inspect", str(path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert [v["name"] for v in info["variants"]][:2] == ["color=blue", "color=red"]


def test_a_zipped_stage_composes_its_variants_too(tmp_path):
    archive = tmp_path / "bottle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("bottle/bottle.usda", _STAGE)
    scene = load(archive)
    assert scene.with_variant("star").triangle_count == faces("star")
    np.testing.assert_allclose(centre_colour(archive, tmp_path, "blue"), srgb(BLUE), atol=2)


_DISPLAY_COLOUR_LOOK = """#usda 1.0
(
    defaultPrim = "Pot"
    metersPerUnit = 1
    upAxis = "Y"
)
def Xform "Pot" (
    variants = {
        string shadingVariant = "Green"
    }
    prepend variantSets = "shadingVariant"
)
{
    def Mesh "Body" (
        prepend apiSchemas = ["MaterialBindingAPI"]
    )
    {
        int[] faceVertexCounts = [4]
        int[] faceVertexIndices = [0, 1, 2, 3]
        point3f[] points = [(-1, -1, 0), (1, -1, 0), (1, 1, 0), (-1, 1, 0)]
        uniform token subdivisionScheme = "none"
        rel material:binding = </Pot/Looks/Glaze>
    }
    def Scope "Looks"
    {
        def Material "Glaze"
        {
            token outputs:surface.connect = </Pot/Looks/Glaze/Surface.outputs:surface>
            def Shader "Surface"
            {
                uniform token info:id = "UsdPreviewSurface"
                color3f inputs:diffuseColor.connect = </Pot/Looks/Glaze/Colour.outputs:result>
                float inputs:roughness = 1
                token outputs:surface
            }
            def Shader "Colour"
            {
                uniform token info:id = "UsdPrimvarReader_float3"
                string inputs:varname = "displayColor"
                float3 inputs:fallback = (0.5, 0.5, 0.5)
                float3 outputs:result
            }
        }
    }
    variantSet "shadingVariant" = {
        "Green" {
            over "Body"
            {
                color3f[] primvars:displayColor = [(0.1, 0.7, 0.1)] (interpolation = "constant")
            }
        }
        "Orange" {
            over "Body"
            {
                color3f[] primvars:displayColor = [(0.9, 0.4, 0.05)] (interpolation = "constant")
            }
        }
    }
}
"""


@pytest.mark.parametrize("variant, colour", [(None, (0.1, 0.7, 0.1)), ("Orange", (0.9, 0.4, 0.05))])
def test_a_look_that_reads_the_meshs_display_colour_draws_each_variants_colour(tmp_path, variant, colour):
    # a product's colourways as usd-wg's Teapot writes them: one material whose
    # diffuseColor is a UsdPrimvarReader of displayColor, and a variant per colour
    path = tmp_path / "pot.usda"
    path.write_text(_DISPLAY_COLOUR_LOOK)
    scene = load(path)
    assert not [w for w in scene.warnings if "UsdPrimvarReader" in w]
    got = centre_colour(path, tmp_path, *([variant] if variant else []))
    np.testing.assert_allclose(got, srgb(colour), atol=2)
