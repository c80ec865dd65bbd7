"""The Numba rasterizer against its numpy twin, and its rules on small scenes."""

from pathlib import Path

import numpy as np
import pytest

from holopack.rendering import Renderer, render
from holopack.rendering.camera import look_at, orthographic, perspective
from holopack.rendering.raster_reference import rasterize
from holopack.scene.types import Material, PosedPrimitive, Primitive, Texture

DATA = Path(__file__).parent / "data"


def prim(positions, indices, material=0, normals=None):
    positions = np.asarray(positions, np.float32).reshape(-1, 3)
    if normals is None:
        normals = np.tile(np.array([0, 0, 1], np.float32), (len(positions), 1))
    p = Primitive(
        positions=positions,
        normals=np.asarray(normals, np.float32),
        indices=np.asarray(indices, np.int32).reshape(-1, 3),
        material=material,
    )
    return PosedPrimitive(p.positions, p.normals, p)


def pixel_camera(width, height):
    """Orthographic camera mapping world (x, y) to picture (x + W/2, H/2 - y)."""
    return look_at((0, 0, 5), (0, 0, 0)), orthographic(width / 2, height / 2, 1, 10)


def random_scene(rng, count, spread):
    """Random triangles around the origin, some crossing the camera plane."""
    centres = rng.normal(size=(count, 1, 3)) * spread
    corners = centres + rng.normal(size=(count, 3, 3)) * spread * 0.4
    positions = corners.reshape(-1, 3)
    indices = np.arange(len(positions)).reshape(-1, 3)
    return positions, indices


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numba_matches_numpy_reference(seed):
    rng = np.random.default_rng(seed)
    width, height = 72, 48
    pos, idx = random_scene(rng, 60, 1.0)
    half = len(idx) // 2
    posed = [prim(pos, idx[:half], 0), prim(pos, idx[half:], 1)]
    materials = [Material(), Material(double_sided=True)]
    # the eye inside the cloud: triangles in front, behind and across the near plane
    view = look_at((0.3, 0.2, 1.2), (0, 0, 0))
    projection = perspective(70, width / height, 0.2, 6.0)
    renderer = Renderer((width, height), 1)
    frame = renderer.draw(posed, materials, [], view, projection, "unlit")
    ids, depth = renderer.visibility()
    clip = renderer._clip[: len(pos) * 2]
    all_idx = np.concatenate([idx[:half], idx[half:] + len(pos)])
    double = np.r_[np.zeros(half, bool), np.ones(len(idx) - half, bool)]
    ref_ids, ref_depth = rasterize(clip, all_idx, double, width, height)
    assert (ref_ids >= 0).sum() > 200
    assert np.array_equal(ids, ref_ids)
    assert np.array_equal(depth, ref_depth)
    assert np.array_equal(frame.alpha > 0, ref_ids >= 0)


