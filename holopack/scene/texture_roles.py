"""Every texture a glTF material names, with its role and whether holopack draws with it.

A fan shows colour and light, so holopack draws base colour (or the older diffuse) and
emissive textures; ``--shading pbr`` also draws the metallic-roughness and normal maps
("pbr": True); occlusion scales the image-based light of an environment only (the
library's ``environment=``), and the extensions' textures are not drawn; inspect says so
rather than leave them out.
"""

from __future__ import annotations

import posixpath
import urllib.parse

# role, where in the material (path of keys), whether holopack uses it
_CORE_ROLES = (
    ("baseColor", ("pbrMetallicRoughness", "baseColorTexture"), True),
    ("metallicRoughness", ("pbrMetallicRoughness", "metallicRoughnessTexture"), False),
    ("normal", ("normalTexture",), False),
    ("occlusion", ("occlusionTexture",), False),
    ("emissive", ("emissiveTexture",), True),
    ("diffuse", ("extensions", "KHR_materials_pbrSpecularGlossiness", "diffuseTexture"), True),
    (
        "specularGlossiness",
        ("extensions", "KHR_materials_pbrSpecularGlossiness", "specularGlossinessTexture"),
        False,
    ),
)


# roles that shading="pbr" draws besides the ones every shading draws
PBR_ROLES = ("metallicRoughness", "normal")


def texture_roles(gltf: dict) -> list[dict]:
    """[{"texture": glTF texture index, "name", "material", "role", "used", "pbr"}]
    ("used": by every shading; "pbr": by shading="pbr") for every
    texture reference of every material (one entry per reference), in material order.
    Textures no material names are listed with role "unreferenced"."""
    out: list[dict] = []
    textures = _list(gltf, "textures")
    images = _list(gltf, "images")
    materials = _list(gltf, "materials")
    named = set()
    for m_index, material in enumerate(materials):
        if not isinstance(material, dict):
            continue
        m_name = str(material.get("name", "") or f"material {m_index}")
        for role, path, used in _CORE_ROLES:
            info = _dig(material, path)
            if isinstance(info, dict) and isinstance(info.get("index"), int):
                if role == "diffuse" and "pbrMetallicRoughness" in material:
                    used = False  # the metallic-roughness base colour wins
                out.append(_entry(info["index"], textures, images, m_name, role, used))
                named.add(info["index"])
        for ext_name, ext in (material.get("extensions") or {}).items():
            if ext_name == "KHR_materials_pbrSpecularGlossiness" or not isinstance(ext, dict):
                continue
            for key, info in ext.items():
                if isinstance(info, dict) and isinstance(info.get("index"), int):
                    out.append(_entry(info["index"], textures, images, m_name, f"{ext_name}.{key}", False))
                    named.add(info["index"])
    for index in range(len(textures)):
        if index not in named:
            out.append(_entry(index, textures, images, "", "unreferenced", False))
    return out


def _list(gltf: dict, key: str) -> list:
    """gltf[key] when it is a list, else an empty list (a malformed or absent array)."""
    value = gltf.get(key)
    return value if isinstance(value, list) else []


def _dig(obj, path):
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _entry(index: int, textures: list, images: list, material: str, role: str, used: bool) -> dict:
    name = ""
    if 0 <= index < len(textures) and isinstance(textures[index], dict):
        spec = textures[index]
        source = spec.get("source")
        for ext in (spec.get("extensions") or {}).values():
            if isinstance(ext, dict) and isinstance(ext.get("source"), int):
                source = ext["source"] if source is None else source
        if isinstance(source, int) and 0 <= source < len(images) and isinstance(images[source], dict):
            image = images[source]
            uri = str(image.get("uri") or "")
            name = str(
                image.get("name")
                or ("" if uri.startswith("data:") else posixpath.basename(urllib.parse.unquote(uri)))
            )
        name = name or str(spec.get("name") or "")
    return {
        "texture": int(index),
        "name": name or f"#{index}",
        "material": material,
        "role": role,
        "used": bool(used),
        "pbr": bool(used) or role in PBR_ROLES,
    }
