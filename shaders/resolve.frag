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

// The variant compiled with TONE_MAPPING; without it ("none" at exposure 1) the
// picture is the clamped linear light, and no pixel pays for the tone curves.
#ifdef TONE_MAPPING
uniform int u_tone;              // 0 none, 1 neutral, 2 aces
uniform float u_exposure;

const float NEUTRAL_START = 0.8 - 0.04;
const float NEUTRAL_DESATURATION = 0.15;

vec3 neutral(vec3 c) {
    float x = min(c.r, min(c.g, c.b));
    float offset = x < 0.08 ? x - 6.25 * x * x : 0.04;
    c -= offset;
    float peak = max(c.r, max(c.g, c.b));
    if (peak < NEUTRAL_START) return c;
    float d = 1.0 - NEUTRAL_START;
    float new_peak = 1.0 - d * d / (peak + d - NEUTRAL_START);
    c *= new_peak / peak;
    float k = 1.0 - 1.0 / (NEUTRAL_DESATURATION * (peak - new_peak) + 1.0);
    return c + (new_peak - c) * k;
}

vec3 rrt_odt(vec3 v) {
    return (v * (v + 0.0245786) - 0.000090537) / (v * (0.983729 * v + 0.4329510) + 0.238081);
}

vec3 aces(vec3 c) {
    c /= 0.6;
    // GLSL's mat3 takes columns: these are the fit's rows transposed
    vec3 a = rrt_odt(mat3(0.59719, 0.07600, 0.02840, 0.35458, 0.90834, 0.13383, 0.04823, 0.01566, 0.83777) * c);
    return mat3(1.60475, -0.10208, -0.00327, -0.53108, 1.10813, -0.07276, -0.07367, -0.00605, 1.07602) * a;
}
#endif

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
    if (linear.a > 0.0) {
        c *= u_exposure;
        if (any(isinf(c)) || any(isnan(c))) c = vec3(0.0);
        if (u_tone == 1) c = neutral(c);
        else if (u_tone == 2) c = aces(c);
    }
#endif
    frag_color = vec4(encode(c.r), encode(c.g), encode(c.b), 1.0);
}
