"""Party and room names: URL-safe, bounded, checked before anything is created.

Rooms are keyed by the *decoded* path segment; only characters that never need
percent-encoding are allowed (RFC 3986 unreserved), so a name means the same in
a URL, in the storage key and in a log line. ``.`` and ``..`` are refused,
which closes path traversal whatever a backend does with names.
"""

from __future__ import annotations

import re

from ..errors import InvalidName

__all__ = ["MAX_NAME_LENGTH", "check_name"]

MAX_NAME_LENGTH = 128
_NAME = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,%d}" % (MAX_NAME_LENGTH - 1))


def check_name(kind: str, name: str) -> str:
    """Return ``name`` if it is a valid party/room name, else raise :class:`InvalidName`.

    The message quotes at most 40 characters of the bad name, so rejected
    requests cannot flood the log (CVE-2026-54338's lesson).
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        shown = name[:40] + ("..." if len(name) > 40 else "") if isinstance(name, str) else name
        raise InvalidName(
            f"expected a {kind} name of 1 to {MAX_NAME_LENGTH} characters from "
            f"A-Z a-z 0-9 . _ ~ - (not starting with '.'), got {shown!r}")
    return name
