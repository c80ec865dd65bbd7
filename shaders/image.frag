#version 330 core
// A rendered picture, already sRGB-encoded: shown as is. A picture drawn into the
// lower-left corner of a larger texture (the live render's) says which share of it
// it fills (u_uv_scale); samples stay half a texel inside that share.
in vec2 v_uv;
uniform sampler2D u_image;
uniform vec2 u_uv_scale = vec2(1.0);
out vec4 frag_color;

void main() {
    vec2 half_texel = 0.5 / vec2(textureSize(u_image, 0));
    vec2 uv = clamp(v_uv * u_uv_scale, half_texel, u_uv_scale - half_texel);
    frag_color = vec4(texture(u_image, uv).rgb, 1.0);
}
