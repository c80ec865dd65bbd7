"""The bench report as text for a terminal, and as a PNG chart."""

from __future__ import annotations

import os


def _ms(value) -> str:
    return "-" if value is None else f"{value:8.2f}"


def format_run(run: dict) -> str:
    scene = run["scene"]
    what = "media" if scene["media"] else f"{scene['triangles']:,} triangles"
    if scene.get("splats"):
        what = f"{scene['splats']:,} Gaussian splats"
    video = run.get("video")
    if video:
        what = f"video, key {video['key']}, crop {video['crop']}, loop {video['loop'] or 'none'}"
        what += f", levels {video['levels']}, edge fade {video.get('edge_fade', 'none')}"
        what += f", see-through {video.get('see_through', 'none')}" + (
            "" if video["processed"] else " (passed through as decoded)"
        )
    if scene.get("animation"):
        what += f", animation {scene['animation']!r}"
    lines = [
        f"{run['input_name']} -> {run['device']} ({run['format']}), render {run['render_size']} px"
        f" x{run['supersample']} supersample, output {run['output_size']} px, {what}",
        f"  {run['frames']} frames timed after {run['warmup']} warm-up frames",
        f"  {'stage':10s} {'median':>8s} {'p10':>8s} {'p90':>8s}   (ms per frame)",
    ]
    load = run["setup"]["load"]
    lines.append(
        f"  {'load':10s} {_ms(load['median_ms'])} {_ms(load['min_ms'])} {_ms(load['max_ms'])}"
        f"   once per export ({load['n']} loads; p10/p90 = min/max)"
    )
    lines.append(
        f"  {'plan':10s} {_ms(run['setup']['plan_ms'])}{'':18s}   once: camera fit, resampling weights"
    )
    for name, s in run["stages"].items():
        lines.append(f"  {name:10s} {_ms(s['median_ms'])} {_ms(s['p10_ms'])} {_ms(s['p90_ms'])}")
        if name == "write" and run.get("write_parts", {}).get("encode"):
            e = run["write_parts"]["encode"]
            lines.append(
                f"   {'(encode':9s} {_ms(e['median_ms'])} {_ms(e['p10_ms'])} {_ms(e['p90_ms'])}"
                "   of it: the bit layout, pack_frame alone)"
            )
    lines.append(f"  {'sum':10s} {_ms(run['stage_sum_ms'])}")
    e2e = run["end_to_end"]
    fps = e2e["fps"]
    lines.append(
        f"  end to end: {fps:.1f} fps = {run['realtime_factor']:.2f}x real time at "
        f"{run['device_fps']:g} fps (frame median {e2e['frame']['median_ms']:.2f} ms, "
        f"p10 {e2e['frame']['p10_ms']:.2f}, p90 {e2e['frame']['p90_ms']:.2f}; "
        f"close {e2e['close_ms']:.1f} ms)"
    )
    for peer in run.get("peers", []):
        if not peer["available"]:
            lines.append(f"  peer {peer['stage']:8s} {peer['peer']}: not measured ({peer['reason']})")
            continue
        r = peer["ratio"]
        verdict = (
            ""
            if r is None
            else (f"holopack {r:.2f}x the time" if r >= 1 else f"holopack {1 / r:.2f}x faster")
        )
        lines.append(
            f"  peer {peer['stage']:8s} {peer['peer']} [{peer['backend']}]: ours "
            f"{peer['ours']['median_ms']:.2f} ms, theirs {peer['theirs']['median_ms']:.2f} ms"
            f" -> {verdict}"
        )
        if peer.get("peer_shading"):
            agreement = "" if peer["peer_psnr"] is None else f", {peer['peer_psnr']:.1f} dB PSNR against ours"
            lines.append(
                f"    drew {peer['peer_shading']} shading ({' + '.join(peer['peer_shaders'])}){agreement}"
            )
    mem = run["memory"]
    lines.append(
        f"  peak memory {mem['process_peak_rss_mib']:.0f} MiB (largest child "
        f"{mem['children_peak_rss_mib']:.0f} MiB)"
    )
    if run.get("profile"):
        lines.append("  profile (own time per frame, top functions):")
        for row in run["profile"][:12]:
            lines.append(
                f"    {row['tottime_ms_per_frame']:8.2f} ms  {row['calls']:7d} calls  {row['function']}"
            )
    return "\n".join(lines)


