#version 330 core
// The live render's supersampled linear picture to one pixel per output pixel: the box
// average of u_factor x u_factor samples in linear light, as the Numba renderer resolves
// (rendering/raster.py, shade_visible); then, for the panel, tone-mapped where the
// picture has coverage (rendering/tonemap_kernel.py: exposure, then Khronos PBR Neutral
// or ACES), clamped, sRGB-encoded and stored top row first (as pictures uploaded from
// numpy are, so the window's image shader and a plain read-back both see row 0 = top);
// or kept as linear light in GL's own row order (u_encode false: RenderedPicture.linear,
// before tone mapping: what the fan's resampler averages).
// The samples fill the lower-left corner of u_linear.
uniform sampler2D u_linear;      // linear RGBA, premultiplied, drawn into its lower-left corner
uniform int u_factor;
uniform int u_height;            // the output picture's height in pixels
uniform bool u_encode;
out vec4 frag_color;

float encode(float v) {
    v = clamp(v, 0.0, 1.0);
    return v <= 0.0031308 ? 12.92 * v : 1.055 * pow(v, 1.0 / 2.4) - 0.055;
}

// The variant compiled with TONE_MAPPING takes shaders/tonemap.frag's tone_map; without
// it ("none" at exposure 1) the picture is the clamped linear light, and no pixel pays
// for the tone curves.

void main() {
    ivec2 pixel = ivec2(gl_FragCoord.xy);
    ivec2 origin = ivec2(pixel.x, u_encode ? u_height - 1 - pixel.y : pixel.y) * u_factor;
    vec4 sum = vec4(0.0);
    for (int y = 0; y < u_factor; ++y) {
        for (int x = 0; x < u_factor; ++x) {
            sum += texelFetch(u_linear, origin + ivec2(x, y), 0);
        }
    }
    vec4 linear = sum / float(u_factor * u_factor);
    if (!u_encode) {
        frag_color = linear;  // with its coverage, as the samples hold it
        return;
    }
    vec3 c = linear.rgb;
#ifdef TONE_MAPPING
    if (linear.a > 0.0) c = tone_map(c);
#endif
    frag_color = vec4(encode(c.r), encode(c.g), encode(c.b), 1.0);
}
