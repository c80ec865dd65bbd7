"""Opening a USD file under the containment rule, and reading the assets it names.

pxr follows every sublayer, reference and payload a layer names, wherever it points
(``@/etc/passwd@``, ``@../../../other.usda@``, a FIFO that never ends). So before the
stage is composed each layer is opened on its own (``Sdf.Layer``, which reads that
file alone) and the layers it names are checked first: inside a .usdz they must be
entries of the same package, beside a .usda/.usdc they must stay in its folder
(holopack.containment, ``--allow-outside-files`` lifts the folder rule). Textures go
through the same check: a package's entry by name (read with zipfile, never a path out
of it), a loose file's by holopack.containment.read_reference.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import os
import posixpath
import re
import zipfile
from collections.abc import Iterator

from ...containment import (
    is_contained_reference,
    open_regular,
    outside_files_allowed,
    read_reference,
    resolve_reference,
    shorten,
)
from ...errors import InputError
from ...limits import MAX_NODES, MemoryBudget
from . import crate

# layers one stage may hold (sublayers, references and payloads together): a production
# shot has a few hundred; each is opened and parsed before the stage
MAX_LAYERS = 2000
# how deep prims (and a text layer's brackets) may nest: pxr recurses in C++ over them,
# and a thread's 8 MB stack ran out (SIGSEGV) parsing a 1.2 MB .usda of prims 99,999
# deep and listing the layers one 20,000 deep names; glTF's nodes have the same limit
MAX_DEPTH = 4096
# "/path/to/model.usdz[inner/path.png]": how Ar names an entry of a package
_PACKAGED = re.compile(r"^(?P<package>.*?\.usdz)\[(?P<entry>.*)\]$", re.IGNORECASE)
_ZIP_MAGIC = b"PK\x03\x04"


def is_package(path: str) -> bool:
    return path.lower().endswith(".usdz")


def check_package(path: str) -> list[str]:
    """The entry names of a .usdz, after checking it is a zip whose entries are stored
    (USDZ forbids compression: pxr maps them from the file) and name no absolute or
    ``..`` path. InputError otherwise."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path) from None
    if head != _ZIP_MAGIC:
        raise InputError("not a USDZ package (a .usdz is a zip archive; this file is not one)", path)
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"not a readable USDZ package ({exc}); the file may be cut short", path) from None
    names = []
    for info in infos:
        name = info.filename
        if _escapes(name):
            raise InputError(f"the package's entry '{shorten(name)}' names a path outside it", path)
        if info.compress_type != zipfile.ZIP_STORED:
            raise InputError(
                f"the package's entry '{shorten(name)}' is compressed; USDZ stores its files "
                "uncompressed (re-export the package)",
                path,
            )
        names.append(name)
    if not names or not names[0].lower().endswith((".usd", ".usda", ".usdc")):
        raise InputError("not a USDZ package: its first entry is not a USD layer", path)
    return names


def _escapes(reference: str) -> bool:
    """True for an absolute path or one that climbs out of its folder (``..``)."""
    text = reference.replace("\\", "/")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        return True
    return ".." in posixpath.normpath(text).split("/")


def package_entry(path: str, entry_folder: str, reference: str, what: str) -> str:
    """The package entry that ``reference``, named by a layer in the package's folder
    ``entry_folder``, stands for; InputError when it leaves the package."""
    joined = posixpath.normpath(posixpath.join(entry_folder, reference.replace("\\", "/")))
    if _escapes(reference.lstrip("./") if reference.startswith("./") else reference) or _escapes(joined):
        raise InputError(
            f"{what} '{shorten(reference)}' names a path outside the package; holopack reads "
            "only the files inside a .usdz",
            path,
        )
    return joined


