"""Playlists, packages and fleet files as installers write them, through pack, validate,
re-runs and push to the fan emulator.

Each case is a small folder (a playlist, its inputs: a short MP4, a PNG, the Duck model,
sometimes a fleet file) written into a temporary folder, never into the repository. Items
are short and small (``seconds = 0.2``, ``size = 64``) so the whole sweep takes minutes.
For each case the row says what was checked against docs/playlist.md:

- a playlist that must work: ``holopack pack`` exits 0, every device folder holds the files
  the naming rule gives in play order (``rule.file_name``, written here from the docs'
  rule: zero-padded position, 42-F2 upper-case 8.3 ``.BIN``, MP4 lower-case), the
  manifest's size and SHA-256 of every file are true, a 42-F2 file holds exactly the
  manifest's frames (its size: frames x 512 x 6 x 42 bytes) and frames = seconds x fps,
  every item has its thumbnail and GIF, ``holopack validate`` passes;
- a re-run: which files were rendered and kept (the summary line) against what changed;
- a damaged package: ``holopack validate`` exits 1 and names the damaged file;
- a playlist that must fail: exit 2, one line naming the file and the fault (the key or
  the item), no traceback, and no output left behind (nothing the user gave overwritten).

    python benchmarks/playlist_sweep.py [--out FOLDER] [--only NAME,...]
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from sweeps import run_sweep  # noqa: E402  (benchmarks/ is not a package)

HOLOPACK = [sys.executable, "-m", "holopack"]
DUCK = os.path.join(ROOT, "tests", "data", "Duck", "Duck.glb")
SMALL = "[defaults]\nseconds = 0.2\nsize = 64\n"
F2 = 'devices = ["3dcircle-42f2"]\n'
BOTH = 'devices = ["3dcircle-42f2", "hypervsn"]\n'
F2_FRAME_BYTES = 512 * 6 * 42  # 42-F2: slices x bit planes x bytes per plane (docs/formats)


# ---- inputs ----------------------------------------------------------------------------------
def write_clip(path: Path, frames: int = 8, size: int = 64, colour=(40, 200, 255)) -> None:
    """A disc circling the middle on black, H.264."""
    path.parent.mkdir(parents=True, exist_ok=True)
    w = imageio_ffmpeg.write_frames(
        str(path), (size, size), fps=30, macro_block_size=2, ffmpeg_log_level="error"
    )
    w.send(None)
    y, x = np.mgrid[0:size, 0:size]
    for i in range(frames):
        a = 2 * np.pi * i / frames
        f = np.zeros((size, size, 3), np.uint8)
        c = (size - 1) / 2
        f[(x - c - 4 * np.cos(a)) ** 2 + (y - c - 4 * np.sin(a)) ** 2 < (size / 5) ** 2] = colour
        w.send(f)
    w.close()


def write_picture(path: Path, colour=(255, 160, 40)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    y, x = np.mgrid[0:64, 0:64]
    f = np.zeros((64, 64, 3), np.uint8)
    f[(x - 31.5) ** 2 + (y - 31.5) ** 2 < 20**2] = colour
    Image.fromarray(f).save(path)


def item(input_text: str, name: str | None = None, **extra) -> str:
    lines = ["[[items]]", f"input = {json.dumps(input_text, ensure_ascii=False)}"]
    if name is not None:
        lines.append(f"name = {json.dumps(name, ensure_ascii=False)}")
    lines += [
        f"{k} = {json.dumps(v) if not isinstance(v, bool) else str(v).lower()}" for k, v in extra.items()
    ]
    return "\n".join(lines) + "\n"


# ---- running holopack ------------------------------------------------------------------------
def hp(*args, cwd=None, timeout=600) -> tuple[int, str, str]:
    env = dict(os.environ, PYTHONPATH=os.environ.get("PYTHONPATH", ROOT))
    p = subprocess.run(
        HOLOPACK + [str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout
    )
    return p.returncode, p.stdout, p.stderr


def pack(d: Path, playlist="list.toml", out="out", *extra):
    return hp("pack", d / playlist, "-o", d / out, "-q", "-j", "2", "--preview-frames", "4", *extra)


def counts(stdout: str) -> str:
    """'N rendered, M unchanged' of the summary line."""
    for line in stdout.splitlines():
        if "rendered," in line:
            return line.rsplit(":", 1)[1].strip()
    return "?"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def expected_name(device: str, position: int, count: int, name: str) -> str:
    """The docs' naming rule, written here independently of holopack.formats.names."""
    import re

    width = max(2, len(str(count)))
    prefix = f"{position:0{width}d}_"
    if device == "3dcircle-42f2":
        text = re.sub("[^A-Z0-9_]+", "_", name.upper()).strip("_") or "CLIP"
        return (prefix + text[: 8 - len(prefix)]).rstrip("_") + ".BIN"
    text = re.sub("[^a-z0-9_-]+", "_", name.lower()).strip("_") or "clip"
    return prefix + text[: 64 - len(prefix)].rstrip("_") + ".mp4"