def format_report(report: dict) -> str:
    m, n, sw = report["machine"], report["numba"], report["software"]
    head = [
        f"holopack bench {report['created']}",
        f"  {m['cpu_model']}, {m['usable_cpus']} of {m['logical_cpus']} CPUs usable, "
        f"load average {', '.join(f'{v:.2f}' for v in m['load_average'])} at the start",
        f"  Numba {sw['numba']}: {n['threads']} threads ({n['threading_layer'] or 'no parallel run'})"
        f", numpy {sw['numpy']}, Python {sw['python']}, holopack {sw['holopack']}"
        f" {sw.get('holopack_commit') or ''}".rstrip(),
    ]
    competing = report.get("load") or {}
    if competing.get("processes"):
        used = competing["cpu_seconds"]
        head.append(
            f"  under a competing load of {competing['processes']} busy processes (--load), "
            + ("" if used is None else f"which took {used:.1f} CPU s in ")
            + f"{competing['seconds']:.1f} s; the peers ran under the same load"
        )
    load = m["load_average"][0] if m["load_average"] else 0.0
    if load > 0.75 * m["usable_cpus"] and not competing.get("processes"):
        head.append(
            f"  warning: the machine was busy (load {load:.2f} on {m['usable_cpus']} CPUs): "
            "other work shares the CPUs, so these figures are low and noisy"
        )
    return "\n".join(head + [format_run(run) for run in report["runs"]])


def plot_report(report: dict, path: str) -> str:
    """A PNG: per-stage medians with p10-p90 whiskers for each run, and the peer rows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = report["runs"]
    fig, axes = plt.subplots(
        1, 2, figsize=(13, 1.6 + 0.9 * max(3, len(runs) * 2.2)), gridspec_kw={"width_ratios": [3, 2]}
    )
    ax = axes[0]
    stage_names = []
    for run in runs:
        for name in run["stages"]:
            if name not in stage_names:
                stage_names.append(name)
    height = 0.8 / max(1, len(runs))
    for k, run in enumerate(runs):
        ys, med, lo, hi = [], [], [], []
        for j, name in enumerate(stage_names):
            s = run["stages"].get(name)
            if s is None:
                continue
            ys.append(j + k * height)
            med.append(s["median_ms"])
            lo.append(s["median_ms"] - s["p10_ms"])
            hi.append(s["p90_ms"] - s["median_ms"])
        label = f"{run['input_name']} {run['render_size']}px: {run['end_to_end']['fps']:.1f} fps end to end"
        ax.barh(ys, med, height=height, xerr=[lo, hi], capsize=2, label=label)
    ax.set_yticks([j + height * (len(runs) - 1) / 2 for j in range(len(stage_names))])
    ax.set_yticklabels(stage_names)
    ax.invert_yaxis()
    ax.set_xlabel("ms per frame (median, p10-p90)")
    ax.set_title(f"holopack stages, {runs[0]['device']}")
    ax.legend(fontsize=8, loc="lower right")
    ax = axes[1]
    labels, ours, theirs = [], [], []
    for run in runs:
        for peer in run.get("peers", []):
            if peer["available"]:
                labels.append(f"{run['input_name'][:14]} {peer['stage']}\nvs {peer['peer']}")
                ours.append(peer["ours"]["median_ms"])
                theirs.append(peer["theirs"]["median_ms"])
    if labels:
        rows = range(len(labels))
        ax.barh([y - 0.2 for y in rows], ours, height=0.4, label="holopack")
        ax.barh([y + 0.2 for y in rows], theirs, height=0.4, label="peer")
        ax.set_yticks(list(rows))
        ax.set_yticklabels(labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no peers measured", ha="center", va="center")
    ax.set_xlabel("ms per frame (median)")
    ax.set_title("peers, same work in the same run")
    m = report["machine"]
    fig.suptitle(
        f"{m['cpu_model']}, {m['usable_cpus']} CPUs, Numba {report['numba']['threads']} threads", fontsize=9
    )
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
