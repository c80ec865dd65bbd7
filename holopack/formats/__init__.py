"""Output (and input) file formats, each behind one registry: see registry.py."""
from .registry import Format, format_for_path, get_format, list_formats, register_format

__all__ = ["Format", "format_for_path", "get_format", "list_formats", "register_format"]
