"""What is in an input file, and what will look bad on a fan."""

from __future__ import annotations

import os

import numpy as np

from .animate.orientation import detect
from .scene.material_features import material_features
from .scene.media import fit_square
from .scene.scene import Scene
from .video import segment
from .video.analyse import DARK_LEVEL, analyse
from .video.backdrop import BACKGROUND_LIMIT, frame_border, lit_background
from .video.options import video_options

OUTSIDE_LIMIT = 0.02  # share of lit pixels allowed outside the circle
# how media_warnings' second line begins (describe drops it where --crop auto fixes it)
OUTSIDE = "the subject reaches outside the fan's circle"


def describe(scene: Scene, media_samples: int = 8) -> dict:
    """A JSON-friendly summary of a scene (model or media)."""
    info: dict = {"path": scene.path, "warnings": list(scene.warnings)}
    m = scene.media
    if m is not None:  # a picture or video (scene.is_media)
        info.update(
            kind="picture" if m.fps <= 0 else "video",
            width=m.width,
            height=m.height,
            fps=round(m.fps, 3),
            frames=m.frame_count,
            seconds=round(m.duration, 3),
            colour=m.colour,
        )
        if not (m.fps > 0 or m.alpha):
            info["warnings"] += media_warnings(scene, media_samples)
            return info
        # what export's default --key auto / --crop auto would do with it
        model = analyse(m, video_options(), inspecting=True)
        info.update(model.report())
        info["segmentation"] = segment.status()
        # A clip that export keys by default, or whose alpha clears its background, needs
        # neither of media_warnings' lines: its background goes to black, and --crop auto
        # fits the subject's extent into the circle (the corners were lit by the
        # background; an alpha clip's colour under alpha 0 is no background at all).
        # Only an unkeyed clip's frames are read again for them: that second decode (8
        # frames spread over the clip, with every frame between) was a fifth of
        # inspect's 7.3 s on a 10 s 1080p clip.
        if not (model.alpha or model.use_plate or model.use_key or model.use_segment):
            info["warnings"] += [
                w
                for w in media_warnings(scene, media_samples)
                if not (model.box is not None and w.startswith(OUTSIDE))
            ]
        info["warnings"] += model.warnings
        return info
    if scene.splats is not None:
        summary = splat_summary(scene.splats)
        info["warnings"] += summary.pop("warnings")
        info.update(summary)
        return info
    info["kind"] = "model"
    info["triangles"] = scene.triangle_count
    info["vertices"] = scene.vertex_count
    info["primitives"] = len(scene.draw_items)
    try:
        lo, hi = scene.bounds()
        info["bounds"] = {"min": [round(float(v), 5) for v in lo], "max": [round(float(v), 5) for v in hi]}
    except Exception as exc:  # posing can fail on a broken rig; inspect still reports
        info["warnings"].append(f"cannot pose the model: {exc}")
    info["materials"] = [
        {
            "name": m.name,
            "alpha": m.alpha_mode,
            "double_sided": m.double_sided,
            "base_color_texture": m.base_color_texture,
            "unlit": m.unlit,
            "features": material_features(m),
        }
        for m in scene.materials
    ]
    info["textures"] = [
        {"name": t.name, "width": int(t.pixels.shape[1]), "height": int(t.pixels.shape[0])}
        for t in scene.textures
    ]
    info["variants"] = [
        {
            "index": i,
            "name": name,
            "materials": sorted(
                {
                    scene.materials[p.variant_materials[i]].name or f"#{p.variant_materials[i]}"
                    for mesh in scene.meshes
                    for p in mesh.primitives
                    if i in p.variant_materials
                }
            ),
        }
        for i, name in enumerate(scene.variants)
    ]
    for entry, note in zip(info["variants"], scene.variant_notes):
        entry["note"] = note
    info["texture_roles"] = texture_use(scene)
    info["vertex_colours"] = has_vertex_colours(scene)
    info["skins"] = [{"name": s.name, "joints": int(len(s.joints))} for s in scene.skins]
    info["animations"] = [
        {"index": i, "name": a.name, "seconds": round(a.duration - a.start, 4), "channels": len(a.channels)}
        for i, a in enumerate(scene.animations)
    ]
    info["plays"] = clip_choice(scene)
    try:
        orientation = detect(scene)
        info["orientation"] = {"front": orientation.front, "up": orientation.up, "reason": orientation.reason}
    except Exception as exc:  # a broken rig: say so, keep reporting
        info["warnings"].append(f"cannot tell which way the model faces: {exc}")
    morphs = []
    for mesh in scene.meshes:
        for prim in mesh.primitives:
            if prim.morph is not None:
                morphs.append(
                    {
                        "mesh": mesh.name,
                        "targets": int(prim.morph.positions.shape[0]),
                        "names": list(prim.morph.names),
                    }
                )
    info["morph_targets"] = morphs
    if scene.triangle_count > 1_000_000:
        info["warnings"].append(
            f"{scene.triangle_count:,} triangles: fine details vanish on a fan's "
            "few hundred LED rings; rendering will be slow"
        )
    if (
        not scene.textures
        and not info["vertex_colours"]
        and all(np.allclose(m.base_color_factor[:3], m.base_color_factor[0]) for m in scene.materials)
    ):
        info["warnings"].append("no colour or texture: the model will show in one grey")
    return info


