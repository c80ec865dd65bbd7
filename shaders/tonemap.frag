// Functions, not a shader of its own: tone mapping as rendering/tonemap_kernel.py does
// it, for the shaders compiled with
// TONE_MAPPING (gl.Program's libraries put this after their #version line): exposure
// first, then Khronos PBR Neutral or Hill's ACES fit (input / 0.6); a non-finite value
// becomes black.
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

vec3 tone_map(vec3 c) {
    c *= u_exposure;
    if (any(isinf(c)) || any(isnan(c))) return vec3(0.0);
    if (u_tone == 1) return neutral(c);
    if (u_tone == 2) return aces(c);
    return c;
}
