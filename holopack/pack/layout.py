"""Names in a package's layout that more than one module reads: the manifest beside each
device folder's files, and the format string it carries."""

from __future__ import annotations

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "holopack-package/1"
