#version 330 core
// Text rasterised on the CPU into a one-channel coverage texture.
in vec2 v_uv;
uniform sampler2D u_glyphs;
uniform vec4 u_color;
out vec4 frag_color;

void main() {
    float coverage = texture(u_glyphs, v_uv).r;
    frag_color = vec4(u_color.rgb, u_color.a * coverage);
}
