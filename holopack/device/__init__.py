"""Fan devices: profiles, polar resampling, dithering, fan files and viewer simulation.

Per frame the pipeline calls ``PolarEncoder(profile, render_size).encode(picture, i)``
(linear picture -> device codes) and, for previews, ``ViewerSimulator(profile,
size).render(codes)`` (codes -> what a viewer sees). ``decode_file(path)`` opens any
fan file and yields simulated pictures.
"""
from .encode import PolarEncoder, decode_codes
from .polarfile import PolarFile
from .profile import Blade, DeviceProfile, list_profiles, load_profile, parse_profile
from .resample import Resampler, weight_table
from .simulate import ViewerSimulator, linear_to_srgb8

__all__ = ["Blade", "DeviceProfile", "PolarEncoder", "PolarFile", "Resampler", "ViewerSimulator",
           "decode_codes", "decode_file", "linear_to_srgb8", "list_profiles", "load_profile",
           "open_fan_file", "parse_profile", "weight_table"]


def open_fan_file(path, profile=None) -> PolarFile:
    """Open a 42-F2 .BIN, legacy .bin or polar stream; the format comes from the
    profile when given (a name, path or DeviceProfile), else from the file itself
    (each polar format in the registry has a ``sniff(head, size, path)``)."""
    import importlib
    import os

    from ..errors import InputError
    from ..formats import get_format, list_formats

    from ..containment import check_regular

    check_regular(path, "fan file")    # a device file or a FIFO would never end
    if profile is not None and not isinstance(profile, DeviceProfile):
        profile = load_profile(profile)
    if profile is not None:
        fmt = get_format(profile.format)
        if fmt.kind != "polar":
            raise InputError(f"profile {profile.name!r} writes {profile.format} video, not a fan file")
        return fmt.reader_function()(path, profile)
    path = os.fspath(path)
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as e:
        raise InputError(f"cannot read ({e.strerror})", path) from None
    # the self-describing stream first: its magic is certain, the others go by size
    polar = sorted((f for f in list_formats() if f.kind == "polar"),
                   key=lambda f: f.name != "polarstream")
    for fmt in polar:
        module = importlib.import_module(fmt.writer.split(":")[0])
        if module.sniff(head, size, path):
            return fmt.reader_function()(path)
    raise InputError("not a fan file holopack knows (42-F2 .BIN, legacy .bin or polar stream); "
                     "name the device with --device to read it as one", path)


def decode_file(path, profile=None, size: int = 512):
    """(profile, iterator of uint8 (size, size, 3) sRGB pictures a viewer would see)."""
    polar = open_fan_file(path, profile)
    simulator = ViewerSimulator(polar.profile, size)
    return polar.profile, (simulator.render(codes).copy() for codes in polar.frames())
