"""Documents stored by the first ``yjs`` layout (before per-writer keys): read them to migrate.

That layout (partywidget before per-writer keys) kept, under the room's keys:

* ``yjs:u:<seq>:<n>:<i>``: chunk ``i`` of ``n`` of update ``seq``;
* ``yjs:s:<gen>:<i>``: chunk ``i`` of snapshot generation ``gen``;
* ``yjs:snapshot``: ``{"gen", "chunks", "upto"}``, naming the current snapshot.

Its keys have one field fewer than today's (no writer), so both layouts can
share the prefixes and one listing reads them together. :func:`fold` finds
what that layout's loader would have applied; :class:`~.yjs_store.DocumentStore`
rewrites it in today's layout, then deletes these keys (rule: nothing a user
stored is lost by an upgrade).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

__all__ = ["META_KEY", "Legacy", "fold", "is_legacy"]

log = logging.getLogger("partywidget")

META_KEY = "yjs:snapshot"


def is_legacy(key: str, prefix: str) -> bool:
    """Whether ``key`` (under ``prefix``) has the old layout's fields, not today's four."""
    return key[len(prefix):].count(":") < 3


@dataclass
class Legacy:
    """What the old layout holds: ``snapshot`` and ``updates`` to apply, ``stale`` keys to drop."""

    snapshot: bytes | None = None
    updates: list[bytes] = field(default_factory=list)
    #: Keys whose contents are in ``snapshot``/``updates`` or that carry nothing
    #: (stale snapshot generations, updates a crash cut short: never relayed).
    stale: list[str] = field(default_factory=list)
    #: Whether ``META_KEY`` may go: false while the snapshot it names is incomplete.
    drop_meta: bool = False


def fold(meta: Any, snapshots: dict[str, Any], updates: dict[str, Any],
         snapshot_prefix: str, update_prefix: str) -> Legacy:
    """The old layout's entries in ``snapshots``/``updates`` (listings of both layouts)."""
    found = Legacy(drop_meta=meta is not None)
    gen = str(meta.get("gen")) if isinstance(meta, dict) else None
    current: dict[str, bytes] = {}
    for key, value in snapshots.items():
        if is_legacy(key, snapshot_prefix):
            if key[len(snapshot_prefix):].split(":")[0] == gen:
                current[key] = value
            else:
                found.stale.append(key)
    if current and len(current) == meta.get("chunks"):
        found.snapshot = b"".join(current[key] for key in sorted(current))
        found.stale += current
    elif current:  # Keep what cannot be read whole, as the old loader did, and say so.
        log.error("yjs document: old-layout snapshot %s has %d of %s chunks; kept unread",
                  gen, len(current), meta.get("chunks"))
        found.drop_meta = False
    parts: dict[int, list[tuple[int, str, bytes]]] = {}
    counts: dict[int, int] = {}
    for key, value in updates.items():
        if is_legacy(key, update_prefix):
            seq, n, i = (int(x) for x in key[len(update_prefix):].split(":"))
            parts.setdefault(seq, []).append((i, key, value))
            counts[seq] = n
            found.stale.append(key)
    found.updates = [b"".join(chunk for _, _, chunk in sorted(parts[seq]))
                     for seq in sorted(parts) if len(parts[seq]) == counts[seq]]
    return found
