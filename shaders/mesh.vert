#version 330 core
// The live render's vertices: world-space positions, normals and tangents of the posed
// scene (streamed every frame), texture coordinates and vertex colours (uploaded once).
// The same view-space quantities the Numba renderer interpolates (rendering/shading.py,
// and for shading="pbr" the maps' UVs and tangents of rendering/pbr_setup.py).
layout(location = 0) in vec3 a_position;   // world space
layout(location = 1) in vec3 a_normal;     // world space, unit
layout(location = 2) in vec2 a_base_uv;    // base colour UVs (set and transform applied)
layout(location = 3) in vec2 a_emissive_uv;
layout(location = 4) in vec4 a_color;      // linear RGBA vertex colour
layout(location = 5) in vec4 a_tangent;    // world space xyz, bitangent sign w; 0: none
layout(location = 6) in vec2 a_mr_uv;      // metallic-roughness map UVs
layout(location = 7) in vec2 a_normal_uv;  // normal map UVs
layout(location = 8) in vec2 a_occ_uv;     // occlusion map UVs

uniform mat4 u_view;
uniform mat4 u_projection;
uniform mat3 u_normal_matrix;              // inverse transpose of the view's 3x3

out vec3 v_view_pos;
out vec3 v_normal;
out vec2 v_base_uv;
out vec2 v_emissive_uv;
out vec4 v_color;
out vec4 v_tangent;                        // view space: the view's 3x3 keeps it in the surface
out vec2 v_mr_uv;
out vec2 v_normal_uv;
out vec2 v_occ_uv;

void main() {
    vec4 view_pos = u_view * vec4(a_position, 1.0);
    v_view_pos = view_pos.xyz;
    v_normal = u_normal_matrix * a_normal;
    v_base_uv = a_base_uv;
    v_emissive_uv = a_emissive_uv;
    v_color = a_color;
    v_tangent = vec4(mat3(u_view) * a_tangent.xyz, a_tangent.w);
    v_mr_uv = a_mr_uv;
    v_normal_uv = a_normal_uv;
    v_occ_uv = a_occ_uv;
    gl_Position = u_projection * view_pos;
}
