#version 330 core
// One screen rectangle per draw: a unit quad stretched to u_rect, so every panel,
// bar and label shares a single vertex array.
layout(location = 0) in vec2 a_corner;   // (0,0) .. (1,1)

uniform vec4 u_rect;                     // x0, y0, x1, y1 in normalised device coordinates

out vec2 v_uv;                           // (0,0) = top-left of the picture

void main() {
    vec2 ndc = mix(u_rect.xy, u_rect.zw, a_corner);
    // Pictures are uploaded with row 0 = top, which GL stores at t = 0: flip t.
    v_uv = vec2(a_corner.x, 1.0 - a_corner.y);
    gl_Position = vec4(ndc, 0.0, 1.0);
}
