"""Output (and input) file formats, one module each, collected by holopack.format_registry
(docs/formats.md: adding a format)."""

from ..format_registry import Format, format_for_path, get_format, list_formats, register_format

__all__ = ["Format", "format_for_path", "get_format", "list_formats", "register_format"]
