#version 330 core
// A flat colour (timeline, play head, label backgrounds), blended by its alpha.
in vec2 v_uv;
uniform vec4 u_color;
out vec4 frag_color;

void main() {
    frag_color = u_color;
}