@pytest.mark.parametrize("lanes", ["narrow", "wide"])
@pytest.mark.parametrize("seed, masked", [(3, False), (4, False), (5, True)])
def test_small_triangles_at_every_place_in_a_tile_match_numpy_reference(
    seed, masked, lanes, monkeypatch, request
):
    """Many small overlapping triangles, a few pixels wide (the usual triangle of a
    detailed model), at every offset within the tiles, next to their right ends (where the
    depth pass's runs of lanes pixels start left of the row's first pixel) and in a
    last tile column narrower than a run (drawn pixel by pixel). ``masked``: half of them
    MASK (opaque everywhere, so the alpha test keeps every sample), drawn pixel by pixel
    among the others' runs in the depth pass's variant with the alpha test. ``lanes``:
    both run lengths, the one this CPU does not draw with compiled for the test."""
    from holopack.rendering import raster_kernel as raster

    run = raster.DEPTH_LANES_NARROW if lanes == "narrow" else raster.DEPTH_LANES_WIDE
    if run != raster.DEPTH_LANES:
        monkeypatch.setattr(raster, "_raster_tiles", raster._depth_kernel(False, run))
        monkeypatch.setattr(raster, "_raster_tiles_masked", raster._depth_kernel(True, run))
        # opaque_kernel's cache holds the workers it was made with: emptied now, and
        # again after the test (before the workers are put back)
        raster.opaque_kernel.cache_clear()
        request.addfinalizer(raster.opaque_kernel.cache_clear)
    rng = np.random.default_rng(seed)
    width, height = 100, 70  # tile columns 32, 32, 32 and 4 pixels wide
    count = 1500
    centres = np.column_stack(
        [
            rng.uniform(-width / 2, width / 2, count),
            rng.uniform(-height / 2, height / 2, count),
            rng.uniform(-2, 2, count),
        ]
    )
    corners = centres[:, None, :] + rng.normal(size=(count, 3, 3)) * [3.0, 3.0, 0.5]
    pos = corners.reshape(-1, 3)
    idx = np.arange(len(pos)).reshape(-1, 3)
    half = count // 2
    posed = [prim(pos, idx[:half], 0), prim(pos, idx[half:], 1)]
    materials = [Material(alpha_mode="MASK" if masked else "OPAQUE"), Material(double_sided=True)]
    view, projection = pixel_camera(width, height)
    renderer = Renderer((width, height), 1)
    renderer.draw(posed, materials, [], view, projection, "unlit")
    ids, depth = renderer.visibility()
    clip = renderer._clip[: len(pos) * 2]
    all_idx = np.concatenate([idx[:half], idx[half:] + len(pos)])
    double = np.r_[np.zeros(half, bool), np.ones(count - half, bool)]
    ref_ids, ref_depth = rasterize(clip, all_idx, double, width, height)
    # the scene reaches the pixels next to each tile's right end and the narrow column
    for right in (31, 63, 95):
        assert (ref_ids[:, right - run + 2 : right + 1] >= 0).sum() > 100
    assert (ref_ids[:, 96:] >= 0).sum() > 50
    assert np.array_equal(ids, ref_ids)
    assert np.array_equal(depth, ref_depth)


def test_transform_matches_numpy():
    rng = np.random.default_rng(5)
    pos = rng.normal(size=(300, 3)).astype(np.float32)
    posed = [prim(pos, np.arange(300).reshape(-1, 3))]
    view = look_at((1, 2, 5), (0, 0, 0))
    projection = perspective(40, 1.0, 0.1, 20)
    renderer = Renderer((16, 16), 1)
    renderer.draw(posed, [Material()], [], view, projection)
    expected = np.c_[pos.astype(np.float64), np.ones(300)] @ (projection @ view).T
    assert np.allclose(renderer._clip[:300], expected, rtol=1e-12, atol=1e-12)


def count_coverage(posed, width, height, view, projection):
    """How many triangles cover each pixel centre (a 50%-translucent white layer per
    triangle, composited without depth writes: k layers give 1 - 0.5^k)."""
    material = Material(
        base_color_factor=np.array([1, 1, 1, 0.5], np.float32), alpha_mode="BLEND", double_sided=True
    )
    frame = Renderer((width, height), 1).draw(posed, [material], [], view, projection, "unlit")
    layers = -np.log2(np.maximum(1.0 - frame.linear[:, :, 0].astype(np.float64), 1e-12))
    return np.rint(layers).astype(int), layers


@pytest.mark.parametrize("jitter", [0.0, 0.2])
def test_shared_edges_cover_each_pixel_once(jitter):
    # a grid of quads split into triangles covering the whole picture; with no jitter
    # every vertex and edge runs through pixel centres, the fill rule's hard case
    width, height = 40, 30
    rng = np.random.default_rng(7)
    xs = np.arange(-24, 25, 4) + 0.5
    ys = np.arange(-20, 21, 4) + 0.5
    gx, gy = np.meshgrid(xs, ys)
    pts = np.stack([gx, gy, np.zeros_like(gx)], axis=-1)
    inner = (slice(1, -1), slice(1, -1))
    pts[inner + (slice(0, 2),)] += rng.uniform(-jitter, jitter, pts[inner + (slice(0, 2),)].shape) * 4
    ny, nx = gx.shape
    tris = []
    for j in range(ny - 1):
        for i in range(nx - 1):
            a, b, c, d = j * nx + i, j * nx + i + 1, (j + 1) * nx + i, (j + 1) * nx + i + 1
            # alternate the diagonal so both orientations of shared edges occur
            if (i + j) % 2:
                tris += [(a, b, d), (a, d, c)]
            else:
                tris += [(a, b, c), (b, d, c)]
    view, projection = pixel_camera(width, height)
    counts, layers = count_coverage([prim(pts.reshape(-1, 3), tris)], width, height, view, projection)
    assert np.allclose(layers, counts, atol=1e-4)
    assert np.all(counts == 1)