def check_layers(path: str, budget: MemoryBudget | None = None) -> list[str]:
    """Open the root layer and every layer it names, depth first, checking each named
    layer against the containment rule before it is opened (module docstring), and its
    size, nesting and the prims its arcs compose (``_check_layer_source``,
    ``_check_prim_count``, ``_check_composed_size``) before pxr reads or composes it.
    Returns the layers named in a format this pxr has no reader for (a MaterialX
    ``.mtlx`` beside the geometry, an Alembic cache): pxr composes the stage without
    them, as it would with a missing file, and the caller says so."""
    from pxr import Sdf

    budget = budget or MemoryBudget(path)
    packaged = is_package(path)
    entries = set(check_package(path)) if packaged else set()
    seen: set[str] = set()
    layers: dict[str, object] = {}
    targets: dict[tuple[str, str], str] = {}  # (layer, asset path as authored) -> layer
    holders: dict = {}  # prim path -> the layers with a spec there
    unread: list[str] = []
    todo = [(os.path.abspath(path), "")]
    while todo:
        identifier, entry = todo.pop()
        if identifier in seen:
            continue
        seen.add(identifier)
        if len(seen) > MAX_LAYERS:
            raise InputError(f"the stage names more than {MAX_LAYERS:,} layers", path)
        _check_layer_source(path, identifier, entry, budget)
        layer = Sdf.Layer.FindOrOpen(identifier)
        if layer is None:
            raise InputError(f"layer '{shorten(entry or identifier)}' cannot be read", path)
        for prim_path in _check_prim_count(layer, path, entry):
            holders.setdefault(prim_path, set()).add(identifier)
        layers[identifier] = layer
        if layer.HasTimeCodesPerSecond() and not (
            math.isfinite(layer.timeCodesPerSecond) and layer.timeCodesPerSecond
        ):
            # pxr scales a sublayer's times by the ratio of the two rates: with 0 it asked
            # for time samples without end (usd-wg's timeCodesPerSecond_0.usda hung)
            where = f"layer '{shorten(entry)}'" if entry else "the stage"
            raise InputError(
                f"{where} gives timeCodesPerSecond {layer.timeCodesPerSecond:g}, not a rate", path
            )
        for reference in layer.GetCompositionAssetDependencies():
            if not reference:
                continue
            what = "layer"
            if packaged:
                folder = posixpath.dirname(entry) if entry else ""
                name = package_entry(path, folder, reference, what)
                if name not in entries:
                    raise InputError(f"{what} '{shorten(reference)}' is not in the package", path)
                next_layer = (f"{os.path.abspath(path)}[{name}]", name)
            else:
                target = resolve_reference(reference, identifier, what)
                next_layer = (os.path.abspath(target), target)
            # contained, but in no format pxr reads: left out (opening it raised), and
            # composing nothing
            if Sdf.FileFormat.FindByExtension(posixpath.splitext(reference)[1].lstrip(".")) is None:
                if reference not in unread:
                    unread.append(reference)
                continue
            targets[identifier, reference] = next_layer[0]
            todo.append(next_layer)
    _check_composed_size(layers, targets, holders, os.path.abspath(path), path)
    return unread


def _check_composed_size(
    layers: dict, targets: dict[tuple[str, str], str], holders: dict, root: str, path: str
) -> None:
    """Refuse a stage whose arcs would compose more than twice MAX_NODES prims, before
    pxr composes them: 80 specs in 8 levels of 10 prims, each referencing the level
    below, compose 10^8 prims (pxr aborted after 40 s at 3 GB; 10^6 of them took 20 s and
    2.1 GB, 10^5 1.5 s and 280 MB). Each prim spec's descendants are estimated from the
    specs alone: its children (1 each, and theirs), what its references, payloads,
    inherits and specializes bring, the same prim in the layer's sublayers, and the
    largest variant of each variant set. A prim authored in two layers is counted in
    both, so the estimate is an upper bound held to twice the limit; the exact count
    after composing (UsdReader._count_prims) holds the limit itself. An arc back into a
    prim being counted (a cycle, which pxr drops) adds nothing. ``holders``: prim path ->
    the layers with a spec there, so that a prim looks in its layer's sublayers that hold
    it, not in every sublayer (20,000 prims and 200 empty sublayers: 34 s that way)."""
    from pxr import Sdf

    ceiling = 2 * MAX_NODES
    sublayers = {
        layer_id: {targets[layer_id, s] for s in layer.subLayerPaths if (layer_id, s) in targets}
        for layer_id, layer in layers.items()
    }

    memo: dict[tuple, int] = {}
    deep: dict[tuple, int] = {}  # levels of prims below, as composed
    found: dict[tuple, tuple] = {}
    open_keys: set[tuple] = set()  # expanded, not yet summed: the keys above on the walk
    first = (root, Sdf.Path.absoluteRootPath)
    stack: list[tuple[tuple, bool]] = [(first, False)]
    while stack:
        key, summed = stack.pop()
        if key in memo:
            continue
        if not summed:
            if key in open_keys:
                continue
            open_keys.add(key)
            found[key] = children, adds, variants = _prim_parts(layers, sublayers, holders, targets, key)
            stack.append((key, True))
            for k in (*children, *adds, *(k for keys in variants for k in keys)):
                if k not in memo and k not in open_keys:
                    stack.append((k, False))
            continue
        children, adds, variants = found.pop(key)
        total = sum(1 + memo.get(k, 0) for k in children) + sum(memo.get(k, 0) for k in adds)
        total += sum(max((memo.get(k, 0) for k in keys), default=0) for keys in variants)
        memo[key] = total
        deep[key] = max(
            (
                *(1 + deep.get(k, 0) for k in children),
                *(deep.get(k, 0) for k in adds),
                *(deep.get(k, 0) for keys in variants for k in keys),
            ),
            default=0,
        )
        open_keys.discard(key)
        if deep[key] > MAX_DEPTH:
            raise InputError(
                f"the stage's references nest its prims more than {MAX_DEPTH:,} deep once composed",
                path,
            )
        if total > ceiling:
            raise InputError(
                f"the stage's references and instances would compose more than {MAX_NODES:,} "
                f"prims (about {total:,} counted before composing), more than holopack draws",
                path,
            )


