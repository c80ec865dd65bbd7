"""The columns of the material table the kernels read (shading.material_table): one
float64 row per material. Module-level integers are compile-time constants to Numba.
Both the lit model (shading.py) and the PBR model (pbr_kernel.py) read the table, so its
columns are named here, where both can import them."""

from __future__ import annotations

# base colour factor RGBA, emissive factor RGB (times its strength), alpha cutoff,
# metallic and roughness factors
M_BASE, M_EMISSIVE, M_CUTOFF, M_METALLIC, M_ROUGHNESS = 0, 4, 7, 8, 9
# pool indices of the base colour and emissive textures (-1 = none), their UV sets
# (informational: the renderer picks each texture's set, and applies its transform,
# when it fills the vertex table's UV columns), the alpha mode, double-sidedness and
# KHR_materials_unlit
M_BASE_TEX, M_BASE_SET, M_EM_TEX, M_EM_SET, M_ALPHA, M_DOUBLE, M_UNLIT = 10, 11, 12, 13, 14, 15, 16
# per-material specular constants of the lit model, worked out once per frame instead
# of per fragment
M_SHININESS, M_SPEC_NORM, M_SPEC_FLOOR = 17, 18, 19
# the PBR maps: a texture column holds the pool index of a texture decoded as linear
# data, -1 = none; M_MAPS is 1 when the material samples any of them
M_MR_TEX, M_NORMAL_TEX, M_NORMAL_SCALE, M_OCC_TEX, M_OCC_STRENGTH, M_MAPS = 20, 21, 22, 23, 24, 25
# the PBR maps packed texel by texel into one texture sampled once (pbr_kernel.py): its pool
# index (-1 = not packed), its layers (2: normal, metallic-roughness; 3: base colour
# first), and 1 where the occlusion is the metallic-roughness layer's R
M_PACK_TEX, M_PACK_LAYERS, M_PACK_OCC = 26, 27, 28
# KHR_materials_transmission's factor (0: the surface hides what lies behind it) and the
# tint that KHR_materials_volume gives the light passing through (RGB, 1 = none): a
# material with a transmission above 0 is drawn in the translucent pass
M_TRANSMISSION, M_TINT = 29, 30
# 1 where an unlit fragment of the material is its base colour factor alone: no base
# colour texture and no vertex colours on any primitive drawn with it (the Renderer sets
# it, as it alone knows the primitives). Such a fragment needs no weights and no vertex
# rows: the shading pass writes the factor, and its codes once per run of its pixels
# (BrainStem unlit at 1024^2, 59 such materials: one thread's shading pass 6.58 -> 3.60
# ms, benchmarks/profile_render.py --cpu).
M_FLAT = 33
# 1 where no primitive drawn with the material carries vertex colours other than 1 (the
# Renderer sets it): its base colour is the factor (times a texture) without the three
# vertices' colour rows. 0, the default of a table the Renderer did not fill, interpolates.
M_PLAIN = 34
M_COLUMNS = 35
