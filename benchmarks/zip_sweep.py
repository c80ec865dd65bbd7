"""Khronos sample models zipped as Sketchfab hands a glTF out: each model's glTF folder
(scene .gltf, .bin and pictures, in subfolders where the model has them) packed into a
.zip, exported from the folder and from the archive, and the two files compared byte for
byte (holopack/scene/archive.py must change nothing but where the files are read from).

    python benchmarks/zip_sweep.py --khronos GITDIR [--only Duck,Lantern] [--out DIR]

GITDIR: a clone of KhronosGroup/glTF-Sample-Models (or a fork keeping its 2.0/ layout);
models whose glTF folder has files missing in it fail both ways alike, and say so.
Prints one row per model: the two exit statuses, whether the files are identical, and
the archive's last stderr line.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import zipfile

MODELS = (
    "2CylinderEngine Avocado BoomBox BoxTextured BrainStem CesiumMilkTruck DamagedHelmet Duck Lantern "
    "Monster NormalTangentTest SciFiHelmet Suzanne TextureCoordinateTest TextureSettingsTest VC WaterBottle"
).split()
EXPORT = ("--device", "diy-apa102", "--seconds", "0.2", "-q")


def unpack_model(gitdir: str, model: str, folder: str) -> str | None:
    """The model's 2.0/MODEL/glTF folder from the repository, under ``folder``."""
    archive = subprocess.run(
        ["git", "-C", gitdir, "archive", "HEAD", f"2.0/{model}/glTF"], capture_output=True, check=False
    )
    if archive.returncode != 0:
        return None
    subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
    return os.path.join(folder, "2.0", model, "glTF")


def zip_folder(src: str, path: str) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for root, _, files in os.walk(src):
            for name in files:
                full = os.path.join(root, name)
                zf.write(full, os.path.relpath(full, src))


def export(source: str, out: str) -> tuple[int, str]:
    run = subprocess.run(
        [sys.executable, "-m", "holopack", "export", source, "-o", out, *EXPORT],
        capture_output=True,
        text=True,
    )
    lines = run.stderr.strip().splitlines()
    return run.returncode, lines[-1] if lines else ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--khronos", required=True, help="a clone of KhronosGroup/glTF-Sample-Models")
    ap.add_argument("--only", default="", help="comma-separated model names")
    ap.add_argument("--out", default=None, help="working folder (default: a new temporary one)")
    args = ap.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="holopack-zip-sweep-")
    models = [m for m in MODELS if not args.only or m in args.only.split(",")]
    differ = skipped = 0
    for model in models:
        folder = os.path.join(out, model)
        os.makedirs(folder, exist_ok=True)
        src = unpack_model(args.khronos, model, folder)
        gltf = [n for n in os.listdir(src) if n.endswith(".gltf")] if src and os.path.isdir(src) else []
        if not gltf:
            print(f"{model:24s} not in the snapshot (files of its glTF folder are missing)")
            skipped += 1
            continue
        archive = os.path.join(folder, f"{model}.zip")
        zip_folder(src, archive)
        plain_rc, _ = export(os.path.join(src, gltf[0]), os.path.join(folder, "FOLDER.hps"))
        zip_rc, line = export(archive, os.path.join(folder, "ZIPPED.hps"))
        files = [os.path.join(folder, n) for n in ("FOLDER.hps", "ZIPPED.hps")]
        same = all(os.path.exists(f) for f in files) and len({open(f, "rb").read() for f in files}) == 1
        agree = same or (plain_rc == zip_rc != 0)
        differ += not agree
        print(f"{model:24s} folder rc={plain_rc} zip rc={zip_rc} identical={same}  {line[:110]}")
    run = len(models) - skipped
    print(f"# {run - differ} of {run} models agree (the same bytes, or the same refusal); {skipped} not run")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
