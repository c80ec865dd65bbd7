#version 330 core
// The fan's geometry drawn over a square panel: the rim, the hub, the ring of every
// LED and a spoke every u_spoke_step slices. Lines are drawn procedurally in
// polar coordinates so they stay one pixel wide at any window size.
in vec2 v_uv;

uniform float u_panel_px;      // panel side in pixels
uniform float u_hub;           // hub radius as a fraction of the rim radius
uniform float u_leds;          // LED rings per blade (0: none drawn)
uniform float u_ring_step;     // draw one ring every this many LEDs
uniform float u_inner;         // inner edge of the innermost LED cell (fraction of the rim)
uniform float u_pitch;         // LED pitch (fraction of the rim)
uniform float u_slices;        // slices per revolution
uniform float u_spoke_step;    // draw one spoke every this many slices
uniform float u_slice0;        // angle of slice 0, radians, counter-clockwise from 3 o'clock
uniform vec4 u_rim_color;
uniform vec4 u_grid_color;

out vec4 frag_color;

const float PI = 3.14159265358979;

// Coverage of a line at distance d (in pixels) from the pixel centre, about 1 px wide.
float line(float d) {
    return clamp(1.0 - abs(d), 0.0, 1.0);
}

void main() {
    vec2 p = (v_uv - 0.5) * 2.0;
    p.y = -p.y;                           // y up, as angles are counted
    float r = length(p);
    float px = 2.0 / u_panel_px;          // one pixel in these units
    // the rim is drawn just inside the disc, so it is whole at the panel's edge
    float rim = line((r - (1.0 - 0.5 * px)) / px);
    if (u_hub > 0.0) {
        rim = max(rim, line((r - u_hub) / px));
    }
    float grid = 0.0;
    if (r <= 1.0 + px && r >= u_hub - px) {
        if (u_leds > 0.0 && u_pitch > 0.0) {
            float pitch = u_pitch * u_ring_step;
            float k = (r - u_inner) / pitch;
            if (k >= -0.5 && k <= u_leds / u_ring_step + 0.5) {
                grid = max(grid, line((k - floor(k + 0.5)) * pitch / px));
            }
        }
        if (u_slices > 0.0 && u_spoke_step > 0.0) {
            float a = atan(p.y, p.x) - u_slice0;
            float step = 2.0 * PI * u_spoke_step / u_slices;
            float s = a / step;
            // distance to the nearest spoke, measured along the arc; near the centre,
            // where spokes would merge into a solid blot, they are left out
            if (step * r / px >= 4.0) {
                grid = max(grid, line((s - floor(s + 0.5)) * step * r / px));
            }
        }
    }
    float grid_a = u_grid_color.a * grid;
    float rim_a = u_rim_color.a * rim;
    float a = rim_a + grid_a * (1.0 - rim_a);
    vec3 rgb = a > 0.0 ? (u_rim_color.rgb * rim_a + u_grid_color.rgb * grid_a * (1.0 - rim_a)) / a
                       : vec3(0.0);
    frag_color = vec4(rgb, a);
}