def _prim_parts(
    layers: dict, sublayers: dict, holders: dict, targets: dict, key: tuple
) -> tuple[list, list, list[list]]:
    """(children, other keys added as they are, variant sets' keys) of a prim key
    (layer identifier, Sdf.Path) for ``_check_composed_size``."""
    from pxr import Sdf

    layer_id, prim_path = key
    below = sublayers.get(layer_id, set())
    adds = [(s, prim_path) for s in holders.get(prim_path, ()) if s in below]
    spec = layers[layer_id].GetPrimAtPath(prim_path)
    if not spec:
        return [], adds, []
    children = [(layer_id, child.path) for child in spec.nameChildren]
    arcs = list(spec.referenceList.GetAddedOrExplicitItems())
    arcs += spec.payloadList.GetAddedOrExplicitItems()
    for arc in arcs:
        target = layer_id if not arc.assetPath else targets.get((layer_id, arc.assetPath))
        if target is None or target not in layers:
            continue
        arc_path = arc.primPath
        if arc_path.isEmpty:
            default = layers[target].defaultPrim
            if not default:
                continue
            arc_path = Sdf.Path.absoluteRootPath.AppendChild(default)
        adds.append((target, arc_path))
    for inherited in (
        *spec.inheritPathList.GetAddedOrExplicitItems(),
        *spec.specializesList.GetAddedOrExplicitItems(),
    ):
        adds.append((layer_id, inherited))
    variants = [
        [(layer_id, v.primSpec.path) for v in variant_set.variants.values()]
        for variant_set in spec.variantSets.values()
    ]
    return children, adds, variants


# pxr's text parser holds every number of an array as a value of its own before the
# array is made: a 29 MB .usda of 10^7 face counts ("3, " each) peaked at 1.8 GB (174
# bytes a number), 20 MB of 10^6 points at 537 MB (154 a number), 10 MB of 300,000 empty
# prims at 197 MB (12 bytes a byte of text). A 300 MB .usda of 10^8 counts went past
# 1 GB before pxr gave up (bad_alloc).
_TEXT_BYTES_PER_BYTE = 12
_TEXT_BYTES_PER_NUMBER = 180
_TEXT_MAGIC = b"#usda"


def _check_layer_source(path: str, identifier: str, entry: str, budget: MemoryBudget) -> None:
    """Refuse a layer, before pxr reads it, whose reading would pass the memory budget
    (a text layer's parse: ``text_layer_cost``; a crate's arrays as pxr unpacks them:
    holopack.scene.usd.crate; both peaks, what is kept is spent as it is read) or whose
    text nests more than MAX_DEPTH deep (``text_layer_depth``)."""
    where = f"layer '{shorten(entry)}'" if entry else "the stage"
    cost = text_layer_cost(path, identifier, entry)
    if cost:
        budget.peak(cost, f"{where} (USD text, which pxr parses whole)")
        depth = text_layer_depth(path, identifier, entry)
        if depth > MAX_DEPTH:
            raise InputError(
                f"{where} nests its prims or values {depth:,} deep, more than the {MAX_DEPTH:,} "
                "holopack reads",
                path,
            )
        return
    source = _layer_source(path, identifier, entry)
    if source is None:
        return
    f, base, size = source
    with f:
        try:
            arrays = crate.array_bytes(f, size, base, limit=budget.total)
        except crate.CrateError as exc:
            raise InputError(f"unreadable USD: {where} is a damaged crate ({exc})", path) from None
    budget.peak(arrays, f"{where}'s arrays (as pxr unpacks them)")