# splats above this draw slowly: ~1 s a 672 px frame (benchmarks/bench_splats.py)
MANY_SPLATS = 3_000_000


def splat_summary(splats) -> dict:
    """A Gaussian splat twin's count, spherical-harmonic degree and extent (the box
    export frames: holopack.pipeline.frames.framing_points), with the bounds of every
    centre beside it, and its warnings."""
    from .pipeline.frames import framing_points

    means = np.asarray(splats.means, np.float64)
    framed = framing_points(splats)
    info: dict = {
        "kind": "splats",
        "splats": len(splats),
        "sh_degree": splats.degree,
        "extent": {"min": _rounded(framed.min(0)), "max": _rounded(framed.max(0))},
        "bounds": {"min": _rounded(means.min(0)), "max": _rounded(means.max(0))},
        "faint": int((np.asarray(splats.opacities) <= 0.1).sum()),
        "orientation": {"front": "+z", "up": "+y", "reason": ""},
    }
    warnings = []
    if len(splats) > MANY_SPLATS:
        warnings.append(
            f"{len(splats):,} splats: rendering will be slow (about a second a frame per "
            "million at the 42-F2's size); a capture tool can thin them"
        )
    info["warnings"] = warnings
    return info


def _rounded(values) -> list[float]:
    return [round(float(v), 5) for v in values]


def has_vertex_colours(scene: Scene) -> bool:
    """True when a drawn primitive carries vertex colours (COLOR_0) that are not one grey."""
    for item in scene.draw_items:
        colors = scene.primitive(item).colors
        if colors is None or not len(colors):
            continue
        rgb = np.asarray(colors)[:, :3]
        if np.ptp(rgb, axis=0).max() > 1e-3 or np.ptp(rgb[0]) > 1e-3:
            return True
    return False


def texture_use(scene: Scene) -> list[dict]:
    """Every texture with its role and whether holopack draws with it."""
    if scene.texture_roles:
        return [dict(r) for r in scene.texture_roles]
    # loaders without roles (OBJ/MTL, PLY): what they decoded is colour
    return [
        {"texture": i, "name": t.name or f"#{i}", "material": "", "role": "baseColor", "used": True}
        for i, t in enumerate(scene.textures)
    ]


def clip_choice(scene: Scene) -> dict:
    """Which clip export plays by default, and why."""
    if not scene.animations:
        return {"clip": None, "why": "no animation: a turntable turn"}
    index = scene.animation_index(None)
    assert index is not None, "animation_index(None) gives an index when there are animations"
    if index == scene.all_clips_index:
        longest = max(a.duration - a.start for a in scene.animations)
        return {
            "clip": "all",
            "why": f"all {len(scene.animations)} clips together: each drives its "
            f"own joints and all last {longest:.3f} s (one clip per joint)",
        }
    clip = scene.animations[index]
    why = "the first" + ("; --animation NAME|INDEX|all picks another" if len(scene.animations) > 1 else "")
    return {"clip": index, "name": clip.name, "why": why}


