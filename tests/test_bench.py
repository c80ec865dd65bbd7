"""holopack bench: its statistics, its JSON against the documented schema, and what the
timed loops really wrote; the suite's mesh series."""

from __future__ import annotations

import copy
import json
import os
import statistics
import sys
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from holopack.bench.__main__ import main as bench_main
from holopack.bench.stats import loglog_slope, ratio, summarize

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "docs" / "bench-schema.json").read_text())
sys.path.insert(0, str(ROOT / "benchmarks"))
import scenes  # noqa: E402


def validate(report: dict) -> None:
    jsonschema.validate(report, SCHEMA, cls=jsonschema.Draft202012Validator)


# -- statistics ---------------------------------------------------------------------
def test_summarize_matches_the_standard_library():
    rng = np.random.default_rng(3)
    samples = list(rng.gamma(2.0, 0.004, size=37))
    s = summarize(samples)
    ms = [x * 1000.0 for x in samples]
    deciles = statistics.quantiles(ms, n=10, method="inclusive")
    quartiles = statistics.quantiles(ms, n=4, method="inclusive")
    assert s["median_ms"] == pytest.approx(statistics.median(ms))
    assert s["p10_ms"] == pytest.approx(deciles[0])
    assert s["p90_ms"] == pytest.approx(deciles[-1])
    assert s["q1_ms"] == pytest.approx(quartiles[0])
    assert s["q3_ms"] == pytest.approx(quartiles[2])
    assert s["mean_ms"] == pytest.approx(statistics.fmean(ms))
    assert (s["min_ms"], s["max_ms"], s["n"]) == (pytest.approx(min(ms)), pytest.approx(max(ms)), 37)
    with pytest.raises(ValueError):
        summarize([])


def test_loglog_slope_recovers_a_power_law():
    x = np.array([1e4, 3e4, 1e5, 3e5, 1e6])
    fit = loglog_slope(x, 0.002 * x**0.8)
    assert fit["slope"] == pytest.approx(0.8)
    assert fit["intercept"] == pytest.approx(np.log(0.002))
    assert fit["r2"] == pytest.approx(1.0)
    noisy = 5.0 * x**0.5 * np.array([1.05, 0.97, 1.02, 0.96, 1.03])
    fit = loglog_slope(x, noisy)
    assert 0.45 < fit["slope"] < 0.55 and 0.95 < fit["r2"] < 1.0
    with pytest.raises(ValueError):
        loglog_slope([5, 5], [1, 2])
    assert ratio(10.0, 4.0) == 2.5 and ratio(1.0, 0.0) is None


# -- the command and its report ---------------------------------------------------------
@pytest.fixture(scope="module")
def twin_report(tmp_path_factory, twin_path):
    """The twin to the 42-F2 at a small render size, every peer, 3 frames."""
    out = tmp_path_factory.mktemp("bench") / "twin.json"
    code = bench_main(
        [
            str(twin_path),
            "--device",
            "3dcircle-42f2",
            "--size",
            "96",
            "--frames",
            "3",
            "--warmup",
            "1",
            "--json",
            str(out),
            "--plot",
            str(out.with_suffix(".png")),
            "--profile",
            "2",
            "--quiet",
        ]
    )
    assert code == 0
    return json.loads(out.read_text()), out


def test_bench_json_validates_against_the_schema(twin_report):
    report, _ = twin_report
    validate(report)
    run = report["runs"][0]
    assert list(run["stages"]) == ["animate", "render", "resample", "dither", "write"]
    assert run["render_size"] == 96 and run["device"] == "3dcircle-42f2" and run["format"] == "42f2"
    assert run["scene"]["animated"] and run["scene"]["triangles"] > 1000
    assert report["numba"]["threads"] >= 1 and report["machine"]["cpu_model"]


def test_the_schema_rejects_a_report_that_breaks_it(twin_report):
    report, _ = twin_report
    for damage in (
        lambda r: r["runs"][0]["stages"].pop("write"),
        lambda r: r["runs"][0]["end_to_end"].__setitem__("fps", -1.0),
        lambda r: r["runs"][0]["stages"]["render"].__setitem__("n", 0),
        lambda r: r["runs"][0]["stages"].__setitem__("rendering", {"median_ms": 1.0}),
        lambda r: r.pop("machine"),
    ):
        broken = copy.deepcopy(report)
        damage(broken)
        with pytest.raises(jsonschema.ValidationError):
            validate(broken)