def test_top_left_rule_on_a_pixel_aligned_square():
    # a 4x4 square whose edges pass through pixel centres: the top and left edges
    # are in, the bottom and right are out, so exactly 4x4 pixels are drawn
    view, projection = pixel_camera(10, 10)
    sq = [(-1.5, 1.5, 0), (2.5, 1.5, 0), (2.5, -2.5, 0), (-1.5, -2.5, 0)]
    counts, _ = count_coverage([prim(sq, [(0, 3, 2), (0, 2, 1)])], 10, 10, view, projection)
    expected = np.zeros((10, 10), int)
    expected[3:7, 3:7] = 1  # pixel centres x+0.5 in [3.5, 7.5) and rows likewise
    assert np.array_equal(counts, expected)


def test_back_faces_culled_unless_double_sided():
    view, projection = pixel_camera(16, 16)
    ccw = prim([(-6, -6, 0), (6, -6, 0), (0, 6, 0)], [(0, 1, 2)])
    cw = prim([(-6, -6, 0), (6, -6, 0), (0, 6, 0)], [(0, 2, 1)])
    r = Renderer((16, 16), 1)
    assert r.draw([ccw], [Material()], [], view, projection).alpha.sum() > 50
    assert r.draw([cw], [Material()], [], view, projection).alpha.sum() == 0
    both = r.draw([cw], [Material(double_sided=True)], [], view, projection).alpha
    assert np.array_equal(both, r.draw([ccw], [Material()], [], view, projection).alpha)


def test_triangle_behind_or_across_the_camera():
    view = look_at((0, 0, 0), (0, 0, -1))
    projection = perspective(60, 1, 0.1, 100)
    r = Renderer((32, 32), 1)
    behind = prim([(-1, -1, 2), (1, -1, 2), (0, 1, 2)], [(0, 2, 1), (0, 1, 2)])
    assert r.draw([behind], [Material()], [], view, projection).alpha.sum() == 0
    # one corner far behind the eye: only what lies in front of the near plane shows,
    # and nothing leaks onto the other side of the picture
    across = prim(
        [(-0.5, -0.5, -1), (0.5, -0.5, -1), (0.0, -0.5, 50.0)], [(0, 1, 2)], normals=[(0, 1, 0)] * 3
    )
    frame = r.draw([across], [Material(double_sided=True)], [], view, projection)
    ids, depth = r.visibility()
    ref_ids, ref_depth = rasterize(r._clip[:3], np.array([[0, 1, 2]]), np.array([True]), 32, 32)
    assert np.array_equal(ids, ref_ids) and np.array_equal(depth, ref_depth)
    assert frame.alpha[:16].sum() == 0 and frame.alpha[16:].sum() > 0  # floor below the horizon
    assert np.all(frame.depth >= 0) and np.all(frame.depth <= 1)


def test_degenerate_and_broken_geometry_draws_nothing_bad():
    view, projection = pixel_camera(16, 16)
    pts = [
        (0, 0, 0),
        (0, 0, 0),
        (5, 5, 0),
        (1, 1, 0),
        (2, 2, 0),
        (3, 3, 0),
        (np.nan, 0, 0),
        (5, 0, 0),
        (0, 5, 0),
    ]
    tris = [(0, 1, 2), (3, 4, 5), (6, 7, 8)]  # repeated corner, collinear, NaN corner
    frame = Renderer((16, 16), 2).draw([prim(pts, tris)], [Material()], [], view, projection)
    assert frame.alpha.sum() == 0 and np.all(frame.depth == 1.0)
    empty = Renderer((8, 8), 1).draw([], [], [], view, projection)
    assert empty.color.sum() == 0 and np.all(empty.depth == 1.0)


