"""Party and room names: URL-safe, bounded, checked before anything is created.

Rooms are keyed by the *decoded* path segment; only characters that never need
percent-encoding are allowed (RFC 3986 unreserved), so a name means the same in
a URL, in the storage key and in a log line. ``.`` and ``..`` are refused,
which closes path traversal whatever a backend does with names.
"""

from __future__ import annotations

import re
import unicodedata

from ..errors import InvalidName

__all__ = ["MAX_DISPLAY_NAME", "MAX_ID_LENGTH", "MAX_LABEL_LENGTH", "MAX_NAME_LENGTH", "check_connection_id",
           "check_name", "client_label", "shown_text"]

MAX_NAME_LENGTH = 128
_NAME = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,%d}" % (MAX_NAME_LENGTH - 1))

#: Longest connection id (``_pk``).
MAX_ID_LENGTH = 128
#: A ``_pk`` is echoed in every presence frame and written to logs: the same
#: unreserved characters as names (partysocket's UUIDs are among them), so it
#: can neither break a log line nor need escaping anywhere.
_CONNECTION_ID = re.compile(r"[A-Za-z0-9._~-]{1,%d}" % MAX_ID_LENGTH)


def check_name(kind: str, name: str) -> str:
    """Return ``name`` if it is a valid party/room name, else raise :class:`InvalidName`.

    The message quotes at most 40 characters of the bad name, escaped by
    ``repr``: a refused request must not be able to flood the log or forge
    log lines with control characters.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidName(
            f"expected a {kind} name of 1 to {MAX_NAME_LENGTH} characters from "
            f"A-Z a-z 0-9 . _ ~ - (not starting with '.'), got {_shown(name)}")
    return name


def check_connection_id(id: str) -> str:
    """Return ``id`` if it is a valid connection id (``_pk``), else raise :class:`InvalidName`."""
    if not isinstance(id, str) or not _CONNECTION_ID.fullmatch(id):
        raise InvalidName(
            f"expected a connection id (_pk) of 1 to {MAX_ID_LENGTH} characters from "
            f"A-Z a-z 0-9 . _ ~ -, got {_shown(id)}")
    return id


#: Longest bot label (``connect(name=...)``), in characters, after cleaning.
MAX_LABEL_LENGTH = 40
#: Longest display name (a JWT ``name`` claim, a guest's ``name=``), after cleaning.
MAX_DISPLAY_NAME = 40


def shown_text(text: object, limit: int) -> str:
    """``text`` cleaned to show to others as one line of at most ``limit`` characters.

    Every name a person sees (a bot label, a JWT ``name``, a guest's
    ``name=``, a board page name) passes here, so none can mislead more than
    another: control and format characters (bidi overrides that would
    reorder the line, zero-width characters that make two names look alike),
    line and paragraph separators are removed; whitespace runs become one
    space. Not a string: "". Front ends show it as text only.
    """
    if not isinstance(text, str):
        return ""
    kept = "".join(" " if ch.isspace() else ch for ch in text
                   if ch.isspace() or not unicodedata.category(ch).startswith(("C", "Z")))
    return " ".join(kept.split())[:limit].strip()


def client_label(text: str | None) -> str | None:
    """The bot label a verified client asked for (its ``name`` query), cleaned; or None.

    A label is shown *after* the verified name ("root · calc-bot"), never
    instead of it, so it cannot make one user read as another; cleaned by
    :func:`shown_text` to at most :data:`MAX_LABEL_LENGTH` characters.
    """
    return shown_text(text, MAX_LABEL_LENGTH) or None


def _shown(value: object) -> str:
    """At most 40 characters of a refused value, escaped (``repr``) for messages and logs."""
    if isinstance(value, str) and len(value) > 40:
        return repr(value[:40]) + "..."
    return repr(value)