def test_end_to_end_loop_wrote_real_device_frames(twin_report):
    from holopack.device import load_profile
    from holopack.formats.circle42f2 import frame_bytes

    report, _ = twin_report
    e2e = report["runs"][0]["end_to_end"]
    # export's loop over 3 frames: exactly 3 frames of the 42-F2 file were written
    assert e2e["bytes_written"] == 3 * frame_bytes(load_profile("3dcircle-42f2"))
    assert e2e["fps"] == pytest.approx(3 / e2e["seconds"])
    # the per-frame times lie inside the loop's total: their sum (3 x mean) cannot
    # exceed it (3 x median can, when one frame is quicker than the other two)
    assert e2e["frame"]["mean_ms"] * 3 <= e2e["seconds"] * 1000.0 + 1e-6
    assert report["runs"][0]["realtime_factor"] == pytest.approx(e2e["fps"] / 30.0)


@pytest.mark.gl
def test_peers_measure_the_same_work(twin_report):
    report, out = twin_report
    run = report["runs"][0]
    rows = {row["stage"]: row for row in run["peers"]}
    assert set(rows) == {"render", "resample", "encode"}
    for row in rows.values():
        if not row["available"]:
            pytest.fail(f"peer {row['peer']} missing on this machine: {row['reason']}")
        assert row["ratio"] == pytest.approx(row["ours"]["median_ms"] / row["theirs"]["median_ms"])
    assert rows["render"]["ours"] == run["stages"]["render"]
    assert rows["resample"]["ours"] == run["stages"]["resample"]
    # OpenGL drew the twin, not an empty frame, over about the pixels holopack covered
    assert rows["render"]["peer_coverage"] > 0.02
    assert rows["render"]["peer_coverage"] == pytest.approx(rows["render"]["ours_coverage"], abs=0.03)
    assert "96x96" in rows["render"]["compared"]
    # the peer drew export's picture with export's shading (the default, lit), not a simpler one
    assert rows["render"]["peer_shading"] == "lit"
    assert rows["render"]["peer_shaders"] == ["mesh.vert", "mesh.frag"]
    assert rows["render"]["peer_psnr"] >= 40.0
    assert rows["render"]["peer_psnr_of"].startswith("sRGB")
    assert run["profile"] and all(r["tottime_ms_per_frame"] >= 0 for r in run["profile"])
    assert out.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.gl
def test_render_peer_draws_a_textured_model_supersampled_as_export_does(tmp_path, models):
    """The Duck (base colour texture) at supersample 2, lit: the peer samples the same
    mip chain, lights and resolves the samples as the renderer does."""
    out = tmp_path / "duck.json"
    code = bench_main(
        [str(models["duck"]), "--device", "3dcircle-42f2", "--size", "96", "--supersample", "2"]
        + ["--shading", "lit"]
        + ["--frames", "3", "--warmup", "1", "--peers", "render", "--json", str(out), "--quiet"]
    )
    assert code == 0
    report = json.loads(out.read_text())
    validate(report)
    (row,) = report["runs"][0]["peers"]
    assert row["available"], row.get("reason")
    assert row["peer_shading"] == "lit" and "192x192 samples" in row["compared"]
    # the resolve pass averages the samples, as the renderer's box filter does
    assert row["peer_shaders"] == ["mesh.vert", "mesh.frag", "quad.vert", "resolve.frag"]
    assert row["peer_coverage"] > 0.05
    assert row["peer_psnr"] >= 38.0


@pytest.mark.gl
def test_bench_times_the_shading_it_is_given_and_its_peer_draws_the_same(tmp_path, models):
    """--shading pbr --environment studio reaches both export's render and the peer: the
    report records them, the peer runs the BRDF and tone mapping shaders and agrees."""
    out = tmp_path / "duck-pbr.json"
    code = bench_main(
        [str(models["duck"]), "--device", "3dcircle-42f2", "--size", "96"]
        + ["--shading", "pbr", "--environment", "studio", "--exposure", "1.5"]
        + ["--frames", "3", "--warmup", "1", "--peers", "render", "--json", str(out), "--quiet"]
    )
    assert code == 0
    report = json.loads(out.read_text())
    validate(report)
    settings = report["settings"]
    assert (settings["shading"], settings["environment"], settings["exposure"]) == ("pbr", "studio", 1.5)
    (row,) = report["runs"][0]["peers"]
    assert row["available"], row.get("reason")
    assert row["peer_shading"] == "pbr"
    assert "scene_pbr.frag" in row["peer_shaders"] and "tonemap.frag" in row["peer_shaders"]
    assert row["peer_psnr"] >= 40.0