@pytest.mark.parametrize("scale", [1e-6, 1e6])
def test_tiny_and_huge_models_render_alike(scale):
    import trimesh

    mesh = trimesh.load(DATA / "stanford-bunny" / "stanford-bunny.obj", process=False)
    pos = np.asarray(mesh.vertices, np.float64)
    pos = (pos - pos.mean(0)) / np.abs(pos).max()
    nrm = np.asarray(mesh.vertex_normals, np.float32)

    def draw(s):
        posed = [prim((pos * s).astype(np.float32), mesh.faces, normals=nrm)]
        view = look_at((0, 0, 3 * s), (0, 0, 0))
        projection = perspective(40, 1, 1 * s, 5 * s)
        return Renderer((96, 96), 1).draw(posed, [Material()], [], view, projection)

    unit, scaled = draw(1.0), draw(scale)
    assert np.all(np.isfinite(scaled.linear))
    covered = unit.alpha > 0
    assert covered.sum() > 500
    assert np.count_nonzero(covered != (scaled.alpha > 0)) <= 0.01 * covered.sum()
    assert np.abs(unit.depth - scaled.depth)[covered & (scaled.alpha > 0)].max() < 1e-3


@pytest.mark.parametrize("s", [2, 3])
@pytest.mark.parametrize("alpha_mode", ["OPAQUE", "BLEND"])
def test_supersampling_is_a_box_filter_of_the_finer_picture(s, alpha_mode):
    rng = np.random.default_rng(11)
    pos, idx = random_scene(rng, 40, 1.0)
    posed = [prim(pos, idx, normals=rng.normal(size=(len(pos), 3)))]
    materials = [
        Material(
            double_sided=True,
            metallic_factor=0.0,
            alpha_mode=alpha_mode,
            base_color_factor=np.array([1.0, 0.8, 0.6, 0.6], np.float32),
        )
    ]
    view = look_at((0, 0, 6), (0, 0, 0))
    projection = perspective(45, 1.5, 1.0, 12.0)
    fine = Renderer((30 * s, 20 * s), 1).draw(posed, materials, [], view, projection)
    coarse = Renderer((30, 20), s).draw(posed, materials, [], view, projection)
    boxed = fine.linear.reshape(20, s, 30, s, 3).mean(axis=(1, 3))
    assert np.allclose(coarse.linear, boxed, atol=1e-6)
    assert np.allclose(coarse.alpha, fine.alpha.reshape(20, s, 30, s).mean(axis=(1, 3)))
    assert np.array_equal(coarse.depth, fine.depth.reshape(20, s, 30, s).min(axis=(1, 3)))
    partial = (coarse.alpha > 0) & (coarse.alpha < 1)
    assert partial.any()  # edges are anti-aliased


def test_render_poses_the_scene_and_lights_it():
    from _gl_reference import framed_camera

    from holopack.scene.load import load

    scene = load(DATA / "Duck" / "Duck.glb")
    view, projection = framed_camera(scene.pose(None, 0.0))
    lit = render(scene, view, projection, (96, 96), supersample=1)
    unlit = render(scene, view, projection, (96, 96), shading="unlit", supersample=1)
    assert lit.color.shape == (96, 96, 3) and lit.color.dtype == np.uint8
    assert lit.depth.dtype == np.float32 and lit.linear.dtype == np.float32
    assert np.array_equal(lit.alpha > 0, unlit.alpha > 0)
    covered = lit.alpha > 0
    assert not np.allclose(lit.linear[covered], unlit.linear[covered])
    assert np.all(lit.color[~covered] == 0)  # black background = LED off


def test_alpha_mask_cuts_out_pixels():
    view, projection = pixel_camera(16, 16)
    sq = prim([(-8, -8, 0), (8, -8, 0), (8, 8, 0), (-8, 8, 0)], [(0, 1, 2), (0, 2, 3)])
    colors = np.ones((4, 4), np.float32)
    colors[[0, 1], 3] = 0.0  # alpha fades from 0 at the bottom to 1 at the top
    sq.primitive.colors = colors
    mask = Material(alpha_mode="MASK", alpha_cutoff=0.5)
    frame = Renderer((16, 16), 1).draw([sq], [mask], [], view, projection, "unlit")
    rows = frame.alpha.mean(axis=1)
    assert np.all(rows[:7] == 1.0) and np.all(rows[9:] == 0.0)


