"""Property-based tests of the loaders' error paths: whatever the bytes, a loader either
returns a Scene that can be posed, or raises InputError naming the file; never another
exception."""

import json

import numpy as np
from conftest import MODELS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from holopack.errors import InputError
from holopack.scene.load import load

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

GLB = MODELS["riggedfigure"].read_bytes()
GLTF_DOC = json.loads(MODELS["simpleskin"].read_text())


def _load_clean(path):
    """Load and pose; return the Scene, or None for a clean refusal."""
    try:
        scene = load(path)
        if scene.draw_items:
            for t in (0.0, 0.37, 1e9):
                for positions in scene.posed_positions(time=t):
                    assert positions.dtype == np.float32 and positions.shape[1] == 3
        return scene
    except InputError as exc:
        assert str(path) in str(exc)
        assert "\n" not in str(exc)
        return None


@SETTINGS
@given(cut=st.integers(0, len(GLB)))
def test_truncated_glb(tmp_path, cut):
    path = tmp_path / "cut.glb"
    path.write_bytes(GLB[:cut])
    _load_clean(path)


@SETTINGS
@given(edits=st.lists(st.tuples(st.integers(0, len(GLB) - 1), st.integers(0, 255)), min_size=1, max_size=16))
def test_corrupted_glb_bytes(tmp_path, edits):
    data = bytearray(GLB)
    for pos, value in edits:
        data[pos] = value
    path = tmp_path / "flipped.glb"
    path.write_bytes(bytes(data))
    _load_clean(path)


@SETTINGS
@given(field=st.sampled_from([8, 12, 16]), value=st.integers(0, 2**32 - 1))
def test_glb_header_and_chunk_lengths(tmp_path, field, value):
    data = bytearray(GLB)
    data[field : field + 4] = int(value).to_bytes(4, "little")
    path = tmp_path / "lengths.glb"
    path.write_bytes(bytes(data))
    _load_clean(path)


def _paths(node, prefix=()):
    """Every path into a JSON tree."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, prefix + (i,))


JSON_PATHS = [p for p in _paths(GLTF_DOC) if p and p[0] != "buffers"] + [("buffers", 0, "byteLength")]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)


@SETTINGS
@given(path=st.sampled_from(JSON_PATHS), value=json_values)
def test_gltf_json_field_replaced(tmp_path, path, value):
    doc = json.loads(json.dumps(GLTF_DOC))
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    target = tmp_path / "mutated.gltf"
    target.write_text(json.dumps(doc))
    _load_clean(target)


@SETTINGS
@given(path=st.sampled_from([p for p in JSON_PATHS if len(p) > 1]))
def test_gltf_json_field_removed(tmp_path, path):
    doc = json.loads(json.dumps(GLTF_DOC))
    node = doc
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    target = tmp_path / "removed.gltf"
    target.write_text(json.dumps(doc))
    _load_clean(target)


number = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-5, 12).map(str),
    st.sampled_from(["", "x", "1e400", "-0"]),
)
obj_line = st.one_of(
    st.builds(lambda a, b, c: f"v {a} {b} {c}", number, number, number),
    st.builds(lambda a, b: f"vt {a} {b}", number, number),
    st.builds(lambda a, b, c: f"vn {a} {b} {c}", number, number, number),
    st.builds(lambda a, b, c: f"f {a} {b} {c}", number, number, number),
    st.builds(lambda a, b, c, d: f"f {a}/{b} {c}/{d} {a}", number, number, number, number),
    st.sampled_from(["mtllib missing.mtl", "usemtl nothing", "o part", "g", "s off", "#"]),
)


@SETTINGS
@given(lines=st.lists(obj_line, max_size=25))
def test_obj_text(tmp_path, lines):
    path = tmp_path / "model.obj"
    path.write_text("\n".join(lines) + "\n")
    scene = _load_clean(path)
    if scene is not None:
        for positions in scene.posed_positions():
            assert np.all(np.isfinite(positions))


@SETTINGS
@given(
    data=st.binary(min_size=1, max_size=3000),
    suffix=st.sampled_from([".png", ".jpg", ".gif", ".mp4", ".stl", ".ply", ".gltf", ".glb"]),
)
def test_random_bytes_any_suffix(tmp_path, data, suffix):
    path = tmp_path / f"noise{suffix}"
    path.write_bytes(data)
    _load_clean(path)


def _splat_samples() -> dict[str, bytes]:
    """One small capture in each compact splat format (tests/_splat_files.py writes them
    from the published layouts), as bytes: name -> file contents."""
    import tempfile
    from pathlib import Path

    from _splat_files import write_compressed_ply, write_dot_splat, write_sog, write_spz

    rng = np.random.default_rng(2)
    n = 300
    means = rng.normal(size=(n, 3))
    scales = np.full((n, 3), 0.05)
    opacities = np.full(n, 0.8)
    colours = rng.uniform(0, 1, (n, 3))
    out = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, write in (
            ("a.spz", write_spz),
            ("a.splat", write_dot_splat),
            ("a.compressed.ply", write_compressed_ply),
            ("a.sog", write_sog),
        ):
            out[name] = write(Path(folder) / name, means, scales, opacities, colours).read_bytes()
    return out


SPLATS = _splat_samples()


@SETTINGS
@given(
    name=st.sampled_from(sorted(SPLATS)),
    edits=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=12
    ),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_compact_splat_files_with_flipped_bytes_or_cut_short(tmp_path, name, edits, cut):
    data = bytearray(SPLATS[name])
    for where, value in edits:
        data[int(where * len(data))] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    path = tmp_path / name
    path.write_bytes(bytes(data))
    scene = _load_clean(path)
    if scene is not None:
        assert scene.splats is not None and len(scene.splats) > 0
        for array in (scene.splats.means, scene.splats.scales, scene.splats.rotations, scene.splats.sh):
            assert np.all(np.isfinite(array))
