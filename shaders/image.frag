#version 330 core
// A rendered picture, already sRGB-encoded: shown as is.
in vec2 v_uv;
uniform sampler2D u_image;
out vec4 frag_color;

void main() {
    frag_color = vec4(texture(u_image, v_uv).rgb, 1.0);
}