@pytest.mark.parametrize("supersample", [1, 2])
def test_tile_map_marks_every_lit_pixel(supersample):
    """RenderedPicture.tiles: the tiles the triangles reached; every pixel outside them is black
    (the resampler skips those tiles unread), and it is not simply all True."""
    from _gl_reference import framed_camera

    from holopack.rendering import TILE
    from holopack.scene.load import load

    scene = load(DATA / "Duck" / "Duck.glb")
    view, projection = framed_camera(scene.pose(None, 0.0))
    view = view @ np.diag([3.0, 3.0, 3.0, 1.0])  # a smaller duck: most tiles stay empty
    size = (200, 168)  # not a whole number of tiles
    frame = render(scene, view, projection, size, supersample=supersample)
    grid = (-(-size[1] // TILE), -(-size[0] // TILE))
    assert frame.tiles.shape == grid and frame.tiles.dtype == np.bool_
    lit = np.zeros((grid[0] * TILE, grid[1] * TILE), bool)
    lit[: size[1], : size[0]] = frame.linear.max(axis=2) > 0
    lit_tiles = lit.reshape(grid[0], TILE, grid[1], TILE).any(axis=(1, 3))
    assert lit_tiles.any() and not np.any(lit_tiles & ~frame.tiles)
    assert 0 < frame.tiles.sum() < frame.tiles.size
    color_lit = np.zeros_like(lit)
    color_lit[: size[1], : size[0]] = frame.color.max(axis=2) > 0
    assert not np.any(color_lit.reshape(grid[0], TILE, grid[1], TILE).any(axis=(1, 3)) & ~frame.tiles)


def test_a_material_changed_between_draws_is_drawn_changed():
    """The Renderer keeps its material table between draws: a change to any material,
    in place or not, must still reach the next picture."""
    view, projection = pixel_camera(16, 16)
    sq = prim([(-8, -8, 0), (8, -8, 0), (8, 8, 0), (-8, 8, 0)], [(0, 1, 2), (0, 2, 3)])
    material = Material(base_color_factor=np.array([1.0, 0.5, 0.25, 1.0], np.float32))
    renderer = Renderer((16, 16), 1)
    first = renderer.draw([sq], [material], [], view, projection, "unlit").linear.copy()
    assert np.allclose(first[8, 8], [1.0, 0.5, 0.25])
    material.base_color_factor[1] = 0.75  # the same array, changed in place
    assert np.allclose(
        renderer.draw([sq], [material], [], view, projection, "unlit").linear[8, 8], [1.0, 0.75, 0.25]
    )
    material.alpha_mode = "MASK"
    material.alpha_cutoff = 0.9
    material.base_color_factor[3] = 0.5  # below the cutoff: nothing is drawn
    assert np.all(renderer.draw([sq], [material], [], view, projection, "unlit").alpha == 0.0)
    other = Material(base_color_factor=np.array([0.0, 0.0, 1.0, 1.0], np.float32))
    assert np.allclose(
        renderer.draw([sq], [other], [], view, projection, "unlit").linear[8, 8], [0.0, 0.0, 1.0]
    )


def test_material_key_follows_every_field_the_table_reads():
    from holopack.rendering.shading import material_key, material_table

    changes = {
        "base_color_factor": np.array([0.5, 1.0, 1.0, 1.0], np.float32),
        "emissive_factor": np.array([0.0, 1.0, 0.0], np.float32),
        "emissive_strength": 2.0,
        "alpha_cutoff": 0.25,
        "metallic_factor": 0.5,
        "roughness_factor": 0.5,
        "base_color_texture": 0,
        "base_color_texcoord": 1,
        "emissive_texture": 0,
        "emissive_texcoord": 1,
        "alpha_mode": "BLEND",
        "double_sided": True,
        "unlit": True,
        "normal_scale": 0.5,
        "occlusion_strength": 0.5,
        "metallic_roughness_texture": 0,
        "normal_texture": 0,
        "occlusion_texture": 0,
    }
    base = Material()
    for name, value in changes.items():
        changed = Material()
        setattr(changed, name, value)
        assert material_key([changed]) != material_key([base]), name
    # equal keys, equal tables
    assert material_key([Material()]) == material_key([base])
    assert np.array_equal(material_table([Material()], 1), material_table([base], 1))


def test_prefetch_is_only_a_hint():
    """raster_kernel._prefetch compiles for the tables it is given and changes nothing."""
    from numba import njit

    from holopack.rendering.raster_kernel import _prefetch

    @njit
    def total(table, rows):
        s = 0.0
        for r in rows:
            _prefetch(table, r, 0)
            _prefetch(table, r, table.shape[1] - 1)
            s += table[r, 0]
        return s

    table = np.arange(64.0).reshape(16, 4)
    before = table.copy()
    assert total(table, np.array([3, 0, 15, 7])) == 3 * 4 + 0 + 15 * 4 + 7 * 4
    assert np.array_equal(table, before)
    ints = np.arange(32, dtype=np.int32).reshape(2, 16)
    assert total(ints, np.array([1])) == 16


def _srgb8(linear):
    """The sRGB transfer function (IEC 61966-2-1) to the nearest code, written out."""
    v = np.clip(np.asarray(linear, np.float64), 0.0, 1.0)
    encoded = np.where(v <= 0.0031308, 12.92 * v, 1.055 * v ** (1 / 2.4) - 0.055)
    return np.rint(encoded * 255.0).astype(np.uint8)


def coloured_and_plain_halves(size):
    """Two quads side by side on a size x size picture (pixel_camera): the left, material
    0, with vertex colours red at its left edge and blue at its right; the right,
    material 1, without colours."""
    quad = [(0, 1, 2), (0, 2, 3)]
    half = size // 2
    left = prim([(-half, -half, 0), (0, -half, 0), (0, half, 0), (-half, half, 0)], quad, material=0)
    red, blue = [1.0, 0.0, 0.0, 1.0], [0.0, 0.0, 1.0, 1.0]
    left.primitive.colors = np.array([red, blue, blue, red], np.float32)
    right = prim([(0, -half, 0), (half, -half, 0), (half, half, 0), (0, half, 0)], quad, material=1)
    return left, right


@pytest.mark.parametrize("shading", ["unlit", "lit"])
def test_unlit_materials_of_one_colour_are_their_factor_and_vertex_colours_still_blend(shading):
    """An unlit fragment of a material without texture or vertex colours is its base
    colour factor, written without interpolating anything (M_FLAT); a material drawn
    with vertex colours, even beside it in the same draw, still blends them across the
    triangle. Under "lit" the same holds for KHR_materials_unlit materials."""
    size = 32
    view, projection = pixel_camera(size, size)
    left, right = coloured_and_plain_halves(size)
    # all-ones colours are no colours
    right.primitive.colors = np.ones((4, 4), np.float32)
    factor = np.array([0.2, 0.5, 0.8, 1.0], np.float32)
    unlit = shading == "lit"
    materials = [Material(unlit=unlit), Material(base_color_factor=factor, unlit=unlit)]
    frame = Renderer((size, size), 1).draw([left, right], materials, [], view, projection, shading)
    # right half: the factor exactly, and its codes
    assert np.array_equal(frame.linear[:, 16:], np.broadcast_to(factor[:3], (size, 16, 3)))
    assert np.array_equal(frame.color[:, 16:], np.broadcast_to(_srgb8(factor[:3]), (size, 16, 3)))
    # left half: the colours blended along x at each pixel centre (orthographic: linear)
    t = (np.arange(16) + 0.5) / 16.0
    expected = np.stack([1.0 - t, np.zeros(16), t], axis=-1)
    assert np.allclose(frame.linear[:, :16], np.broadcast_to(expected, (size, 16, 3)), atol=1e-5)


def test_rendered_pictures_start_on_a_cache_line():
    """Two threads draw neighbouring tiles at once: a tile row (32 pixels of 4 bytes)
    must not share a 64-byte line with the next tile's, so every per-pixel buffer
    starts on a line."""
    view, projection = pixel_camera(48, 40)
    sq = prim([(-8, -8, 0), (8, -8, 0), (8, 8, 0), (-8, 8, 0)], [(0, 1, 2), (0, 2, 3)])
    for supersample in (1, 2):
        renderer = Renderer((48, 40), supersample)
        for _ in range(3):
            frame = renderer.draw([sq], [Material()], [], view, projection, "unlit")
            for name in ("color", "depth", "linear", "alpha"):
                assert getattr(frame, name).ctypes.data % 64 == 0, name
            assert np.allclose(frame.linear[20, 24], 1.0)
        assert renderer._ids.ctypes.data % 64 == 0  # the depth pass's record ids


@pytest.mark.parametrize("shading", ["lit", "pbr"])
def test_lit_vertex_colours_still_tint_beside_a_plain_material(shading):
    """M_PLAIN spares a material without vertex colours their rows; one drawn with
    colours beside it in the same draw still takes them: under orthographic light on a
    flat quad the shading is the same everywhere, so the coloured half's red falls and
    its blue rises across it while the plain half stays one colour."""
    size = 32
    view, projection = pixel_camera(size, size)
    left, right = coloured_and_plain_halves(size)
    materials = [Material(), Material()]
    frame = Renderer((size, size), 1).draw([left, right], materials, [], view, projection, shading)
    row = frame.linear[size // 2]
    assert np.all(np.diff(row[:16, 0]) < 0) and np.all(np.diff(row[:16, 2]) > 0)
    assert np.ptp(row[16:], axis=0).max() == 0.0 and row[16:, 0].min() > 0.0


def _tilted_textured_quads(colours: bool):
    """A textured floor seen at a grazing angle (UVs repeating 6 times: magnified near
    the camera, minified towards the horizon, so that the mip level and its fraction
    change across the picture), in two halves of two materials of other factors and UV
    offsets. ``colours``: every vertex coloured a grey of one half and the
    factors doubled (drawn through the general shader, as vertex colours ask; white
    ones count as none), so that the light is the same either way."""
    rng = np.random.default_rng(7)
    texture = Texture(pixels=rng.integers(0, 256, (64, 48, 4), dtype=np.uint8))
    texture.pixels[..., 3] = 255
    quads = []
    for material, (x0, x1) in enumerate([(-4.0, 0.0), (0.0, 4.0)]):
        p = prim([(x0, 0, 2), (x1, 0, 2), (x1, 0, -30), (x0, 0, -30)], [(0, 1, 2), (0, 2, 3)], material)
        p.primitive.uv = [np.array([[0, 0], [3, 0], [3, 6], [0, 6]], np.float32) + 0.13 * material]
        if colours:
            p.primitive.colors = np.full((4, 4), 0.5, np.float32)
        quads.append(p)
    scale = 2.0 if colours else 1.0
    materials = [
        Material(base_color_texture=0, base_color_factor=np.float32([0.9, 0.7, 0.5, 1]) * scale, unlit=True),
        Material(base_color_texture=0, base_color_factor=np.float32([0.3, 0.5, 0.4, 1]) * scale, unlit=True),
    ]
    return quads, materials, [texture]


@pytest.mark.parametrize("shading", ["unlit", "lit"])
def test_unlit_textured_fragments_without_vertex_colours_sample_as_the_general_shader(shading):
    """An unlit textured material without vertex colours takes its UV from the record's
    plane, once per run of the record's pixels (raster_kernel.record_uv_plane); with
    vertex colours it is drawn through shading.shade, from the weights at every pixel. Both must give the same light (only the order of the sums differs),
    at every level of detail the floor reaches."""
    view = look_at((0, 1.5, 4), (0, 0, -6))
    projection = perspective(50.0, 1.0, 0.1, 100.0)
    pictures = []
    for colours in (False, True):
        quads, materials, textures = _tilted_textured_quads(colours)
        pictures.append(Renderer((96, 96), 1).draw(quads, materials, textures, view, projection, shading))
    plain, coloured = pictures
    drawn = plain.alpha > 0
    assert drawn.mean() > 0.3 and np.array_equal(drawn, coloured.alpha > 0)
    assert np.abs(plain.linear - coloured.linear).max() <= 1e-6
    assert np.abs(plain.color.astype(int) - coloured.color.astype(int)).max() <= 1
    # the floor is textured, each half with its own factor
    assert plain.linear[drawn].std() > 0.05
    left, right = plain.linear[:, :40][drawn[:, :40]], plain.linear[:, 56:][drawn[:, 56:]]
    assert right[:, 0].mean() < 0.5 * left[:, 0].mean()
