"""A chat's history as a Markdown transcript: ``chat.to_markdown()``.

One section per message, ``**name** · time`` then its content: text as it was
written (it is Markdown already), other JSON in a code block, and a kernel's
rich output by its most portable form (an image as a ``data:`` URL, so the
transcript stands alone; a table by its Markdown or text); then its reactions,
each emoji with its count and who reacted. js/transcript.ts mirrors this layout.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

__all__ = ["display_name", "to_markdown"]

#: Image types a transcript embeds, in the order the widget prefers them.
IMAGES = ("image/png", "image/jpeg", "image/gif")


def display_name(user: Mapping[str, Any] | None) -> str:
    """The name the widget shows for ``user`` (js/room.ts ``displayName``)."""
    user = user or {}
    name = user.get("display_name") or user.get("name") or user.get("username") or "someone"
    if user.get("label"):  # a bot's label follows the verified name (docs/protocol.md)
        return f"{name} · {user['label']}"
    return f"{name} (kernel)" if user.get("kernel") else str(name)


def _fenced(text: str, info: str = "") -> str:
    fence = "```"
    while fence in text:  # a fence longer than any run of backticks inside
        fence += "`"
    return f"{fence}{info}\n{text}\n{fence}"


def _body(message: Mapping[str, Any]) -> str:
    mime = message.get("mime") or {}
    alt = (str(mime.get("text/plain", "")).splitlines() or ["image"])[0].replace("]", ")")
    for kind in IMAGES:
        if isinstance(mime.get(kind), str):
            return f"![{alt}](data:{kind};base64,{mime[kind]})"
    if isinstance(mime.get("text/markdown"), str):
        return mime["text/markdown"]
    content = message.get("content")
    if isinstance(content, str):
        return content
    return _fenced(json.dumps(content, ensure_ascii=False, indent=1), "json")


def _reactions(message: Mapping[str, Any]) -> str:
    """A paragraph ``Reactions: 👍 2 (ada, bob) · 🎉 1 (cy)`` after the content, or ""."""
    chips = [f"{emoji} {len(names)} ({', '.join(map(str, names))})"
             for emoji, names in (message.get("reactions") or {}).items() if names]
    return f"\n\nReactions: {' · '.join(chips)}" if chips else ""


def to_markdown(messages: Iterable[Mapping[str, Any]], title: str | None = None) -> str:
    """The transcript of ``messages`` (oldest first), with an optional ``# title``."""
    parts = [f"# {title}"] if title else []
    for message in messages:
        when = datetime.fromtimestamp(message.get("timestamp", 0) / 1000, timezone.utc)
        parts.append(f"**{display_name(message.get('user'))}** · "
                     f"{when:%Y-%m-%d %H:%M} UTC\n\n{_body(message)}{_reactions(message)}")
    return "\n\n---\n\n".join(parts) + "\n"
