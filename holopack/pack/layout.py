"""Names in a package's layout that more than one module reads: the manifest beside each
device folder's files, the format string it carries, and the folders and README beside it."""

from __future__ import annotations

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "holopack-package/1"
FILES = "files"
PREVIEWS = "previews"
README = "README.txt"