@pytest.mark.gl
def test_standalone_context_loads_pyopengl_for_egl_or_says_why():
    """The peer's context: PyOpenGL loaded for EGL (and the variable not left set for
    subprocesses), or, where it was already loaded for GLX, one line saying so."""
    import subprocess

    script = (
        "import os, sys\n"
        "if sys.argv[1] == 'glx':\n"
        "    import OpenGL.GL\n"
        "from holopack.errors import HolopackError\n"
        "from holopack.rendering.gl.standalone import standalone_context\n"
        "try:\n"
        "    ctx = standalone_context()\n"
        "except HolopackError as exc:\n"
        "    print('refused:', exc)\n"
        "else:\n"
        "    from OpenGL import GL\n"
        "    print('drew with', GL.glGetString(GL.GL_RENDERER).decode())\n"
        "    ctx.release()\n"
        "print('left set:', 'PYOPENGL_PLATFORM' in os.environ)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYOPENGL_PLATFORM"}
    egl = subprocess.run([sys.executable, "-c", script, "egl"], env=env, capture_output=True, text=True)
    assert "drew with" in egl.stdout and "left set: False" in egl.stdout, egl.stderr
    glx = subprocess.run([sys.executable, "-c", script, "glx"], env=env, capture_output=True, text=True)
    assert "refused: PyOpenGL was loaded for GLXPlatform" in glx.stdout, glx.stderr