def check_package(out: Path, names: list[str], devices=("3dcircle-42f2",)) -> list[str]:
    """Faults of the package folder ``out`` for items ``names`` in play order."""
    faults = []
    for dev in devices:
        folder = out / dev
        try:
            man = json.loads((folder / "manifest.json").read_text())
        except (OSError, ValueError) as exc:
            return [f"{dev}: no manifest ({exc})"]
        want = [expected_name(dev, k + 1, len(names), n) for k, n in enumerate(names)]
        have = sorted(p.name for p in (folder / "files").iterdir())
        if sorted(want) != have:
            faults.append(f"{dev}: files {have[:4]} != {sorted(want)[:4]}")
        if have != sorted(have, key=lambda s: s.encode()) or [e["name"] for e in man["items"]] != names:
            faults.append(f"{dev}: play order")
        for e in man["items"]:
            p = folder / e["file"]
            if not p.is_file() or p.stat().st_size != e["bytes"] or sha(p) != e["sha256"]:
                faults.append(f"{dev}: manifest wrong for {e['file']}")
            elif dev == "3dcircle-42f2" and (
                e["bytes"] != e["frames"] * F2_FRAME_BYTES or e["frames"] != round(e["seconds"] * e["fps"])
            ):  # a .BIN is frames x 512 slices x 6 bit planes x 42 bytes, nothing else
                faults.append(
                    f"{dev}: {e['file']} holds {e['bytes'] / F2_FRAME_BYTES} frames, manifest {e['frames']}"
                )
            for key in ("thumbnail", "preview"):
                if not (folder / e[key]).is_file():
                    faults.append(f"{dev}: no {e[key]}")
        if len({n.lower() for n in have}) != len(have):
            faults.append(f"{dev}: names collide ignoring case")
    return faults


def validate(path: Path, *extra) -> tuple[int, str]:
    rc, so, se = hp("validate", path, "-q", *extra)
    return rc, so + se


def fault_row(rc, so, se, fragments, leftovers) -> str:
    """A playlist that must fail: exit 2, one line, the fragments named, nothing left."""
    lines = [ln for ln in se.splitlines() if ln.strip()]
    bad = []
    if rc != 2:
        bad.append(f"exit {rc}")
    if "Traceback" in se:
        bad.append("traceback")
    if len(lines) != 1:
        bad.append(f"{len(lines)} lines")
    line = lines[-1] if lines else ""
    for frag in fragments:
        if frag.lower() not in se.lower():
            bad.append(f"{frag!r} not named")
    left = [str(p.name) for p in leftovers if p.exists()]
    if left:
        bad.append(f"left {left}")
    return ("FAIL " + ", ".join(bad) if bad else "ok") + f" | rc {rc} | {line[:150]}"


# ---- the cases -------------------------------------------------------------------------------
def inputs(d: Path) -> None:
    write_clip(d / "clip.mp4")
    write_picture(d / "pic.png")


def ok_case(playlist: str, names: list[str], devices=("3dcircle-42f2",), setup=None):
    def run(d: Path) -> str:
        inputs(d)
        if setup:
            setup(d)
        (d / "list.toml").write_text(playlist)
        t = time.perf_counter()
        rc, so, se = pack(d)
        took = time.perf_counter() - t
        if rc != 0:
            return f"FAIL pack rc {rc}: {(se.strip().splitlines() or [''])[-1][:160]}"
        faults = check_package(d / "out", names, devices)
        vrc, vout = validate(d / "out")
        if vrc != 0:
            faults.append(f"validate rc {vrc}: {vout.strip().splitlines()[:2]}")
        files = sorted(p.name for p in (d / "out" / devices[0] / "files").iterdir())
        head = " ".join(files[:4]) + (" ..." if len(files) > 4 else "")
        return (
            "FAIL " + "; ".join(faults) if faults else "ok"
        ) + f" | {took:.1f} s, {counts(so + se)} | {head}"

    return run


def fail_case(playlist: str | bytes, fragments: list[str], setup=None, extra_args=()):
    def run(d: Path) -> str:
        inputs(d)
        if setup:
            setup(d)
        if isinstance(playlist, bytes):
            (d / "list.toml").write_bytes(playlist)
        else:
            (d / "list.toml").write_text(playlist)
        rc, so, se = pack(d, "list.toml", "out", *extra_args)
        return fault_row(rc, so, se, fragments, [d / "out"])

    return run


def rerun_case(first: str, second: str | None, expect: str, between=None, names2=None, extra=()):
    """Pack ``first``, change things (``between(d)``, the playlist to ``second``), pack
    again: ``expect`` is the summary's 'N rendered, M unchanged'."""

    def run(d: Path) -> str:
        inputs(d)
        (d / "list.toml").write_text(first)
        rc, so, se = pack(d)
        if rc != 0:
            return f"FAIL first pack rc {rc}: {se.strip()[-160:]}"
        if between:
            between(d)
        if second is not None:
            (d / "list.toml").write_text(second)
        rc, so, se = pack(d, "list.toml", "out", *extra)
        if rc != 0:
            return f"FAIL second pack rc {rc}: {se.strip()[-160:]}"
        got = counts(so + se)
        faults = [] if got == expect else [f"got {got!r}, want {expect!r}"]
        if names2:
            faults += check_package(d / "out", names2)
        vrc, vout = validate(d / "out")
        if vrc != 0:
            faults.append(f"validate rc {vrc}: {vout.strip().splitlines()[:2]}")
        files = sorted(p.name for p in (d / "out" / "3dcircle-42f2" / "files").iterdir())
        return ("FAIL " + "; ".join(faults) if faults else "ok") + f" | {got} | {' '.join(files[:5])}"

    return run


