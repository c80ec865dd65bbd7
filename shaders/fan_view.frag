#version 330 core
// What a viewer sees of the spinning fan, per pixel: the viewer simulation of
// holopack/device/simulate_kernel.py (simulate), one sample per pixel. An LED lights a
// point within half its size of the LED's centre radius; it shows each slice's value
// while it sweeps that slice, and its own width (u_half either side, as an angle at that
// radius) blurs the sweep: the point sees the mean of the column's values over that
// angular window, taken from prefix sums over the slices. Blades add, each weighted
// 1 / blades. Output: sRGB, row 0 = top stored first (as pictures uploaded from numpy).
const float PI = 3.14159265358979;
const int MAX_BLADES = 8;

uniform sampler2D u_cum;          // (slices + 1) rows x columns: prefix sums of the LEDs' linear RGB
uniform int u_size;               // output side in pixels
uniform float u_radius;           // mm, the lit disc
uniform float u_hub;
uniform float u_pitch;
uniform float u_half;             // half the LED size, mm
uniform int u_leds;               // LEDs per blade
uniform int u_blades;             // blades simulated, per-blade data only
uniform float u_blade_radial[MAX_BLADES];  // radial offsets, in pitches
uniform float u_blade_angle[MAX_BLADES];   // radians, per-blade data only
uniform float u_theta0;           // start angle of slice 0
uniform float u_step;             // signed slice angle
out vec4 frag_color;

// The profile's layout as constants of the program (FanDrawer defines them), not
// uniforms: Mesa's software rasteriser runs a loop bounded by a uniform and both sides
// of a branch on one for every pixel. With the blade count, the data layout and the
// LED order folded, the 42-F2's view took 0.70 of the CPU (512 px: 18.8 against 26.7
// ms), pixel for pixel the same picture.
#ifdef SHARED_DATA
// one column set shows on every blade: one blade, at the first blade's radii, stands for all
#define BLADES 1
const bool PER_BLADE = false;
#else
#define BLADES u_blades
const bool PER_BLADE = true;
#endif
#ifdef LED0_OUTER
const bool OUTER_FIRST = true;    // column 0 is the outermost LED
#else
const bool OUTER_FIRST = false;
#endif

// integral of a column's slice values from slice position 0 to x (any real x)
vec3 ring(int col, float x, int slices, vec3 total) {
    float turns = floor(x / float(slices));
    float y = x - turns * float(slices);
    int s = min(int(y), slices - 1);
    float frac = y - float(s);
    vec3 a = texelFetch(u_cum, ivec2(col, s), 0).rgb;
    vec3 b = texelFetch(u_cum, ivec2(col, s + 1), 0).rgb;
    return turns * total + a + frac * (b - a);
}

float encode(float v) {
    v = clamp(v, 0.0, 1.0);
    return v <= 0.0031308 ? 12.92 * v : 1.055 * pow(v, 1.0 / 2.4) - 0.055;
}

void main() {
    int slices = textureSize(u_cum, 0).y - 1;
    ivec2 pixel = ivec2(gl_FragCoord.xy);  // x: column j, y: row i from the top
    float scale = u_radius / (float(u_size) / 2.0);
    float x = (float(pixel.x) + 0.5 - float(u_size) / 2.0) * scale;
    float y = (float(pixel.y) + 0.5 - float(u_size) / 2.0) * scale;
    float r = sqrt(x * x + y * y);
    vec3 acc = vec3(0.0);
    if (r >= u_hub && r <= u_radius) {
        float theta = atan(y, x);
        float half_angle = r > u_half / PI ? u_half / r : PI;
        float hu = half_angle / abs(u_step);
        for (int bl = 0; bl < BLADES; ++bl) {
            float base = u_hub + (0.5 + u_blade_radial[bl]) * u_pitch;
            int k_lo = max(int(ceil((r - u_half - base) / u_pitch)), 0);
            int k_hi = min(int(floor((r + u_half - base) / u_pitch)), u_leds - 1);
            float off = PER_BLADE ? u_blade_angle[bl] : 0.0;
            int first = PER_BLADE ? bl * u_leds : 0;
            float u = (theta - u_theta0 - off) / u_step;
            for (int k = k_lo; k <= k_hi; ++k) {
                int col = first + (OUTER_FIRST ? u_leds - 1 - k : k);
                vec3 total = texelFetch(u_cum, ivec2(col, slices), 0).rgb;
                if (2.0 * hu >= float(slices)) {
                    acc += total / float(slices);
                } else {
                    acc += (ring(col, u + hu, slices, total) - ring(col, u - hu, slices, total)) / (2.0 * hu);
                }
            }
        }
        acc /= float(BLADES);
    }
    frag_color = vec4(encode(acc.r), encode(acc.g), encode(acc.b), 1.0);
}