def media_warnings(scene: Scene, samples: int = 8, size: int = 256) -> list[str]:
    """Warn about a video without a black background or a subject outside the circle."""
    m = scene.media
    assert m is not None, "media warnings are asked of picture and video scenes only"
    warnings: list[str] = []
    step = max(1, m.frame_count // samples)
    c = (size - 1) / 2
    y, x = np.mgrid[0:size, 0:size]
    outside = np.hypot(x - c, y - c) > size / 2 - 1
    borders, outside_lit = [], []
    for i, frame in enumerate(m.frames()):
        if i % step:
            continue
        borders.append(frame_border(frame))
        square = fit_square(frame, size)
        lit_pixels = square.max(axis=2) > BACKGROUND_LIMIT
        outside_lit.append(float(lit_pixels[outside].mean()))
        if len(borders) >= samples:
            break
    lit = lit_background(borders)
    if lit is not None:
        warnings.append(lit)
    if outside_lit and max(outside_lit) > OUTSIDE_LIMIT:
        warnings.append(
            f"{OUTSIDE} ({100 * max(outside_lit):.0f}% "
            "of the corners lit): the fan never shows the corners of a square video"
        )
    return warnings


def _count(n: int, one: str, many: str = "") -> str:
    """'1 primitive', '19 primitives', '3,237 triangles'."""
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def _media_lines(info: dict) -> list[str]:
    """A picture's or video's size, length and, for a clip, what export's defaults key."""
    if info["kind"] == "picture":
        return [f"  size {info['width']}x{info['height']}, a still picture"]
    lines = [
        f"  size {info['width']}x{info['height']}, {info['frames']} frames, "
        f"{info['fps']} fps, {info['seconds']} s"
    ]
    if info.get("colour"):
        lines.append(f"  colour: {info['colour']}")
    if "background" in info:
        extent = info["subject_extent"]
        lines.append(
            f"  alpha: {'yes' if info['alpha'] else 'no'}; background: {info['background']}; "
            f"key: {info['key']}"
        )
        lines.append(
            "  subject extent: "
            + (
                "none found"
                if extent is None
                else f"x {extent[0]}..{extent[2]}, y {extent[1]}..{extent[3]} (pixels, over the clip)"
            )
        )
        if info.get("cut_edges"):
            lines.append(
                f"  the frame cuts the subject at: {', '.join(info['cut_edges'])} "
                "(--edge-fade auto fades it out there)"
            )
        if info.get("colour_under_clear"):
            under = info["colour_under_clear"]
            lines.append(
                f"  under its clear pixels: {under}, a screen's colour (keyed elsewhere: "
                f"--key '{under}' keys it again from its colour, its alpha set aside)"
            )
        if info.get("seen_through", 0) > 0:
            lines.append(
                f"  the screen's colour lies over {100 * info['seen_through']:.0f}% of the subject "
                "past its rim (a glow or smoke, or its own green: --see-through auto takes it out)"
            )
        if info.get("dark", 0) >= 0.005:  # rounds to 1% or more
            lines.append(
                f"  dark: {100 * info['dark']:.0f}% of the subject's pixels light a fan's LEDs "
                f"barely or not at all (brightest channel below {DARK_LEVEL}/255)"
            )
        lines.append(f"  person segmentation: {info['segmentation']}")
    return lines


def _splat_lines(info: dict) -> list[str]:
    """A Gaussian splat twin's count, degree and extent."""
    lo, hi = info["extent"]["min"], info["extent"]["max"]
    size = ", ".join(f"{h - l:.4g}" for l, h in zip(lo, hi))
    blo, bhi = info["bounds"]["min"], info["bounds"]["max"]
    return [
        f"  {_count(info['splats'], 'Gaussian splat')}, spherical harmonics of degree {info['sh_degree']}",
        f"  extent {lo} .. {hi} (size {size}; opacity > 0.1, 1st-99th percentile: what export frames)",
        f"  every centre {blo} .. {bhi}; {info['faint']:,} faint splats (opacity <= 0.1)",
        "  facing +z, up +y (the file's axes; --front/--up turn them)",
        "  animations: none (exports as a turntable)",
    ]


def format_report(info: dict) -> str:
    lines = [f"{os.path.basename(info['path'])}: {info['kind']}"]
    if info["kind"] == "splats":
        lines += _splat_lines(info)
    elif info["kind"] != "model":
        lines += _media_lines(info)
    else:
        lines.append(
            f"  {_count(info['triangles'], 'triangle')}, {_count(info['vertices'], 'vertex', 'vertices')}, "
            f"{_count(info['primitives'], 'primitive')}"
        )
        if "bounds" in info:
            lo, hi = info["bounds"]["min"], info["bounds"]["max"]
            size = [h - l for l, h in zip(lo, hi)]
            lines.append(f"  bounds {lo} .. {hi} (size {', '.join(f'{s:.4g}' for s in size)})")
        lines.append(f"  materials ({len(info['materials'])}):")
        for m in info["materials"]:
            tex = ""
            if m["base_color_texture"] is not None and m["base_color_texture"] < len(info["textures"]):
                t = info["textures"][m["base_color_texture"]]
                tex = f", base colour texture {t['name'] or '#' + str(m['base_color_texture'])}"
            lines.append(
                f"    {m['name'] or '(unnamed)'}: {m['alpha']}{tex}"
                f"{', double-sided' if m['double_sided'] else ''}{', unlit' if m['unlit'] else ''}"
            )
            lines += _feature_lines(m)
        lines += _variant_lines(info.get("variants", []))
        lines.append("  vertex colours (COLOR_0): " + ("yes, drawn" if info["vertex_colours"] else "none"))
        textures = _by_texture(info["texture_roles"])
        if textures:
            used = sum(1 for t in textures if t["used"])
            lines.append(f"  textures ({len(textures)}, {used} used by holopack):")
            for t in textures:
                materials = f" (in {', '.join(t['materials'])})" if t["materials"] else ""
                lines.append(
                    f"    {t['name']}: {' + '.join(t['roles'])}{materials}: "
                    + (
                        "used"
                        if t["used"]
                        else "used with --shading pbr"
                        if t.get("pbr")
                        else "not used, a fan shows only colour and light"
                    )
                )
        else:
            lines.append("  textures: none")
        if "orientation" in info:
            o = info["orientation"]
            lines.append(
                f"  facing {o['front']}, up {o['up']}"
                + (f" (auto: {o['reason']})" if o["reason"] else " (glTF's axes)")
            )
        if info["skins"]:
            lines.append(
                "  skins: "
                + ", ".join(f"{s['name'] or '(unnamed)'} ({s['joints']} joints)" for s in info["skins"])
            )
        if info["animations"]:
            lines.append(f"  animations ({len(info['animations'])}):")
            for a in info["animations"]:
                lines.append(
                    f"    [{a['index']}] {a['name'] or '(unnamed)'}: {a['seconds']:.3f} s, "
                    f"{a['channels']} channel{'s' if a['channels'] != 1 else ''}"
                )
            plays = info["plays"]
            shown = "all" if plays["clip"] == "all" else f"[{plays['clip']}] {plays['name'] or '(unnamed)'}"
            lines.append(f"  plays: {shown} ({plays['why']})")
        else:
            lines.append("  animations: none (exports as a turntable)")
        listed = set()
        for mt in info["morph_targets"]:
            key = (mt["mesh"], mt["targets"], tuple(mt["names"]))
            if key in listed:  # one line per mesh, not per primitive
                continue
            listed.add(key)
            names = f" ({', '.join(mt['names'])})" if mt["names"] else ""
            lines.append(f"  morph targets: {mt['mesh'] or '(unnamed mesh)'}: {mt['targets']}{names}")
    for w in info["warnings"]:
        lines.append(f"  warning: {w}")
    return "\n".join(lines)


def _variant_lines(variants: list[dict]) -> list[str]:
    """inspect's lines for the variants (KHR_materials_variants, USD variant sets): each
    variant and what it puts on or where it comes from."""
    if not variants:
        return []
    if any(v.get("note") for v in variants):  # USD variant sets
        lines = [
            f"  variants ({len(variants)}; --variant SET=NAME|NAME|INDEX, default the file's own selections):"
        ]
    else:
        lines = [
            f"  material variants ({len(variants)}; --variant NAME|INDEX, default the file's own materials):"
        ]
    for v in variants:
        does = v.get("note") or ", ".join(v["materials"]) or "no material changes"
        lines.append(f"    [{v['index']}] {v['name']}: {does}")
    return lines


def _feature_lines(material: dict) -> list[str]:
    """The report's line of the material features a material uses, and how each is drawn."""
    features = material.get("features") or []
    if not features:
        return []
    return ["      uses: " + "; ".join(f"{f['feature']} ({f['rendered']})" for f in features)]


def _by_texture(roles: list[dict]) -> list[dict]:
    """The role entries grouped per texture: name, roles, materials, used (by any)."""
    grouped: dict[int, dict] = {}
    for r in roles:
        g = grouped.setdefault(
            r["texture"], {"name": r["name"], "roles": [], "materials": [], "used": False, "pbr": False}
        )
        g["pbr"] = g["pbr"] or r.get("pbr", False)
        if r["role"] not in g["roles"]:
            g["roles"].append(r["role"])
        if r["material"] and r["material"] not in g["materials"]:
            g["materials"].append(r["material"])
        g["used"] = g["used"] or r["used"]
    return list(grouped.values())
