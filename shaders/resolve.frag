#version 330 core
// The live render's supersampled linear picture to one sRGB-encoded pixel per output
// pixel: the box average of u_factor x u_factor samples in linear light, clamped and
// encoded, as the Numba renderer resolves (rendering/raster.py, shade_visible). The
// result is stored top row first (as pictures uploaded from numpy are), so the window's
// image shader and a plain read-back both see row 0 = top.
uniform sampler2D u_linear;      // (size * factor)^2 linear RGBA, premultiplied
uniform int u_factor;
out vec4 frag_color;

float encode(float v) {
    v = clamp(v, 0.0, 1.0);
    return v <= 0.0031308 ? 12.92 * v : 1.055 * pow(v, 1.0 / 2.4) - 0.055;
}

void main() {
    ivec2 size = textureSize(u_linear, 0) / u_factor;
    ivec2 pixel = ivec2(gl_FragCoord.xy);
    ivec2 origin = ivec2(pixel.x, size.y - 1 - pixel.y) * u_factor;
    vec3 sum = vec3(0.0);
    for (int y = 0; y < u_factor; ++y) {
        for (int x = 0; x < u_factor; ++x) {
            sum += texelFetch(u_linear, origin + ivec2(x, y), 0).rgb;
        }
    }
    vec3 linear = sum / float(u_factor * u_factor);
    frag_color = vec4(encode(linear.r), encode(linear.g), encode(linear.b), 1.0);
}