def damage_case(damage, fragment: str, expect_rc: int = 1):
    """Pack two items, ``damage(out)``, then validate must exit ``expect_rc`` naming ``fragment``."""

    def run(d: Path) -> str:
        inputs(d)
        (d / "list.toml").write_text(F2 + SMALL + item("clip.mp4", "logo") + item("pic.png", "sale"))
        rc, so, se = pack(d)
        if rc != 0:
            return f"FAIL pack rc {rc}"
        damage(d / "out" / "3dcircle-42f2")
        vrc, vout = validate(d / "out")
        bad = []
        if vrc != expect_rc:
            bad.append(f"validate exit {vrc}")
        if "Traceback" in vout:
            bad.append("traceback")
        if fragment.lower() not in vout.lower():
            bad.append(f"{fragment!r} not named")
        first = next((ln for ln in vout.splitlines() if "error" in ln.lower() or "fail" in ln.lower()), "")
        return ("FAIL " + ", ".join(bad) if bad else "ok") + f" | rc {vrc} | {first.strip()[:150]}"

    return run


def _truncate(dev: Path) -> None:
    p = dev / "files" / "01_LOGO.BIN"
    p.write_bytes(p.read_bytes()[:1000])


def _append_byte(dev: Path) -> None:
    with open(dev / "files" / "02_SALE.BIN", "ab") as f:
        f.write(b"\0")


def _edit_manifest(dev: Path) -> None:
    m = json.loads((dev / "manifest.json").read_text())
    m["items"][0]["frames"] += 5
    (dev / "manifest.json").write_text(json.dumps(m))


def _manifest_garbage(dev: Path) -> None:
    (dev / "manifest.json").write_text("{not json")


def _manifest_deleted(dev: Path) -> None:
    (dev / "manifest.json").unlink()


def _touch_input(d: Path) -> None:
    write_picture(d / "pic.png", colour=(40, 255, 40))


def _many(n: int) -> str:
    return F2 + SMALL + "".join(item("pic.png", f"c{k}") for k in range(n))


def _subfolders(d: Path) -> None:
    write_clip(d / "media" / "Video Clips" / "Spring Sale.MP4")
    write_picture(d / "media" / "Bilder" / "Café Ünïcode.PNG")
    (d / "lists").mkdir()
    shutil.copy(DUCK, d / "media" / "duck.GLB")


def _fleet_case(fleet_text: str, expect: str, fragments=(), incomplete=False):
    """Pack one item, push it with ``--fleet`` to emulated 42-F2 fans. ``fleet_text`` may
    hold {PORT0}, {PORT1}: the emulators' ports. ``expect``: ok or fail. ``incomplete``:
    a second item, an empty MP4, fails in pack (exit 2) and the package is pushed anyway."""

    def run(d: Path) -> str:
        inputs(d)
        (d / "empty.mp4").write_bytes(b"")
        extra = item("empty.mp4", "empty") if incomplete else ""
        (d / "list.toml").write_text(F2 + SMALL + item("pic.png", "sale") + extra)
        rc, so, se = pack(d)
        if rc != (2 if incomplete else 0):
            return f"FAIL pack rc {rc}"
        procs, ports = [], []
        env = dict(os.environ, PYTHONPATH=os.environ.get("PYTHONPATH", ROOT))
        try:
            for k in range(2):
                store = d / f"card{k}"
                store.mkdir()
                with socket.socket() as s:
                    s.bind(("127.0.0.1", 0))
                    port = s.getsockname()[1]
                p = subprocess.Popen(
                    HOLOPACK
                    + [
                        "emulate-fan",
                        "--device",
                        "3dcircle-42f2",
                        "--port",
                        str(port),
                        "--store",
                        str(store),
                    ],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    env=env,
                )
                p.stdout.readline()  # its address: listening
                procs.append(p)
                ports.append(port)
            (d / "fleet.toml").write_text(fleet_text.format(PORT0=ports[0], PORT1=ports[1]))
            rc, so, se = hp(
                "push", d / "out", "--fleet", d / "fleet.toml", "-q", "--timeout", "5", "--retries", "0"
            )
            cards = [sorted(p.name for p in (d / f"card{k}").rglob("*") if p.is_file()) for k in range(2)]
        finally:
            for p in procs:
                p.terminate()
                p.wait()
        if expect == "ok":
            bad = [] if rc == 0 else [f"push rc {rc}: {se.strip()[-150:]}"]
            if "Traceback" in se:
                bad.append("traceback")
            return ("FAIL " + ", ".join(bad) if bad else "ok") + f" | rc {rc} | cards {cards}"
        if expect == "partial":  # one fan answers, one does not: that one named, the other filled
            bad = [] if rc == 1 and "Traceback" not in se and "gone" in se and cards[0] else [f"rc {rc}"]
            line = (se.strip().splitlines() or [""])[-1][:120]
            return ("FAIL " + ", ".join(bad) if bad else "ok") + f" | rc {rc} | cards {cards} | {line}"
        if expect == "refused":
            bad = [] if rc == 1 and "Traceback" not in se and "::1" in se else [f"rc {rc}"]
            return (
                "FAIL " + ", ".join(bad) if bad else "ok"
            ) + f" | rc {rc} | {se.strip().splitlines()[-1][:150]}"
        return fault_row(rc, so, se, fragments, [])

    return run


