#version 330
in vec3 v_normal;
in vec4 v_color;
out vec4 color;

void main() {
    vec3 n = normalize(v_normal);
    float key = max(dot(n, normalize(vec3(0.4, 0.6, 0.7))), 0.0);
    color = vec4(v_color.rgb * (0.15 + 0.85 * key), 1.0);
}
