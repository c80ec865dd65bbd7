"""glTF skins and animations (samplers and channels)."""

from __future__ import annotations

import dataclasses

import numpy as np

from ..scene import Scene
from ..types import Animation, Channel, Skin
from .geometry import GeometryReader

_ANIMATED_PATHS = ("translation", "rotation", "scale", "weights")
_PATH_WIDTH = {"translation": 3, "rotation": 4, "scale": 3}


class AnimationReader(GeometryReader):
    # -- skins -----------------------------------------------------------------------
    def _read_skins(self, node_count: int) -> list[Skin]:
        skins = []
        for i, spec in enumerate(self._list(self.gltf, "skins", "the file")):
            where = f"skin {i}"
            joints = self._list(spec, "joints", where)
            if not joints:
                self.fail(f"{where} has no joints")
            joints = [self._index_item(j, node_count, f"{where} lists joint", "node") for j in joints]
            if len(set(joints)) != len(joints):
                self.warn(f"{where} lists a joint node twice")
            count = len(joints)
            ibm_index = self._ref(spec, "inverseBindMatrices", where, "accessors")
            if ibm_index is None:
                inverse_bind = np.tile(np.eye(4), (count, 1, 1))
            else:
                ibm = self.accessor(ibm_index, f"inverse bind matrices of {where}")
                if ibm.ndim != 3 or ibm.shape[1:] != (4, 4):
                    self.fail(f"{where}: inverse bind matrices must be MAT4")
                if len(ibm) < count:
                    self.fail(f"{where}: {len(ibm)} inverse bind matrices for {count} joints")
                if len(ibm) > count:
                    self.warn(f"{where}: more inverse bind matrices than joints")
                inverse_bind = ibm[:count].astype(np.float64)
                if not np.all(np.isfinite(inverse_bind)):
                    self.fail(f"{where}: an inverse bind matrix contains NaN or Inf")
            skeleton = self._ref(spec, "skeleton", where, "nodes")
            skins.append(
                Skin(
                    joints=np.array(joints, np.int64),
                    inverse_bind=inverse_bind,
                    skeleton=skeleton,
                    name=str(spec.get("name", "")),
                )
            )
        return skins

    # -- animations ------------------------------------------------------------------
    def _read_animations(self, scene: Scene) -> list[Animation]:
        animations = []
        for a, spec in enumerate(self._list(self.gltf, "animations", "the file")):
            where = f"animation {a}"
            name = str(spec.get("name", "") or f"animation {a}")
            samplers = self._list(spec, "samplers", where)
            channels: list[Channel] = []
            seen_targets = set()
            for c, cspec in enumerate(self._list(spec, "channels", where)):
                cwhere = f"{where} channel {c}"
                cspec = self._dict(cspec, cwhere)
                sampler_index = self._int(cspec, "sampler", cwhere)
                if sampler_index is None:
                    self.fail(f"{cwhere} has no sampler")
                if not 0 <= sampler_index < len(samplers):
                    self.fail(f"{cwhere} refers to sampler {sampler_index}, which does not exist")
                target = self._dict(cspec.get("target"), f"{cwhere} target")
                path = target.get("path")
                if path not in _ANIMATED_PATHS:
                    self.warn(f"{cwhere}: animated property {path!r} is not supported; ignored")
                    continue
                node_index = self._ref(target, "node", f"{cwhere} target", "nodes")
                if node_index is None:
                    self.warn(f"{cwhere} has no target node; ignored")
                    continue
                if (node_index, path) in seen_targets:
                    self.warn(f"{where} animates {path} of node {node_index} twice; the last channel wins")
                seen_targets.add((node_index, path))
                node = scene.nodes[node_index]
                instances = self._instanced.get(node_index, []) if path == "weights" else []
                if instances:  # the mesh moved to the instances' nodes (EXT_mesh_gpu_instancing)
                    node = scene.nodes[instances[0]]
                if path == "weights":
                    width = self._morph_count(scene, node)
                    if width == 0:
                        self.warn(
                            f"{cwhere} animates morph weights of node {node_index}, "
                            "which has no morph targets; ignored"
                        )
                        continue
                else:
                    width = _PATH_WIDTH[path]
                    if node.matrix is not None:
                        self.warn(
                            f"{cwhere} animates node {node_index}, which is given by a "
                            "matrix; its decomposed TRS is animated"
                        )
                channel = self._read_sampler(
                    samplers[sampler_index], f"{where} sampler {sampler_index}", node_index, path, width
                )
                if instances:
                    channels.extend(dataclasses.replace(channel, node=k) for k in instances)
                else:
                    channels.append(channel)
            # the last channel for a target wins, as in three.js
            unique = {}
            for ch in channels:
                unique[(ch.node, ch.path)] = ch
            channels = list(unique.values())
            if not channels:
                self.warn(f"{where} ({name}) animates nothing")
            animations.append(Animation(name=name, channels=channels))
        return animations

    def _read_sampler(self, spec, where, node_index, path, width) -> Channel:
        spec = self._dict(spec, where)
        interpolation = spec.get("interpolation", "LINEAR")
        if interpolation not in ("LINEAR", "STEP", "CUBICSPLINE"):
            self.fail(f"{where}: unknown interpolation {interpolation!r}")
        input_ref = self._ref(spec, "input", where, "accessors", required=True)
        output_ref = self._ref(spec, "output", where, "accessors", required=True)
        times = self.accessor(input_ref, f"key times of {where}")
        if times.ndim != 2 or times.shape[1] != 1 or times.dtype != np.float32:
            self.fail(f"{where}: key times must be FLOAT scalars")
        times = np.ascontiguousarray(times.reshape(-1), np.float32)
        if len(times) == 0:
            self.fail(f"{where} has no keys")
        if not np.all(np.isfinite(times)):
            self.fail(f"{where}: a key time is NaN or infinite")
        if len(times) > 1 and np.any(np.diff(times) <= 0):
            bad = int(np.argmax(np.diff(times) <= 0)) + 1
            self.fail(
                f"{where}: key times do not increase (key {bad} at {float(times[bad]):g}s "
                f"follows {float(times[bad - 1]):g}s)"
            )
        if times[0] < 0:
            self.warn(f"{where}: negative key times")
        values = self.accessor(output_ref, f"key values of {where}")
        if values.ndim != 2 or values.dtype.kind != "f":
            self.fail(f"{where}: key values must be floats or normalized integers")
        if path == "weights":
            if values.shape[1] != 1:
                self.fail(f"{where}: morph weights must be scalars")
            flat = values.reshape(-1)
        else:
            if values.shape[1] != width:
                self.fail(f"{where}: {path} keys must have {width} components")
            flat = values.reshape(-1)
        per_key = width * (3 if interpolation == "CUBICSPLINE" else 1)
        if len(flat) != len(times) * per_key:
            self.fail(
                f"{where}: {len(times)} key times but {len(flat) // width} "
                f"{path} values (expected {len(times) * per_key // width})"
            )
        if not np.all(np.isfinite(flat)):
            self.fail(f"{where}: a key value is NaN or infinite")
        if interpolation == "CUBICSPLINE":
            out: np.ndarray = flat.reshape(len(times), 3, width)
        else:
            out = flat.reshape(len(times), width)
        return Channel(
            node=node_index,
            path=path,
            interpolation=interpolation,
            times=times,
            values=np.ascontiguousarray(out, np.float32),
        )
