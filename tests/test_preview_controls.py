"""The preview's state machine (no window): clock, steps, camera, key map, overlay."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from holopack.device import list_profiles, load_profile
from holopack.preview.controls import CameraState, Controls
from holopack.preview.overlay import FanGeometry, fan_geometry


def make(playing=True) -> Controls:
    c = Controls(animations=[("walk", 2.0), ("jump", 0.5)], devices=["a", "b", "c"], fps=30.0)
    c.set_animations(c.animations)
    c.playing = playing
    return c


def test_clock_loops_and_stops():
    c = make()
    c.advance(2.5)
    assert c.time == pytest.approx(0.5) and c.playing
    c.loop = False
    c.advance(10)
    assert c.time == 2.0 and not c.playing
    assert c.frame_index == 59  # the last frame of a 60-frame loop, not frame 0 again
    c.toggle_play()  # playing again after the end starts over
    assert c.playing and c.time == 0.0


def test_paused_clock_does_not_move():
    c = make(playing=False)
    c.advance(1.0)
    assert c.time == 0.0


def test_frame_steps_follow_the_device_rate():
    c = make()
    c.step(1)
    assert not c.playing and c.frame_index == 1 and c.time == pytest.approx(1 / 30)
    c.step(-5)
    assert c.time == 0.0
    c.fps = 25.0
    c.step(3)
    assert c.time == pytest.approx(3 / 25)


def test_animation_and_device_keys():
    c = make()
    c.time = 1.0
    assert c.on_char("n") and c.animation == 1 and c.time == 0.0
    assert c.on_char("n") and c.animation == 0
    assert c.on_char("N") and c.animation == 1
    assert c.on_char("1") and c.animation == 0
    assert c.on_char("9") and c.animation == 0  # no 9th clip: unchanged
    assert c.on_char("d") and c.device == "b"
    assert c.on_char("D") and c.on_char("D") and c.device == "c"
    assert not c.on_char("x")


def test_reload_keeps_the_clip_and_clamps_time():
    c = make()
    c.select_animation(1)
    c.time = 0.4
    c.set_animations([("walk", 2.0), ("jump", 0.3)])
    assert c.animation == 1 and c.time == pytest.approx(0.3)
    c.set_animations([("only", 1.0)])
    assert c.animation == 0
    c.set_animations([])
    assert c.animation is None and c.duration == 0.0


def test_orbit_pan_zoom_limits():
    c = make()
    c.orbit(100, 0)
    assert c.camera.yaw == pytest.approx(360 - 40)
    c.orbit(0, 10_000)
    assert c.camera.pitch == 89.0
    for _ in range(200):
        c.zoom(1)
    assert c.camera.zoom == pytest.approx(0.05)
    c.reset_camera()
    c.pan(100, 0, panel_px=200)
    assert c.camera.pan == (pytest.approx(-1.0), 0.0)  # half a panel = one fitted radius
    c.on_char("r")
    assert c.camera == CameraState()


def test_brightness_is_bounded():
    c = make()
    for _ in range(50):
        c.on_char("+")
    assert c.brightness == 4.0
    for _ in range(50):
        c.on_char("-")
    assert c.brightness == pytest.approx(1 / 16)


def test_speed_keys_scale_the_clock_and_step_back_exactly():
    c = make()
    assert c.on_char("[") and c.speed == 0.5
    c.advance(1.0)  # a wall-clock second at half speed is half a clip second
    assert c.time == pytest.approx(0.5)
    assert c.on_char("]") and c.on_char("]") and c.speed == 2.0
    c.advance(1.0)  # 2.5 s on a 2 s loop
    assert c.time == pytest.approx(0.5)
    for _ in range(20):
        c.on_char("]")
    assert c.speed == 4.0
    for _ in range(20):
        c.on_char("[")
    assert c.speed == 1 / 8
    for _ in range(3):
        c.on_char("]")
    assert c.speed == 1.0  # halving and doubling come back to 1 exactly
    c.on_char("[")
    c.step(1)  # a frame step is a device frame whatever the speed
    assert c.time == pytest.approx(16 / 30)  # from frame 15 (0.5 s) to 16


def test_requests_are_snapshots():
    c = make()
    r1 = c.request()
    c.orbit(10, 0)
    r2 = c.request()
    assert r1 != r2 and r1.camera.yaw == 0.0


@pytest.mark.parametrize("name", list_profiles())
def test_overlay_geometry_matches_the_profile(name):
    profile = load_profile(name)
    g = fan_geometry(profile)
    if profile.kind != "polar":
        assert g == FanGeometry()
        return
    assert g.leds == profile.leds_per_blade and g.slices == profile.slices
    assert 0.0 <= g.hub <= g.inner < 1.0
    # the LED rings, laid from the inner edge at the profile's pitch, end at the rim
    assert g.pitch == pytest.approx(profile.led_pitch_mm / profile.radius_mm)
    # each LED centre of the first blade lies half a pitch inside a drawn ring
    centres, _ = profile.column_geometry()
    first = centres[: profile.leds_per_blade] / profile.radius_mm
    offset = ((first - g.inner) / g.pitch - 0.5) % 1.0
    assert np.minimum(offset, 1.0 - offset).max() < 1e-9
    assert (first < 1.0).all() and (first > g.hub).all()
    step = g.spoke_step(400)
    assert step >= 1 and math.pi * 400 / (g.slices / step) >= 8.0
    rings = g.ring_step(400)
    assert rings >= 1 and g.pitch * rings * 200 >= 8.0 and (rings == 1 or g.pitch * rings * 100 < 8.0)


def test_scripts_are_checked(tmp_path):
    from holopack.errors import InputError
    from holopack.preview.window import load_script

    events = [{"frame": 3, "key": "d"}, {"frame": 5, "drag": [1, 2, 3, 4]}]
    path = tmp_path / "events.json"
    path.write_text(json.dumps(events))
    assert load_script(str(path)) == events
    assert load_script(json.dumps(events)) == events
    assert load_script(None) == []
    path.write_text("[{")
    with pytest.raises(InputError, match="events.json: the script is not JSON"):
        load_script(str(path))
    with pytest.raises(InputError, match="JSON list of event objects"):
        load_script('{"frame": 1}')