def _layer_source(path: str, identifier: str, entry: str):
    """(an open binary file, where the layer starts in it, its size) of a loose layer or a
    package's entry (stored, so its bytes lie in the .usdz as they are); None when it
    cannot be opened (pxr says why)."""
    try:
        if is_package(path):
            with zipfile.ZipFile(path) as z:
                info = z.getinfo(entry) if entry else z.infolist()[0]
            f = open_regular(path, "model")
            f.seek(info.header_offset)
            local = f.read(30)  # the local header: names and extra fields of its own lengths
            if len(local) < 30 or local[:4] != _ZIP_MAGIC:
                f.close()
                return None
            name_length, extra_length = (
                int.from_bytes(local[26:28], "little"),
                int.from_bytes(local[28:30], "little"),
            )
            return f, info.header_offset + 30 + name_length + extra_length, info.file_size
        if not os.path.isfile(identifier):
            return None
        return open_regular(identifier, "layer"), 0, os.path.getsize(identifier)
    except (zipfile.BadZipFile, KeyError, IndexError, OSError, InputError):
        return None


def text_layer_cost(path: str, identifier: str, entry: str) -> int:
    """The memory pxr's parse of a text (.usda) layer takes, estimated from its bytes and
    its commas (one per array element but the last) before it is parsed; 0 for a crate
    or a layer that cannot be opened (pxr says why). ``identifier`` is the loose file,
    or the package's entry ``entry`` when ``path`` is a .usdz."""
    with _layer_at_start(path, identifier, entry) as layer:
        return 0 if layer is None else _text_cost(*layer)


@contextlib.contextmanager
def _layer_at_start(path: str, identifier: str, entry: str) -> Iterator:
    """(an open binary file at the layer's first byte, the layer's size), closed after;
    None when it cannot be opened (``_layer_source``)."""
    source = _layer_source(path, identifier, entry)
    if source is None:
        yield None
        return
    f, base, size = source
    with f:
        f.seek(base)
        yield f, size


# what pxr's text parser skips or reads whole (strings, asset paths, prim paths, whose
# braces are not nesting; comments), and the brackets that nest. A string or comment
# that never ends (or ends in a lone backslash) runs to the end of its line or of the
# text (pxr stops there too), and a path stops at the next "<", so every token matches
# where it starts and each byte is scanned a bounded number of times: 5 MB of "/* ", of
# "<" or of '"\' take 0.1-0.4 s (a scan that retried every opener to a closer that never
# comes ran for hours). Possessive repeats (*+) keep no state to backtrack to: 5 MB of
# one string took 440 MB of the regex engine's stack without, 20 MB with.
_TEXT_TOKENS = re.compile(
    rb'"""(?:[^"\\]|\\.?|"(?!""))*+(?:"""|\Z)|\'\'\'(?:[^\'\\]|\\.?|\'(?!\'\'))*+(?:\'\'\'|\Z)'
    rb'|"(?:[^"\\\n]|\\.?)*+(?:"|$)|\'(?:[^\'\\\n]|\\.?)*+(?:\'|$)'
    rb"|@@@(?:[^@]|@(?!@@))*+(?:@@@|\Z)|@[^@\n]*@|<[^<>\n]*>|#[^\n]*|//[^\n]*"
    rb"|/\*(?:[^*]|\*(?!/))*+(?:\*/|\Z)|[{}()\[\]]",
    re.S | re.M,
)


def text_layer_depth(path: str, identifier: str, entry: str) -> int:
    """How deep a text layer's brackets ({ ( [) nest, outside strings, asset paths, prim
    paths and comments: the depth of pxr's recursion when it parses the layer. Read after
    ``text_layer_cost`` held the layer to the budget: 0.9 s for 10^6 points."""
    with _layer_at_start(path, identifier, entry) as layer:
        if layer is None:
            return 0
        f, size = layer
        text = f.read(size)
    depth = deepest = 0
    for match in _TEXT_TOKENS.finditer(text):
        token = match.group()
        if token in (b"{", b"(", b"["):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"}", b")", b"]"):
            depth -= 1
    return deepest


def _text_cost(f, size: int) -> int:
    left = size
    block = f.read(min(left, 1 << 20))
    if not block.startswith(_TEXT_MAGIC):
        return 0
    commas = 0
    while block:  # 1 MB at a time: 0.1 s for 300 MB
        left -= len(block)
        commas += block.count(b",")
        block = f.read(min(left, 1 << 20))
    return (size - left) * _TEXT_BYTES_PER_BYTE + commas * _TEXT_BYTES_PER_NUMBER


