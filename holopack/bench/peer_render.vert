#version 330
// The render peer: the same posed world-space vertices and camera as holopack's
// rasterizer, with plain Lambert shading (no textures), to time OpenGL on the CPU.
uniform mat4 view;
uniform mat4 projection;
in vec3 in_position;
in vec3 in_normal;
in vec4 in_color;
out vec3 v_normal;
out vec4 v_color;

void main() {
    vec4 eye = view * vec4(in_position, 1.0);
    v_normal = mat3(view) * in_normal;
    v_color = in_color;
    gl_Position = projection * eye;
}
