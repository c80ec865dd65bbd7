#version 330 core
// A rendered picture, already sRGB-encoded: shown as is. A picture drawn into the
// lower-left corner of a larger texture (the live render's) says which share of it
// it fills (u_uv_scale); samples stay half a texel inside that share. u_flip: the
// picture is stored bottom row first, as GL draws (the live render's direct draws).
in vec2 v_uv;
uniform sampler2D u_image;
uniform vec2 u_uv_scale = vec2(1.0);
uniform bool u_flip = false;
out vec4 frag_color;

void main() {
    vec2 half_texel = 0.5 / vec2(textureSize(u_image, 0));
    vec2 corner = u_flip ? vec2(v_uv.x, 1.0 - v_uv.y) : v_uv;
    vec2 uv = clamp(corner * u_uv_scale, half_texel, u_uv_scale - half_texel);
    frag_color = vec4(texture(u_image, uv).rgb, 1.0);
}
