"""Load every USD file under a folder (a checkout of usd-wg/assets, say) and say for each
whether it loads, is refused in one line, or fails in any other way (a fault of ours).

    python benchmarks/usd_assets_sweep.py FOLDER

Each file is loaded with --allow-outside-files (the test assets name layers in other
folders); printed: seconds, path, and "ok" with triangles, clips and warnings, or
"REFUSED" with the one error line, or "CRASH" with the exception; then the counts.
"""

from __future__ import annotations

import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this tree's holopack, not an installed one

from holopack.containment import allow_outside_files  # noqa: E402
from holopack.errors import InputError  # noqa: E402
from holopack.scene.load import load  # noqa: E402


def main() -> None:
    root = Path(sys.argv[1])
    files = sorted(p for p in root.rglob("*") if p.suffix in (".usd", ".usda", ".usdc", ".usdz"))
    counts: collections.Counter = collections.Counter()
    for path in files:
        start = time.time()
        try:
            with allow_outside_files():
                scene = load(path)
            counts["ok"] += 1
            said = f"ok tris={scene.triangle_count} anim={len(scene.animations)} warn={len(scene.warnings)}"
        except InputError as exc:
            counts["refused"] += 1
            said = "REFUSED " + exc.message
        except Exception as exc:  # what this sweep is for
            counts["CRASH"] += 1
            said = f"CRASH {type(exc).__name__}: {exc}"
        print(f"{time.time() - start:5.2f}s {path.relative_to(root)}: {said[:200]}", flush=True)
    print(dict(counts))


if __name__ == "__main__":
    main()