def test_video_device_times_mask_and_writer(tmp_path, models):
    out = tmp_path / "duck.json"
    code = bench_main(
        [
            str(models["duck"]),
            "--device",
            "mp4-fan",
            "--size",
            "64",
            "--frames",
            "2",
            "--warmup",
            "1",
            "--peers",
            "encode",
            "--json",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    report = json.loads(out.read_text())
    validate(report)
    run = report["runs"][0]
    assert list(run["stages"]) == ["animate", "render", "mask", "write"]
    assert run["polar_shape"] is None and run["format"] == "mp4" and run["output_size"] == 64
    assert run["end_to_end"]["bytes_written"] > 0
    (row,) = run["peers"]
    assert row["stage"] == "encode" and row["available"] and "MP4 writer" in row["compared"]


def test_load_runs_busy_processes_for_the_whole_run_and_reports_them(tmp_path, models):
    out = tmp_path / "duck.json"
    code = bench_main(
        [
            str(models["duck"]),
            "--device",
            "mp4-fan",
            "--size",
            "64",
            "--frames",
            "3",
            "--warmup",
            "1",
            "--peers",
            "none",
            "--load",
            "2",
            "--json",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    report = json.loads(out.read_text())
    validate(report)
    load = report["load"]
    assert load["processes"] == 2 and report["settings"]["load"] == 2
    # the load was real: the spinning processes took CPU time (how much depends on
    # what else the machine runs, so only that they ran is asserted)
    assert load["seconds"] > 0 and load["cpu_seconds"] > 0
    assert not _busy_children()


def _busy_children() -> list[str]:
    """Command lines of this process's children that run the load's busy loop."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(stat[1]) == os.getpid() and "getppid" in cmdline:
            found.append(cmdline)
    return found


def test_an_idle_run_reports_no_load(twin_report):
    report, _ = twin_report
    assert report["load"]["processes"] == 0 and report["load"]["cpu_seconds"] == 0


def test_bad_input_is_a_user_error(tmp_path, capsys):
    code = bench_main([str(tmp_path / "missing.glb"), "--frames", "1", "--quiet"])
    assert code == 2
    assert "missing.glb" in capsys.readouterr().err


# -- the suite's triangle series ----------------------------------------------------------
def test_cluster_decimation_keeps_the_shape_and_hits_the_target():
    vertices, faces = scenes.load_mesh(scenes.BUNNY)
    v, f = scenes.decimate_to(vertices, faces, 10_000)
    assert abs(len(f) - 10_000) < 600
    assert f.min() == 0 and f.max() == len(v) - 1 and len(np.unique(f)) == len(v)  # all used
    assert np.all((f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 0] != f[:, 2]))
    assert len(np.unique(np.sort(f, axis=1), axis=0)) == len(f)
    # merged vertices are means of originals: the bounds shrink by less than one grid cell
    extent = np.ptp(vertices, axis=0)
    assert np.all(np.abs(v.min(0) - vertices.min(0)) < 0.05 * extent.max())
    assert np.all(np.abs(v.max(0) - vertices.max(0)) < 0.05 * extent.max())

    # the winding survives: the mesh's signed volume keeps its sign and roughly its size
    def volume(vv, ff):
        a, b, c = vv[ff[:, 0]], vv[ff[:, 1]], vv[ff[:, 2]]
        return np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0

    assert volume(v, f) / volume(vertices, faces) == pytest.approx(1.0, abs=0.1)


def test_subdivision_quadruples_triangles_on_the_same_surface():
    vertices, faces = scenes.load_mesh(scenes.BUNNY)
    small_v, small_f = scenes.cluster_decimate(vertices, faces, 12)
    v, f = scenes.subdivide(small_v, small_f, 1)
    assert len(f) == 4 * len(small_f)
    np.testing.assert_allclose(v.min(0), small_v.min(0))
    np.testing.assert_allclose(v.max(0), small_v.max(0))


@pytest.mark.gl
def test_bench_with_model_lights_times_and_peers_the_models_own_lights(tmp_path):
    """--model-lights reaches the bench's render and its peer: both light the plate with
    its own red point light, and the report records it."""
    from _gltf_builder import plate_with_a_point_light

    out = tmp_path / "plate.json"
    model = plate_with_a_point_light(tmp_path / "plate.gltf")
    code = bench_main(
        [model, "--device", "3dcircle-42f2", "--size", "96", "--shading", "pbr", "--model-lights"]
        + ["--frames", "3", "--warmup", "1", "--peers", "render", "--json", str(out), "--quiet"]
    )
    assert code == 0
    report = json.loads(out.read_text())
    validate(report)
    assert report["settings"]["model_lights"] is True
    (row,) = report["runs"][0]["peers"]
    assert row["available"], row.get("reason")
    assert row["peer_psnr"] >= 40.0


def test_bench_of_a_video_times_the_keyed_path_and_says_which_options(tmp_path):
    """--key/--crop/--loop/--levels reach the timed path (with --load), the JSON names
    them, and the clip's length is the one export writes with the same options."""
    from holopack.cli import main as cli_main
    from holopack.formats.circle42f2 import read as read_42f2

    sys.path.insert(0, str(ROOT / "tests"))
    from test_video_crop_loop import sliding_disc, write_mp4

    green = [
        np.where(f.max(-1, keepdims=True) > 0, f, np.array([40, 200, 60], np.uint8)) for f in sliding_disc()
    ]
    clip = tmp_path / "green.mp4"
    write_mp4(clip, green)
    keyed = [
        "--key",
        "green",
        "--crop",
        "fit",
        "--loop",
        "pingpong",
        "--levels",
        "auto",
        "--edge-fade",
        "auto",
        "--see-through",
        "auto",
    ]
    out = tmp_path / "keyed.json"
    common = [
        "--device",
        "3dcircle-42f2",
        "--size",
        "96",
        "--frames",
        "3",
        "--warmup",
        "1",
        "--peers",
        "none",
    ]
    assert bench_main([str(clip), *common, *keyed, "--load", "1", "--json", str(out), "--quiet"]) == 0
    report = json.loads(out.read_text())
    validate(report)
    run = report["runs"][0]
    assert run["video"] == {
        "key": "green",
        "crop": "fit",
        "loop": "pingpong",
        "levels": "auto",
        "edge_fade": "auto",
        "see_through": "auto",
        "processed": True,
    }
    assert report["load"]["processes"] == 1

    exported = tmp_path / "01_DISC.BIN"
    assert (
        cli_main(
            [
                "export",
                str(clip),
                "--device",
                "3dcircle-42f2",
                "--size",
                "96",
                *keyed,
                "-q",
                "-o",
                str(exported),
            ]
        )
        == 0
    )
    from holopack.device import load_profile

    assert run["scene"]["clip_frames"] == read_42f2(str(exported), load_profile("3dcircle-42f2")).frame_count

    plain = tmp_path / "plain.json"
    assert (
        bench_main([str(clip), *common, "--key", "none", "--crop", "fit", "--json", str(plain), "--quiet"])
        == 0
    )
    video = json.loads(plain.read_text())["runs"][0]["video"]
    assert video == {
        "key": "none",
        "crop": "fit",
        "loop": None,
        "levels": "none",
        "edge_fade": "none",
        "see_through": "none",
        "processed": False,
    }