CASES = {
    # --- playlists that must work
    "one-item": ok_case(F2 + SMALL + item("pic.png", "sale"), ["sale"]),
    "one-item-no-name": ok_case(F2 + SMALL + item("pic.png"), ["pic"]),
    "mixed-three-both-devices": ok_case(
        BOTH
        + SMALL
        + item("clip.mp4", "logo")
        + item("pic.png", "Sale 50%")
        + item(DUCK, "duck", turntable=90),
        ["logo", "Sale 50%", "duck"],
        devices=("3dcircle-42f2", "hypervsn"),
    ),
    "nine-items": ok_case(_many(9), [f"c{k}" for k in range(9)]),
    "ten-items": ok_case(_many(10), [f"c{k}" for k in range(10)]),
    "thirty-items": ok_case(_many(30), [f"c{k}" for k in range(30)]),
    "same-model-twice": ok_case(
        F2 + SMALL + item(DUCK, "duck front") + item(DUCK, "duck side", yaw=90, turntable=False),
        ["duck front", "duck side"],
    ),
    "same-input-same-options-twice": ok_case(
        F2 + SMALL + item("pic.png", "a") + item("pic.png", "b"), ["a", "b"]
    ),
    "subfolders-spaces-unicode-case": ok_case(
        F2
        + SMALL
        + item("lists/../media/Video Clips/Spring Sale.MP4")
        + item("lists/../media/Bilder/Café Ünïcode.PNG")
        + item("lists/../media/duck.GLB", "Duck"),
        ["Spring Sale", "Café Ünïcode", "Duck"],
        setup=lambda d: (_subfolders(d), (d / "lists").mkdir(exist_ok=True)),
    ),
    "names-collide-after-8.3": ok_case(
        F2 + SMALL + item("pic.png", "Summer Sale A") + item("pic.png", "Summer Sale B"),
        ["Summer Sale A", "Summer Sale B"],
    ),
    "names-same-after-rule-mp4": ok_case(
        'devices = ["hypervsn"]\n' + SMALL + item("pic.png", "Sale!") + item("pic.png", "sale?"),
        ["Sale!", "sale?"],
        devices=("hypervsn",),
    ),
    "unicode-only-names": ok_case(
        F2 + SMALL + item("pic.png", "日本") + item("pic.png", "中文"), ["日本", "中文"]
    ),
    "video-options-per-item": ok_case(
        F2
        + SMALL
        + item("clip.mp4", "keyed", key="none", crop="fit")
        + item("clip.mp4", "looped", loop="pingpong", levels="auto")
        + item("clip.mp4", "xfade", loop="crossfade=0.05", key="#000000"),
        ["keyed", "looped", "xfade"],
    ),
    "defaults-overridden": ok_case(
        F2
        + "[defaults]\nseconds = 0.2\nsize = 64\nmargin = 0.2\n"
        + item("pic.png", "a", margin=0.0, seconds=0.1)
        + item("clip.mp4", "b", loops=1),
        ["a", "b"],
    ),
    "crlf-line-ends": ok_case((F2 + SMALL + item("pic.png", "sale")).replace("\n", "\r\n"), ["sale"]),
    "utf8-bom": ok_case("\ufeff" + F2 + SMALL + item("pic.png", "sale"), ["sale"]),
    "devices-as-string": ok_case('devices = "3dcircle-42f2"\n' + SMALL + item("pic.png", "sale"), ["sale"]),
    # --- re-runs
    "rerun-unchanged": rerun_case(_many(2), None, "0 rendered, 2 unchanged"),
    "rerun-touch-one-input": rerun_case(
        F2 + SMALL + item("clip.mp4", "a") + item("pic.png", "b"),
        None,
        "1 rendered, 1 unchanged",
        _touch_input,
    ),
    "rerun-rename-item": rerun_case(
        F2 + SMALL + item("clip.mp4", "a") + item("pic.png", "b"),
        F2 + SMALL + item("clip.mp4", "a") + item("pic.png", "sale"),
        "0 rendered, 2 unchanged",  # the title is not in the content key: the file is renamed
        names2=["a", "sale"],
    ),
    "rerun-delete-item": rerun_case(
        F2 + SMALL + item("clip.mp4", "a") + item("pic.png", "b"),
        F2 + SMALL + item("pic.png", "b"),
        "0 rendered, 1 unchanged",
        names2=["b"],
    ),
    "rerun-swap-order": rerun_case(
        F2 + SMALL + item("clip.mp4", "a") + item("pic.png", "b"),
        F2 + SMALL + item("pic.png", "b") + item("clip.mp4", "a"),
        "0 rendered, 2 unchanged",
        names2=["b", "a"],
    ),
    "rerun-9-to-10-items": rerun_case(
        _many(9), _many(10), "1 rendered, 9 unchanged", names2=[f"c{k}" for k in range(10)]
    ),
    "rerun-change-default": rerun_case(
        F2 + SMALL + item("pic.png", "a") + item("pic.png", "b", margin=0.1),
        F2
        + SMALL.replace("size = 64", "size = 64\nmargin = 0.1")
        + item("pic.png", "a")
        + item("pic.png", "b", margin=0.1),
        "1 rendered, 1 unchanged",
    ),
    "rerun-99-to-100-items": rerun_case(
        _many(99), _many(100), "1 rendered, 99 unchanged", names2=[f"c{k}" for k in range(100)]
    ),
    # the source hash covers the input's own name (source_files lists it): renders again
    "rerun-input-file-renamed": rerun_case(
        F2 + SMALL + item("pic.png", "a"),
        F2 + SMALL + item("sale.png", "a"),
        "1 rendered, 0 unchanged",
        between=lambda d: (d / "pic.png").rename(d / "sale.png"),
        names2=["a"],
    ),
    "rerun-force": rerun_case(_many(2), None, "2 rendered, 0 unchanged", extra=("--force",)),
    "name-with-path-parts": ok_case(
        BOTH + SMALL + item("pic.png", "../../etc/passwd") + item("pic.png", "C:\\promo\\x"),
        ["../../etc/passwd", "C:\\promo\\x"],
        devices=("3dcircle-42f2", "hypervsn"),
    ),
    "wall-item-beside-single-fan-items": lambda d: wall_case(d),
    # --- output places
    "out-holds-other-files": lambda d: users_folder_case(d),
    # --- validate on damaged packages
    "validate-truncated-file": damage_case(_truncate, "01_LOGO.BIN"),
    "validate-appended-byte": damage_case(_append_byte, "02_SALE.BIN"),
    "validate-renamed-file": damage_case(
        lambda dev: (dev / "files" / "02_SALE.BIN").rename(dev / "files" / "02_SALX.BIN"), "02_SALX.BIN"
    ),
    "validate-deleted-file": damage_case(lambda dev: (dev / "files" / "01_LOGO.BIN").unlink(), "01_LOGO.BIN"),
    "validate-file-added": damage_case(
        lambda dev: shutil.copy(dev / "files" / "01_LOGO.BIN", dev / "files" / "03_NEW.BIN"), "03_NEW.BIN"
    ),
    "validate-lowercase-bin-added": damage_case(
        lambda dev: shutil.copy(dev / "files" / "01_LOGO.BIN", dev / "files" / "03_new.bin"), "03_new.bin"
    ),
    "validate-manifest-frames-edited": damage_case(_edit_manifest, "01_LOGO.BIN"),
    "validate-manifest-garbage": damage_case(_manifest_garbage, "manifest.json"),
    # no manifest anywhere: not a package at all (exit 2, as the docs say)
    "validate-manifest-deleted": damage_case(_manifest_deleted, "manifest.json", expect_rc=2),
    # a preview is for the installer, not the fan: a warning
    "validate-preview-deleted": damage_case(
        lambda dev: (dev / "previews" / "01_LOGO.png").unlink(), "01_LOGO.png", expect_rc=0
    ),
    # --- playlists that must fail
    "empty-file": fail_case("", ["list.toml", "devices"]),
    "no-items": fail_case(F2 + SMALL, ["list.toml", "items"]),
    "toml-error": fail_case(F2 + "[[items]\ninput = 'pic.png'\n", ["list.toml", "TOML"]),
    "misspelled-item-key": fail_case(
        F2 + SMALL + item("pic.png", "sale", secnds=2), ["list.toml", "secnds", "item 1"]
    ),
    "misspelled-top-key": fail_case(
        'device = ["3dcircle-42f2"]\n' + SMALL + item("pic.png"), ["list.toml", "device"]
    ),
    "misspelled-default-key": fail_case(
        F2 + "[defaults]\nsecond = 1\n" + item("pic.png"), ["list.toml", "second"]
    ),
    "seconds-as-string": fail_case(
        F2 + SMALL + item("pic.png", "sale", seconds="5s"), ["list.toml", "item 1", "seconds"]
    ),
    "size-as-float": fail_case(
        F2 + SMALL + item("pic.png", "sale", size=64.5), ["list.toml", "item 1", "size"]
    ),
    "seconds-nan": fail_case(
        F2 + SMALL + "[[items]]\ninput='pic.png'\nseconds=nan\n", ["list.toml", "item 1", "seconds"]
    ),
    "seconds-huge": fail_case(
        F2 + SMALL + item("pic.png", "sale", seconds=1e9), ["list.toml", "item 1", "seconds"]
    ),
    "missing-input": fail_case(
        F2 + SMALL + item("pic.png") + item("nothere.mp4", "gone"), ["list.toml", "item 2", "nothere.mp4"]
    ),
    "input-is-empty-dir": fail_case(
        F2 + SMALL + item("media", "m"),
        ["list.toml", "item 1", "folder"],
        setup=lambda d: (d / "media").mkdir(),
    ),
    "input-is-the-playlist": fail_case(F2 + SMALL + item("list.toml", "me"), ["list.toml", "item 1"]),
    "input-is-a-package-zip": fail_case(
        F2 + SMALL + item("old.zip", "old"),
        ["list.toml", "item 1", "old.zip"],
        setup=lambda d: (d / "old.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18),
    ),
    "input-is-text-renamed-png": fail_case(
        F2 + SMALL + item("fake.png", "fake"),
        ["list.toml", "fake.png"],
        setup=lambda d: (d / "fake.png").write_text("not a picture"),
    ),
    "input-empty-mp4-beside-a-good-one": lambda d: partial_case(d),
    "duplicate-names-case": fail_case(
        F2 + SMALL + item("pic.png", "Sale") + item("clip.mp4", "sale"), ["list.toml", "item 2"]
    ),
    "unknown-device": fail_case(
        'devices = ["3dcircle-42f3"]\n' + SMALL + item("pic.png"), ["list.toml", "3dcircle-42f3"]
    ),
    "duplicate-device": fail_case(
        'devices = ["hypervsn", "hypervsn"]\n' + SMALL + item("pic.png"), ["list.toml", "hypervsn"]
    ),
    "items-as-table": fail_case(F2 + SMALL + "[items]\ninput = 'pic.png'\n", ["list.toml", "items"]),
    "windows-backslash-input": fail_case(
        F2 + SMALL + item("media\\pic.png", "sale"),
        ["list.toml", "item 1", "media", "write folders with /"],
        setup=lambda d: write_picture(d / "media" / "pic.png"),
    ),
    "per-item-devices-key": fail_case(
        F2 + SMALL + item("pic.png", "sale", devices=["hypervsn"]),
        ["list.toml", "item 1", "devices", "whole playlist"],
    ),
    "input-in-defaults": fail_case(
        F2 + '[defaults]\ninput = "pic.png"\n[[items]]\nname = "a"\n', ["list.toml", "input"]
    ),
    "seconds-and-loops-in-item": fail_case(
        F2 + SMALL + item("clip.mp4", "a", seconds=1, loops=2), ["list.toml", "item 1", "seconds"]
    ),
    "empty-name": fail_case(F2 + SMALL + item("pic.png", ""), ["list.toml", "item 1", "name"]),
    "devices-appended-at-the-end": fail_case(
        SMALL + item("pic.png", "sale") + F2, ["list.toml", "item 1", "devices", "top of the file"]
    ),
    "seconds-at-top-level": fail_case(
        F2 + "seconds = 5\n" + item("pic.png", "sale"), ["list.toml", "seconds", "[defaults]"]
    ),
    "input-is-a-package-folder": fail_case(
        F2 + SMALL + item("old", "old"),
        ["list.toml", "item 1", "old"],
        setup=lambda d: (
            (d / "old" / "3dcircle-42f2" / "files").mkdir(parents=True),
            (d / "old" / "README.txt").write_text("x"),
        ),
    ),
    "latin1-playlist": fail_case(
        (F2 + SMALL + item("pic.png", "Caf\u00e9")).encode("latin-1"), ["list.toml"]
    ),
    "out-inside-a-picture-folder-input": lambda d: out_in_picture_folder(d),
    # --- fleets
    "fleet-two-fans": _fleet_case(
        '[defaults]\ndevice = "3dcircle-42f2"\n[[fans]]\nname = "a"\naddress = "127.0.0.1:{PORT0}"\n'
        '[[fans]]\nname = "b"\naddress = "127.0.0.1:{PORT1}"\n',
        "ok",
    ),
    # the emulator listens on 127.0.0.1 only: the push must fail on that fan, naming the address
    "fleet-ipv6-bracketed": _fleet_case(
        '[defaults]\ndevice = "3dcircle-42f2"\n[[fans]]\nname = "a"\naddress = "[::1]:{PORT0}"\n', "refused"
    ),
    "fleet-ipv6-unbracketed": _fleet_case(
        '[defaults]\ndevice = "3dcircle-42f2"\n[[fans]]\nname = "a"\naddress = "::1"\n',
        "fail",
        ["fleet.toml", "fan 1 (a)", "brackets"],
    ),
    "fleet-duplicate-address": _fleet_case(
        '[defaults]\ndevice = "3dcircle-42f2"\n[[fans]]\nname = "a"\naddress = "127.0.0.1:{PORT0}"\n'
        '[[fans]]\nname = "b"\naddress = "127.0.0.1:{PORT0}"\n',
        "fail",
        ["fleet.toml", "b"],
    ),
    "fleet-bad-port": _fleet_case(
        '[defaults]\ndevice = "3dcircle-42f2"\n[[fans]]\nname = "a"\naddress = "127.0.0.1:99999"\n',
        "fail",
        ["fleet.toml", "a", "99999"],
    ),
    "fleet-missing-address": _fleet_case(
        '[defaults]\ndevice = "3dcircle-42f2"\n[[fans]]\nname = "a"\n', "fail", ["fleet.toml", "a", "address"]
    ),
    "fleet-no-fans": _fleet_case('[defaults]\ndevice = "3dcircle-42f2"\n', "fail", ["fleet.toml", "fans"]),
    "fleet-one-fan-missing": _fleet_case(
        '[defaults]\ndevice = "3dcircle-42f2"\n[[fans]]\nname = "a"\naddress = "127.0.0.1:{PORT0}"\n'
        '[[fans]]\nname = "gone"\naddress = "127.0.0.1:9"\n',
        "partial",
    ),
    "fleet-localhost-name": _fleet_case(
        '[[fans]]\naddress = "localhost:{PORT0}"\ndevice = "3dcircle-42f2"\n', "ok"
    ),
    "fleet-duplicate-name": _fleet_case(
        '[defaults]\ndevice = "3dcircle-42f2"\n[[fans]]\nname = "a"\naddress = "127.0.0.1:{PORT0}"\n'
        '[[fans]]\nname = "a"\naddress = "127.0.0.1:{PORT1}"\n',
        "fail",
        ["fleet.toml", "a"],
    ),
    "fleet-push-incomplete-package": _fleet_case(
        '[defaults]\ndevice = "3dcircle-42f2"\n[[fans]]\nname = "a"\naddress = "127.0.0.1:{PORT0}"\n',
        "fail",
        ["manifest.json", "incomplete", "item 2 (empty)"],
        incomplete=True,
    ),
    "fleet-crlf-and-spaces": _fleet_case(
        '[[fans]]\r\nname = "a"\r\naddress = " 127.0.0.1:{PORT0} "\r\ndevice = "3dcircle-42f2"\r\n', "ok"
    ),
}


def wall_case(d: Path) -> str:
    """A wall item beside two single-fan items: the wall's folder holds one file per fan,
    the device folder the other two items, renumbered 01, 02 (docs/walls.md)."""
    inputs(d)
    (d / "wall.toml").write_text(
        'device = "3dcircle-42f2"\nname = "lobby"\n[grid]\nrows = 1\ncols = 2\npitch = 400.0\n'
    )
    (d / "list.toml").write_text(
        F2 + SMALL + item("pic.png", "a") + item("clip.mp4", "big", wall="wall.toml") + item("pic.png", "c")
    )
    rc, so, se = pack(d)
    if rc != 0:
        return f"FAIL pack rc {rc}: {se.strip()[-160:]}"
    tree = sorted(str(p.relative_to(d / "out")) for p in (d / "out").rglob("*") if p.is_file())
    files = [t for t in tree if "/files/" in t or t.endswith((".BIN", ".mp4"))]
    vrc, vout = validate(d / "out")
    bad = [] if vrc == 0 else [f"validate rc {vrc}: {vout.strip().splitlines()[:2]}"]
    return ("FAIL " + ", ".join(bad) if bad else "ok") + f" | {' '.join(files[:6])}"


def partial_case(d: Path) -> str:
    """An empty MP4 beside a good picture: exit 2 naming the item; the good file is kept
    for the next run, and validate must not pass the package that lacks item 2."""
    inputs(d)
    (d / "empty.mp4").write_bytes(b"")
    (d / "list.toml").write_text(F2 + SMALL + item("pic.png", "ok") + item("empty.mp4", "empty"))
    rc, so, se = pack(d)
    row = fault_row(rc, so, se, ["list.toml", "item 2", "empty.mp4"], [])
    vrc, vout = validate(d / "out") if (d / "out").exists() else (None, "")
    bad = [] if vrc in (None, 1) else [f"validate passes the incomplete package (rc {vrc})"]
    if vrc == 1 and "02_EMPTY.BIN" not in vout:
        bad.append("validate does not name 02_EMPTY.BIN")
    return ("FAIL " + ", ".join(bad) + "; " if bad else "") + row + f" | validate rc {vrc}"


def users_folder_case(d: Path) -> str:
    """OUT is the user's folder of other things: refused (an output fault: exit 1), untouched."""
    inputs(d)
    (d / "out").mkdir()
    (d / "out" / "mine.txt").write_text("keep me")
    (d / "list.toml").write_text(F2 + SMALL + item("pic.png", "sale"))
    rc, so, se = pack(d)
    row = fault_row(rc, so, se, ["out", "holds other things"], [])
    untouched = sorted(p.name for p in (d / "out").iterdir()) == ["mine.txt"]
    row = row.replace("FAIL exit 1, ", "").replace("FAIL exit 1 ", "ok ") if rc == 1 else row
    return row if untouched else "FAIL folder changed " + row


def out_in_picture_folder(d: Path) -> str:
    """OUT inside a folder of numbered pictures that is an item's input: packs, and a
    re-run keeps the file (the package under it is not read as more frames)."""
    inputs(d)
    for k in range(3):
        write_picture(d / "frames" / f"{k:04d}.png")
    (d / "list.toml").write_text(F2 + SMALL + item("frames", "seq"))
    rc, so, se = hp("pack", d / "list.toml", "-o", d / "frames" / "out", "-q")
    if rc != 0:
        return f"FAIL rc {rc}: {se.strip()[-150:]}"
    # the clip reads only the folder's own pictures, not the package below it
    rc, so, se = hp("pack", d / "list.toml", "-o", d / "frames" / "out", "-q")
    got = counts(so + se)
    return ("ok" if rc == 0 and got == "0 rendered, 1 unchanged" else "FAIL") + f" | rerun {got}"


def zip_vs_folder(d: Path) -> str:
    inputs(d)
    (d / "list.toml").write_text(F2 + SMALL + item("pic.png", "sale"))
    rc1, _, se1 = pack(d, "list.toml", "out")
    rc2, so2, se2 = pack(d, "list.toml", "out.zip")
    if rc1 or rc2:
        return f"FAIL rc {rc1} {rc2}: {(se1 + se2).strip()[-150:]}"
    import zipfile

    with zipfile.ZipFile(d / "out.zip") as z:
        zbin = z.read("3dcircle-42f2/files/01_SALE.BIN")
    same = zbin == (d / "out" / "3dcircle-42f2" / "files" / "01_SALE.BIN").read_bytes()
    rc3, so3, se3 = pack(d, "list.toml", "out.zip")
    vrc, vout = validate(d / "out.zip")
    bad = ([] if same else ["zip and folder files differ"]) + ([] if vrc == 0 else [f"validate rc {vrc}"])
    bad += [] if counts(so3 + se3) == "0 rendered, 1 unchanged" else [f"zip rerun {counts(so3 + se3)}"]
    return ("FAIL " + ", ".join(bad) if bad else "ok") + f" | zip rerun {counts(so3 + se3)}"


CASES["zip-vs-folder"] = zip_vs_folder


def zip_damage(d: Path) -> str:
    """A zip package whose file was replaced inside the zip: validate names it; a re-run
    renders that one file again."""
    import zipfile

    inputs(d)
    (d / "list.toml").write_text(F2 + SMALL + item("pic.png", "sale") + item("clip.mp4", "logo"))
    rc, so, se = pack(d, "list.toml", "out.zip")
    if rc:
        return f"FAIL pack rc {rc}"
    with zipfile.ZipFile(d / "out.zip") as z:
        members = {n: z.read(n) for n in z.namelist()}
    name = "3dcircle-42f2/files/01_SALE.BIN"
    members[name] = members[name][:-1] + bytes([members[name][-1] ^ 0xFF])
    with zipfile.ZipFile(d / "out.zip", "w") as z:
        for n, b in members.items():
            z.writestr(n, b)
    vrc, vout = validate(d / "out.zip")
    rc2, so2, se2 = pack(d, "list.toml", "out.zip")
    bad = [] if vrc == 1 and "01_SALE.BIN" in vout else [f"validate rc {vrc}"]
    bad += [] if counts(so2 + se2) == "1 rendered, 1 unchanged" else [f"rerun {counts(so2 + se2)}"]
    return ("FAIL " + ", ".join(bad) if bad else "ok") + f" | validate rc {vrc}, rerun {counts(so2 + se2)}"


CASES["zip-file-edited-inside"] = zip_damage


def out_inside_input_folder(d: Path) -> str:
    """OUT inside the folder of the items' inputs: packs, the inputs untouched."""
    inputs(d)
    (d / "list.toml").write_text(F2 + SMALL + item("pic.png", "sale"))
    before = {p.name: sha(p) for p in d.iterdir() if p.is_file()}
    rc, so, se = hp("pack", "list.toml", "-o", "out", "-q", cwd=d)
    after = {p.name: sha(p) for p in d.iterdir() if p.is_file()}
    bad = ([] if rc == 0 else [f"rc {rc}: {se.strip()[-150:]}"]) + (
        [] if before == after else ["inputs changed"]
    )
    return ("FAIL " + ", ".join(bad) if bad else "ok") + f" | rc {rc} | {counts(so + se)}"


CASES["out-beside-inputs-relative"] = out_inside_input_folder


def out_is_an_input(d: Path) -> str:
    inputs(d)
    (d / "list.toml").write_text(F2 + SMALL + item("pic.png", "sale"))
    before = sha(d / "pic.png")
    rc, so, se = hp("pack", d / "list.toml", "-o", d / "pic.png", "-q")
    row = fault_row(rc, so, se, ["pic.png"], [])
    return row if sha(d / "pic.png") == before else "FAIL input overwritten " + row


CASES["out-is-an-input-file"] = out_is_an_input


def out_zip_is_users_zip(d: Path) -> str:
    import zipfile

    inputs(d)
    (d / "list.toml").write_text(F2 + SMALL + item("pic.png", "sale"))
    with zipfile.ZipFile(d / "photos.zip", "w") as z:
        z.writestr("holiday.jpg", b"x" * 100)
    before = sha(d / "photos.zip")
    rc, so, se = hp("pack", d / "list.toml", "-o", d / "photos.zip", "-q")
    row = fault_row(rc, so, se, ["photos.zip"], [])
    return row if sha(d / "photos.zip") == before else "FAIL zip overwritten " + row


CASES["out-zip-is-users-zip"] = out_zip_is_users_zip


def sweep(names: list[str], out: str, cli: bool) -> None:
    print(f"# {len(names)} cases; {os.popen('uptime').read().strip()}")
    for name in names:
        d = Path(out) / name
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        t = time.perf_counter()
        try:
            row = CASES[name](d)
        except Exception as exc:  # a case that breaks the sweep itself is a row too
            row = f"FAIL sweep: {type(exc).__name__}: {exc}"
        print(f"{name:34s} {row}  [{time.perf_counter() - t:.0f} s]", flush=True)
    print(f"# done; {os.popen('uptime').read().strip()}")


if __name__ == "__main__":
    run_sweep(__doc__.splitlines()[0], CASES, sweep, "playsweep-")
