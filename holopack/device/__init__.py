"""Fan devices: profiles, polar resampling, dithering and viewer simulation."""
from .profile import Blade, DeviceProfile, list_profiles, load_profile, parse_profile

__all__ = ["Blade", "DeviceProfile", "list_profiles", "load_profile", "parse_profile"]
