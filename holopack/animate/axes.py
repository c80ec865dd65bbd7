"""The axes --front and --up name, apart from the orientation logic, so that the option
table (holopack.options, which every command imports) loads without numpy's posing code
and Numba: a cold export starts its second compile process only once the command line
is parsed."""

from __future__ import annotations

# axis name -> unit vector in the model's coordinates
AXES = {
    "+x": (1.0, 0.0, 0.0),
    "-x": (-1.0, 0.0, 0.0),
    "+y": (0.0, 1.0, 0.0),
    "-y": (0.0, -1.0, 0.0),
    "+z": (0.0, 0.0, 1.0),
    "-z": (0.0, 0.0, -1.0),
}
FRONT_CHOICES = ("auto", "+z", "-z", "+x", "-x", "+y", "-y")
UP_CHOICES = ("auto", "+y", "+z", "+x", "-y", "-z", "-x")
