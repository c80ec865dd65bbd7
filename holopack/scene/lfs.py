"""Git LFS pointers in place of a model's files.

A repository that keeps its models in Git LFS (the Khronos glTF test-model repositories
among them) checks out each .glb, .bin and picture as a ~130-byte text stub when
git-lfs is not installed or the files were never pulled:

    version https://git-lfs.github.com/spec/v1
    oid sha256:e646...
    size 456

Read as data, such a stub gave a fault far from its cause: "buffer 0 is shorter (128
bytes) than its byteLength (456)", "index 25907 is beyond the vertex count 3" (the stub's
text taken as indices, where the byteLength was small enough), "not a GLB file", or a
picture "not a picture holopack can decode". The stub is told by its first line and
named as what it is.
"""

from __future__ import annotations

import re

_FIRST_LINE = b"version https://git-lfs.github.com/spec/"
# a pointer is at most a few hundred bytes (spec: version, oid, size, and sorted extra keys)
_POINTER_MAX = 1024
# how much of a file to hand pointer_message: enough to tell a pointer from a longer file
HEAD_BYTES = _POINTER_MAX + 1
_SIZE = re.compile(rb"^size (\d{1,20})$", re.MULTILINE)


def pointer_message(head: bytes) -> str | None:
    """What to say of a file whose first bytes are ``head`` (its first HEAD_BYTES, or the
    whole file) when it is a Git LFS pointer; None when it is not one."""
    if not head.startswith(_FIRST_LINE) or len(head) > _POINTER_MAX:
        return None
    size = _SIZE.search(head)
    real = f" (the real file has {int(size.group(1)):,} bytes)" if size else ""
    return f"is a Git LFS pointer (a text stub), not the data{real}; fetch it with 'git lfs pull' where it came from"
