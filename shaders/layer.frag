#version 330 core
// A picture with its own alpha that was drawn by GL into a texture (the cached fan
// overlay). GL stores such a texture bottom row first, so t is flipped back.
in vec2 v_uv;
uniform sampler2D u_layer;
out vec4 frag_color;

void main() {
    frag_color = texture(u_layer, vec2(v_uv.x, 1.0 - v_uv.y));
}