def _check_prim_count(layer, path: str, entry: str) -> set:
    """Refuse a layer of more than MAX_NODES prims before the stage is composed: `holopack
    inspect` of a .usda of 10^6 empty prims (36 MB) took 12.4 s and 1.3 GB to compose it
    and refuse it after; counted here, layer by layer, 3.4 s and 566 MB (most of it pxr's
    parse of the layer). Each prim's children are counted with len() before any is
    visited, so at most MAX_NODES specs are. Returns the paths of the layer's prims."""
    from pxr import Sdf

    paths = {Sdf.Path.absoluteRootPath}
    where = f"layer '{shorten(entry)}'" if entry else "the stage"
    todo = [(prim, 1) for prim in layer.rootPrims]
    count = len(todo)
    while todo and count <= MAX_NODES:
        prim, depth = todo.pop()
        paths.add(prim.path)
        children = prim.nameChildren
        count += len(children)
        if children and depth >= MAX_DEPTH:  # a crate's (a text layer's was held before)
            raise InputError(f"{where} nests its prims more than {MAX_DEPTH:,} deep", path)
        if count <= MAX_NODES:
            todo.extend((child, depth + 1) for child in children)
    if count > MAX_NODES:
        raise InputError(f"{where} holds more than {MAX_NODES:,} prims, more than holopack draws", path)
    return paths


def read_asset(
    path: str, layer_identifier: str, authored: str, resolved: str, what: str, limit: int
) -> bytes:
    """The bytes of an asset (a texture's ``inputs:file``) as ``authored`` in the layer
    ``layer_identifier``, under the containment rule; ``resolved`` is pxr's resolved
    path (used only to find the entry of a package)."""
    if is_package(path):
        folder = ""
        match = _PACKAGED.match(layer_identifier)
        if match:
            folder = posixpath.dirname(match.group("entry"))
        name = package_entry(path, folder, authored, what)
        try:
            with zipfile.ZipFile(path) as z:
                try:
                    info = z.getinfo(name)
                except KeyError:
                    raise InputError(f"{what} '{shorten(authored)}' is not in the package", path) from None
                if info.file_size > limit:
                    raise InputError(f"{what} '{shorten(authored)}' is larger than the memory budget", path)
                return z.read(info)
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputError(f"{what} '{shorten(authored)}' cannot be read ({exc})", path) from None
    folder_file = layer_identifier if os.path.isfile(layer_identifier) else path
    if not outside_files_allowed() and os.path.isabs(authored) and resolved:
        authored = resolved  # read_reference refuses it, naming the path
    return read_reference(authored, folder_file, what, limit=limit)


def dependencies(path: str) -> list[str]:
    """The files a loose stage (.usda/.usdc/.usd) pulls in: the layers it names and the
    files its asset-valued attributes name (textures), each through the containment rule
    (a refused or missing one is left out: the loader reports it), layers before assets.
    A .usdz holds its own (nothing else is read); without pxr nothing can be listed."""
    if is_package(path) or not os.path.isfile(path) or importlib.util.find_spec("pxr") is None:
        return []
    from pxr import Sdf, Tf

    out: list[str] = []
    seen: set[str] = set()
    todo = [os.path.abspath(path)]
    budget = MemoryBudget(path)
    while todo and len(seen) < MAX_LAYERS:
        layer_path = todo.pop()
        if layer_path in seen:
            continue
        seen.add(layer_path)
        try:
            # the loader's checks before pxr reads a layer and recurses over it: `pack`
            # lists a playlist item's files first (a .usda of prims 50,000 deep: SIGSEGV)
            _check_layer_source(path, layer_path, "", budget)
            layer = Sdf.Layer.FindOrOpen(layer_path)
            if layer is not None:
                _check_prim_count(layer, path, "")
        except (Tf.ErrorException, InputError):
            layer = None
        if layer is None:
            continue
        for reference in layer.GetCompositionAssetDependencies():
            target = is_contained_reference(reference, layer_path) if reference else None
            if target is not None and os.path.abspath(target) not in seen:
                out.append(os.path.abspath(target))
                todo.append(os.path.abspath(target))
        for asset in _asset_values(layer):
            target = is_contained_reference(asset, layer_path)
            if target is not None:
                out.append(os.path.abspath(target))
    return list(dict.fromkeys(out))


def _asset_values(layer) -> list[str]:
    """The asset paths authored as default values of a layer's asset attributes."""
    from pxr import Sdf

    found: list[str] = []
    kinds = (Sdf.ValueTypeNames.Asset, Sdf.ValueTypeNames.AssetArray)

    def visit(spec_path) -> None:
        if not spec_path.IsPropertyPath():
            return
        spec = layer.GetAttributeAtPath(spec_path)
        if not spec or spec.typeName not in kinds or not spec.HasDefaultValue():
            return
        value = spec.default
        for asset in value if isinstance(value, (list, tuple)) or spec.typeName == kinds[1] else [value]:
            text = getattr(asset, "path", "")
            if text:
                found.append(text)

    layer.Traverse(Sdf.Path.absoluteRootPath, visit)
    return found
