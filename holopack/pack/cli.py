"""Command-line wiring of `holopack pack` and `holopack validate`.

holopack/cli.py registers them with ``add_pack_parser(sub); add_validate_parser(sub)``;
each parser runs its command (``args.run(args)``).
"""

from __future__ import annotations

import argparse
import json
import sys

from ..argtypes import add_cluster_options, add_command, add_containment_option, positive_int


def add_pack_parser(sub) -> argparse.ArgumentParser:
    p = add_command(sub, "pack", cmd_pack)
    p.add_argument("playlist", help="playlist .toml file")
    p.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="package folder, or a file name ending in .zip"
    )
    p.add_argument(
        "-j", "--jobs", type=positive_int, metavar="N", help="worker processes (default: one per core)"
    )
    p.add_argument("--force", action="store_true", help="render every item, even unchanged ones")
    p.add_argument(
        "--preview-frames",
        type=positive_int,
        default=24,
        metavar="N",
        help="frames in each preview GIF (default 24)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress line")
    add_cluster_options(p, "render", "inputs", note="; -j is then unused")
    add_containment_option(p)
    return p


def add_validate_parser(sub) -> argparse.ArgumentParser:
    p = add_command(sub, "validate", cmd_validate)
    p.add_argument("path", help="device file, package folder, device folder or package .zip")
    p.add_argument(
        "--device", metavar="NAME", help="device profile for a lone file (default: recognised from the file)"
    )
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="print only failures and warnings")
    add_containment_option(p)
    return p


def cmd_pack(args) -> int:
    """render a playlist into a content package for one or more fans

    Render every item of PLAYLIST (a TOML file, see docs/playlist.md) for every device
    it names, into a folder or a .zip with the device files, previews, a manifest and a
    README for the installer. A re-run renders only what changed.
    """
    from .package import pack

    if args.cluster:
        from ..cluster import connect
        from .playlist import load_playlist

        playlist = load_playlist(args.playlist)  # its faults first, before the cluster's
        with connect(args.cluster, shared_fs=args.shared_fs) as executor:
            report = pack(
                playlist,
                args.output,
                progress=not args.quiet,
                preview_frames=args.preview_frames,
                force=args.force,
                executor=executor,
            )
    else:
        report = pack(
            args.playlist,
            args.output,
            jobs=args.jobs,
            progress=not args.quiet,
            preview_frames=args.preview_frames,
            force=args.force,
        )
    print(report.summary(), file=sys.stderr)
    for line in report.worker_summary:  # per worker, on a cluster
        print(line, file=sys.stderr)
    return 0


def cmd_validate(args) -> int:
    """check a device file or a package against its device

    Check a device file, or a whole package made by `holopack pack`: layout, frame count
    and rate, subject inside the circle on black, brightness, loop seam, file names, and
    for a package the manifest's sizes and SHA-256. Exits 1 when a check fails.
    """
    from .validate import validate

    report = validate(args.path, device=args.device)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.text(verbose=not args.quiet))
    return 0 if report.ok else 1
