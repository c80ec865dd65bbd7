"""Fan devices: profiles, polar resampling, dithering and viewer simulation.

Per frame the pipeline calls ``PolarEncoder(profile, render_size).encode(picture, i)``
(linear picture -> device codes) and, for previews, ``ViewerSimulator(profile,
size).render(codes)`` (codes -> what a viewer sees). Fan files themselves (writing,
reading, ``open_fan_file``) belong to holopack.formats.
"""

from .encode import PolarEncoder, decode_codes
from .profile import Blade, DeviceProfile, list_profiles, load_profile, parse_profile
from .resample_kernel import Resampler, weight_table
from .simulate import ViewerSimulator, linear_to_srgb8

__all__ = [
    "Blade",
    "DeviceProfile",
    "PolarEncoder",
    "Resampler",
    "ViewerSimulator",
    "decode_codes",
    "linear_to_srgb8",
    "list_profiles",
    "load_profile",
    "parse_profile",
    "weight_table",
]
