"""Unseen inputs and every control through ``holopack preview``, headless under Xvfb.

Each case runs ``holopack preview INPUT [OPTIONS] --frames N --screenshot SHOT.png``
(with ``--script`` for the controls) in a subprocess of its own, the inputs written into
a temporary folder, never into the repository: the repository's models (tests/data and
the bundled twin), some moved 1000 units away or scaled 1000 times up or down, a file of
one clip per joint, clips and pictures made here with the bundled ffmpeg and Pillow (a
green screen, VP9 with alpha, a 1080 x 1920 portrait clip, PNG, JPEG, GIF, a folder of
pictures), a wall, each device profile, and inputs that must fail. With ``--khronos
GITDIR`` (a clone of KhronosGroup/glTF-Sample-Models) Box, Triangle, AnimatedMorphCube
and DamagedHelmet are added (files that are Git LFS pointers are skipped).

A case that must work must exit 0 and its screenshot must show the subject on both
panels: ``lit`` is the share of a panel's pixels brighter than 40 (of 255) in some
channel, ``at`` the lit pixels' centroid as fractions of the panel (0.5, 0.5 = the
middle). It is flagged ``EMPTY`` when a panel is under 0.5 % lit, ``OFF`` when a
centroid is more than 0.25 from the middle (not for the clips made here: their subject
walks across the frame, and ``--crop auto`` frames its whole walk), ``DIFFER`` when one
panel is lit over three times more than the other. A case that must fail must exit 2 with one line
``holopack: error: ...`` (never ``internal error``, never a traceback). A scripted case
lists the files that ``S`` and ``E`` wrote. Screenshots stay under ``--out`` to be
looked at.

    xvfb-run -a python benchmarks/preview_sweep.py [--out FOLDER] [--only NAME,...] [--khronos GITDIR]

Run another checkout's code with PYTHONPATH pointing at a copy of its ``holopack`` and
``shaders`` folders (``git archive REV holopack shaders | tar -x -C DIR``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
WINDOW = (1280, 720)  # the preview's default window
LIT = 40
FRAMES = 20


# -- inputs --------------------------------------------------------------------------
def _pictures(w: int, h: int, n: int, background, alpha: bool = False) -> list[Image.Image]:
    """A red ball with a yellow tag crossing the frame from 30 % to 70 % of its width."""
    mode = "RGBA" if alpha else "RGB"
    out = []
    for i in range(n):
        im = Image.new(mode, (w, h), background)
        d = ImageDraw.Draw(im)
        cx, cy, r = w * (0.3 + 0.4 * i / max(n - 1, 1)), h * 0.5, min(w, h) * 0.18
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(220, 60, 40, 255)[: len(mode)])
        d.rectangle([cx - 0.3 * r, cy - 1.6 * r, cx + 0.3 * r, cy - r], fill=(240, 220, 30, 255)[: len(mode)])
        out.append(im)
    return out


def _encode(path: Path, pictures, fps: int, params: list[str]) -> None:
    w, h = pictures[0].size
    fmt = "rgba" if pictures[0].mode == "RGBA" else "rgb24"
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", fmt]
    cmd += ["-s", f"{w}x{h}", "-r", str(fps), "-i", "-", *params, str(path)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    for im in pictures:
        proc.stdin.write(im.tobytes())
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError(f"ffmpeg could not write {path}")


def _wrapped(src: Path, dst: Path, scale: float = 1.0, translate=(0.0, 0.0, 0.0)) -> None:
    """``src`` under one more root node that scales and moves it."""
    import pygltflib

    doc = pygltflib.GLTF2().load(str(src))
    scene = doc.scenes[doc.scene or 0]
    doc.nodes.append(
        pygltflib.Node(children=list(scene.nodes), scale=[scale] * 3, translation=list(translate))
    )
    scene.nodes = [len(doc.nodes) - 1]
    doc.save(str(dst))


def _khronos(gitdir: str, name: str, folder: Path) -> Path | None:
    """2.0/NAME's glTF-Binary (else glTF) files out of a clone's git objects."""
    for kind, ext in (("glTF-Binary", ".glb"), ("glTF", ".gltf")):
        prefix = f"2.0/{name}/{kind}/"
        listed = subprocess.run(
            ["git", "--git-dir", gitdir, "ls-tree", "-r", "--name-only", "HEAD", prefix],
            capture_output=True,
            text=True,
        ).stdout.split()
        if not listed:
            continue
        target = folder / "khronos" / name
        target.mkdir(parents=True, exist_ok=True)
        for item in listed:
            blob = subprocess.run(["git", "--git-dir", gitdir, "show", f"HEAD:{item}"], capture_output=True)
            if blob.returncode != 0 or blob.stdout.startswith(b"version https://git-lfs"):
                break
            (target / Path(item).name).write_bytes(blob.stdout)
        else:
            main = [p for p in target.iterdir() if p.suffix == ext]
            if main:
                return main[0]
    return None


def make_inputs(folder: Path, khronos: str | None) -> dict[str, Path | None]:
    sys.path.insert(0, str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT))  # this tree's holopack, not an installed one
    from _facing_models import per_joint_clips

    inputs: dict[str, Path | None] = {}
    _encode(
        folder / "green.mp4", _pictures(640, 360, 48, (40, 200, 60)), 24, ["-c:v", "libx264", "-crf", "18"]
    )
    _encode(
        folder / "alpha.webm",
        _pictures(320, 320, 36, (0, 0, 0, 0), alpha=True),
        24,
        ["-c:v", "libvpx-vp9", "-pix_fmt", "yuva420p", "-b:v", "1M"],
    )
    _encode(
        folder / "portrait.mp4",
        _pictures(1080, 1920, 30, (10, 10, 10)),
        30,
        ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast"],
    )
    clip = _pictures(400, 300, 12, (0, 0, 0))
    middle = _pictures(400, 300, 3, (0, 0, 0))[1]
    middle.save(folder / "still.png")
    middle.save(folder / "still.jpg", quality=90)
    _pictures(1080, 1920, 3, (0, 0, 0))[1].save(folder / "portrait.png")
    clip[0].save(folder / "anim.gif", save_all=True, append_images=clip[1:], duration=80, loop=0)
    (folder / "frames").mkdir()
    for i, im in enumerate(clip):
        im.save(folder / "frames" / f"frame_{i:03d}.png")
    duck = DATA / "Duck" / "Duck.glb"
    _wrapped(duck, folder / "duck_far.glb", translate=(5000.0, -3000.0, 2000.0))
    _wrapped(duck, folder / "duck_huge.glb", scale=1000.0)
    _wrapped(duck, folder / "duck_tiny.glb", scale=0.001)
    per_joint_clips().write(folder / "walk_per_joint.gltf")
    (folder / "wall.toml").write_text('device = "3dcircle-42f2"\n[grid]\nrows = 2\ncols = 2\npitch = 420.0\n')
    # inputs that must fail
    fox = (DATA / "Fox" / "Fox.glb").read_bytes()
    (folder / "truncated.glb").write_bytes(fox[: len(fox) // 3])
    (folder / "empty.glb").write_bytes(b"")
    (folder / "notes.txt").write_text("hello\n")
    (folder / "no_pictures").mkdir()
    green = (folder / "green.mp4").read_bytes()
    (folder / "truncated.mp4").write_bytes(green[:4000])
    (folder / "playlist.toml").write_text('[[items]]\ninput = "still.png"\n')
    for name in ("Box", "Triangle", "AnimatedMorphCube", "DamagedHelmet"):
        inputs[name] = _khronos(khronos, name, folder) if khronos else None
    return inputs


# -- cases ---------------------------------------------------------------------------
def cases(folder: Path, khronos: dict[str, Path | None]) -> list[tuple[str, list[str], str]]:
    """(name, arguments after ``preview``, "ok", "clip" (its subject moves), "fail" or "wall")."""
    f, d = str(folder), str(DATA)
    fox = f"{d}/Fox/Fox.glb"
    controls = [
        {"frame": 2, "key": "n"},
        {"frame": 3, "key": "SPACE"},
        {"frame": 4, "key": "."},
        {"frame": 5, "drag": [330, 300, 430, 330]},
        {"frame": 6, "scroll": 2},
        {"frame": 7, "key": "+"},
        {"frame": 8, "key": "o"},
        {"frame": 9, "key": "S"},
        {"frame": 10, "key": "E"},
        {"frame": 11, "key": "d"},
        {"frame": 12, "key": "h"},
    ]
    out: list[tuple[str, list[str], str]] = [
        ("twin", [], "ok"),
        ("fox-3-clips", [fox], "ok"),
        ("fox-animation-all", [fox, "--animation", "all"], "ok"),
        ("brainstem", [f"{d}/BrainStem/BrainStem.glb"], "ok"),
        ("morph-stress", [f"{d}/MorphStressTest/MorphStressTest.gltf"], "ok"),
        ("flighthelmet-95k", [f"{d}/FlightHelmet/FlightHelmet.gltf"], "ok"),
        ("duck-static", [f"{d}/Duck/Duck.glb"], "ok"),
        ("duck-far-from-origin", [f"{f}/duck_far.glb"], "ok"),
        ("duck-1000x-large", [f"{f}/duck_huge.glb"], "ok"),
        ("duck-1000x-small", [f"{f}/duck_tiny.glb"], "ok"),
        ("one-clip-per-joint", [f"{f}/walk_per_joint.gltf"], "ok"),
        ("twin-pbr-studio", ["--shading", "pbr", "--environment", "studio"], "ok"),
        ("fox-unlit", [fox, "--shading", "unlit"], "ok"),
        (
            "helmet-aces-exposure2",
            [
                f"{d}/FlightHelmet/FlightHelmet.gltf",
                "--shading",
                "pbr",
                "--tone-mapping",
                "aces",
                "--exposure",
                "2",
            ],
            "ok",
        ),  # noqa: E501
        ("duck-size-16", [f"{d}/Duck/Duck.glb", "--size", "16"], "ok"),
        ("green-key-crop-auto", [f"{f}/green.mp4", "--key", "auto", "--crop", "auto"], "clip"),
        ("green-pingpong-levels", [f"{f}/green.mp4", "--loop", "pingpong", "--levels", "auto"], "clip"),
        ("webm-vp9-alpha", [f"{f}/alpha.webm"], "clip"),
        ("portrait-1080x1920", [f"{f}/portrait.mp4"], "clip"),
        ("still-png", [f"{f}/still.png"], "ok"),
        ("still-jpg", [f"{f}/still.jpg"], "ok"),
        ("still-portrait-png", [f"{f}/portrait.png"], "ok"),
        ("gif", [f"{f}/anim.gif"], "clip"),
        ("folder", [f"{f}/frames"], "clip"),
        ("folder-trailing-slash", [f"{f}/frames/"], "clip"),
        ("wall-2x2", ["--wall", f"{f}/wall.toml"], "wall"),
        ("controls-scripted", [fox, "--script", json.dumps(controls)], "ok"),
        ("missing-file", [f"{f}/nowhere.glb"], "fail"),
        ("truncated-glb", [f"{f}/truncated.glb"], "fail"),
        ("empty-glb", [f"{f}/empty.glb"], "fail"),
        ("text-file", [f"{f}/notes.txt"], "fail"),
        ("folder-without-pictures", [f"{f}/no_pictures"], "fail"),
        ("truncated-mp4", [f"{f}/truncated.mp4"], "fail"),
        ("playlist-as-input", [f"{f}/playlist.toml"], "fail"),
        ("unknown-device", ["--device", "no-such-fan"], "fail"),
        ("unknown-animation", [fox, "--animation", "Moonwalk"], "fail"),
        ("animation-of-static-model", [f"{d}/Duck/Duck.glb", "--animation", "1"], "fail"),
        ("script-unknown-key", [fox, "--script", '[{"frame": 1, "key": "F13"}]'], "fail"),
        ("script-short-drag", [fox, "--script", '[{"frame": 1, "drag": [1, 2]}]'], "fail"),
        ("script-misspelt-field", [fox, "--script", '[{"frame": 1, "keys": "d"}]'], "fail"),
    ]
    for device in ("3dcircle-42f2", "legacy-224", "diy-apa102", "mp4-fan", "hypervsn"):
        out.append((f"twin-on-{device}", ["--device", device], "ok"))
        out.append((f"green-on-{device}", [f"{f}/green.mp4", "--device", device], "clip"))
    for name, path in khronos.items():
        if path is not None:
            extra = ["--shading", "pbr", "--environment", "studio"] if name == "DamagedHelmet" else []
            out.append((f"khronos-{name}", [str(path), *extra], "ok"))
    return out


# -- checks --------------------------------------------------------------------------
def panel_measures(picture: np.ndarray, rect) -> tuple[float, tuple[float, float]]:
    """(lit share, lit centroid as fractions of the panel) of one panel."""
    x0, y0 = int(rect.x) + 2, int(rect.y) + 2
    x1, y1 = int(rect.x + rect.w) - 2, int(rect.y + rect.h) - 2
    lit = picture[y0:y1, x0:x1].max(axis=2) > LIT
    if not lit.any():
        return 0.0, (float("nan"), float("nan"))
    ys, xs = np.nonzero(lit)
    return float(lit.mean()), (float(xs.mean() / lit.shape[1]), float(ys.mean() / lit.shape[0]))


def judge_picture(shot: Path, kind: str) -> str:
    picture = np.asarray(Image.open(shot).convert("RGB"))
    if kind == "wall":
        share = float((picture.max(axis=2) > LIT).mean())
        return f"lit {share:.1%}" + ("  EMPTY" if share < 0.005 else "")
    from holopack.preview.overlay import Layout

    if picture.shape[:2] != (WINDOW[1], WINDOW[0]):
        return f"window {picture.shape[1]}x{picture.shape[0]}"
    layout = Layout(*WINDOW)
    flags, words = [], []
    shares = []
    for label, rect in (("left", layout.render_panel), ("fan", layout.fan_panel)):
        share, (cx, cy) = panel_measures(picture, rect)
        shares.append(share)
        words.append(f"{label} lit {share:5.1%} at ({cx:.2f}, {cy:.2f})")
        if share < 0.005:
            flags.append(f"EMPTY {label}")
        elif kind != "clip" and max(abs(cx - 0.5), abs(cy - 0.5)) > 0.25:
            flags.append(f"OFF {label}")
    if min(shares) > 0 and max(shares) / min(shares) > 3:
        flags.append("DIFFER")
    return "  ".join(words + flags)


def run_case(name: str, args: list[str], kind: str, out: Path, env: dict) -> str:
    shot = out / f"{name}.png"
    files = out / f"{name}-files"
    shutil.rmtree(files, ignore_errors=True)  # a run before into the same --out
    files.mkdir()
    cmd = [sys.executable, "-m", "holopack", "preview", *args, "--frames", str(FRAMES)]
    cmd += ["--screenshot", str(shot)]
    if kind != "wall":
        cmd += ["--output-dir", str(files)]
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    seconds = time.perf_counter() - started
    lines = [line for line in done.stderr.splitlines() if line.strip() and not line.startswith("warning")]
    last = lines[-1] if lines else ""
    head = f"{name:30s} rc {done.returncode}  {seconds:5.1f} s  "
    if kind == "fail":
        one_line = len([line for line in lines if line.startswith("holopack:")]) == 1
        good = done.returncode == 2 and one_line and "internal error" not in done.stderr
        good = good and "Traceback" not in done.stderr
        return head + ("ok    " if good else "WRONG ") + last[:150]
    if done.returncode != 0 or not shot.exists():
        return head + "WRONG " + last[:150]
    verdict = judge_picture(shot, kind)
    written = sorted(p.name for p in files.iterdir())
    wrong = any(word in verdict for word in ("EMPTY", "OFF", "DIFFER", "window"))
    return (
        head
        + ("WRONG " if wrong else "ok    ")
        + verdict
        + (f"  wrote {', '.join(written)}" if written else "")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", default=None, help="where the screenshots go (default: a new temporary folder)"
    )
    parser.add_argument("--only", default=None, help="comma-separated case names")
    parser.add_argument("--khronos", default=None, help="git dir of a glTF-Sample-Models clone")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY"):
        print("no display: run under xvfb-run -a", file=sys.stderr)
        return 2
    out = Path(args.out or tempfile.mkdtemp(prefix="preview-sweep-"))
    out.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("HOLOPACK_GL_API", "PYOPENGL_PLATFORM")}
    with tempfile.TemporaryDirectory(prefix="preview-inputs-") as tmp:
        folder = Path(tmp)
        khronos = make_inputs(folder, args.khronos)
        chosen = set(args.only.split(",")) if args.only else None
        todo = [c for c in cases(folder, khronos) if chosen is None or c[0] in chosen]
        print(f"# {len(todo)} cases, screenshots in {out}", flush=True)
        print("# " + os.popen("uptime").read().strip(), flush=True)
        for name, case_args, kind in todo:
            print(run_case(name, case_args, kind, out, env), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
