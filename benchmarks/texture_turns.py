"""Frame times of this tree's renderer against a git revision's, whole processes in turns.

    python benchmarks/texture_turns.py [--rev main] [--frames 10] [--runs 3]

For a change that the other revision's kernels cannot stand in for inside one process
(the texture sampler is compiled into every textured band shader, four layers of inlined
functions deep), each turn starts one process per tree, old then new, that draws the
same frames: bench_render.py's turntable of the bunny, BrainStem and FlightHelmet at
1024 x 1024, supersample 1, unlit with textures (FlightHelmet alone has textures), and
the bundled default twin, lit, at the 42-F2's render size with export's supersampling.
Each process times each frame by the wall clock and by its CPU time (all threads) and
prints medians; the first frame of each case (compile, texture decoding) is not timed.
The revision is unpacked (git archive) into a temporary folder with its own Numba cache,
so its first turn compiles; that turn is not counted. The pictures of the two trees
(sRGB colour and linear light) are compared: a digest of all of a case's frames.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from revision import load_average, turns_parser  # noqa: E402

CHILD = """
import hashlib, json, os, statistics, sys, time
root = sys.argv[1]
frames = int(sys.argv[2])
sys.path.insert(0, root)
sys.path.insert(0, os.path.join(root, "benchmarks"))
from holopack.openmp import configure
configure()
from bench_render import cameras, model
from holopack.pipeline import default_twin
from holopack.rendering import Renderer
from holopack.rendering.renderer import DEFAULT_SUPERSAMPLE
from holopack.scene.load import load

def cases():
    for name in ("FlightHelmet", "BrainStem", "bunny"):
        posed, materials, textures = model(name)
        yield f"{name} unlit 1024 s1", posed, materials, textures, "unlit", (1024, 1024), 1
    scene = load(default_twin())
    posed = scene.pose(None, 0.0)
    yield (f"default twin lit 672 s{DEFAULT_SUPERSAMPLE}", posed, scene.materials, scene.textures,
           "lit", (672, 672), DEFAULT_SUPERSAMPLE)

out = {"file": __import__("holopack").__file__}
for label, posed, materials, textures, shading, size, s in cases():
    cams = cameras(posed, frames)
    renderer = Renderer(size, s)
    digest = hashlib.sha256()
    wall, cpu = [], []
    for i, cam in enumerate([cams[0]] + cams):
        c0 = time.process_time()
        t0 = time.perf_counter()
        picture = renderer.draw(posed, materials, textures, cam.view, cam.projection, shading)
        if i:
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            digest.update(picture.color.tobytes())
            digest.update(picture.linear.tobytes())
    out[label] = (1000 * statistics.median(wall), 1000 * statistics.median(cpu), digest.hexdigest())
print(json.dumps(out))
"""


def unpack(rev: str, into: Path) -> Path:
    """The tree of ``rev`` as files under ``into``."""
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
    with tempfile.TemporaryFile() as f:
        f.write(archive)
        f.seek(0)
        with tarfile.open(fileobj=f) as tar:
            tar.extractall(into, filter="data")
    return into


def turn(root: Path, frames: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), str(frames)], capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"{root}: {done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    args = turns_parser(__doc__.splitlines()[0]).parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"old": unpack(args.rev, Path(tmp)), "new": ROOT}
        print(f"load average before: {load_average()}")
        print(f"old = {args.rev}, new = this tree; medians of {args.runs} turns of {args.frames} frames")
        for key, tree in trees.items():  # compile both trees' kernels (not counted)
            print(f"{key} imports {turn(tree, 1)['file']}", flush=True)
        turns: dict[str, list[dict]] = {"old": [], "new": []}
        for i in range(args.runs):
            for key, tree in trees.items():
                turns[key].append(turn(tree, args.frames))
            print(f"turn {i + 1}: load average {load_average()}", flush=True)
    print("| case | old ms | new ms | new/old | old CPU ms | new CPU ms | new/old CPU | same pictures |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for label in turns["new"][0]:
        if label == "file":
            continue
        o_w, n_w = (statistics.median(t[label][0] for t in turns[k]) for k in ("old", "new"))
        o_c, n_c = (statistics.median(t[label][1] for t in turns[k]) for k in ("old", "new"))
        same = all(a[label][2] == b[label][2] for a, b in zip(turns["old"], turns["new"]))
        print(
            f"| {label} | {o_w:.2f} | {n_w:.2f} | {n_w / o_w:.3f} | {o_c:.2f} | {n_c:.2f} | "
            f"{n_c / o_c:.3f} | {'yes' if same else 'NO'} |"
        )
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
