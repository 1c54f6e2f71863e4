"""Storage backends: ``memory``, ``sqlite`` (the embedded default) and ``redis``
(rooms shared by several processes, :mod:`.redis`; needs ``partywidget[redis]``).

:func:`open_storage` turns a storage URL (the ``--storage`` option and
``c.PartyWidget.storage``) into a backend.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigurationError
from .base import LogEntry, LogState, RoomLog, RoomStorage, Storage
from .memory import MemoryStorage
from .sqlite import SQLiteStorage

__all__ = ["LogEntry", "LogState", "MemoryStorage", "RoomLog", "RoomStorage", "SQLiteStorage",
           "Storage", "open_storage"]


def open_storage(url: str, *, default_dir: str | Path = ".") -> Storage:
    """Make a backend from a URL.

    ``memory:`` keeps nothing across restarts; ``sqlite:///abs/path.db``,
    ``sqlite:relative.db`` or a bare path ending in ``.db`` use SQLite;
    an empty string means ``partywidget.db`` in ``default_dir``.
    Redis is not a storage URL: it also carries broadcasts, so it has its own
    setting (``redis_url``, ``--redis``).
    """
    if url.startswith(("redis://", "rediss://")):
        raise ConfigurationError(f"Redis is set with PartyWidget.redis_url (--redis), which also "
                                 f"shares broadcasts; got it as a storage URL: {url[:100]!r}")
    if url in ("", "sqlite:", "sqlite://"):
        return SQLiteStorage(Path(default_dir) / "partywidget.db")
    if url in ("memory", "memory:", "memory://"):
        return MemoryStorage()
    if url.startswith("sqlite://"):
        return SQLiteStorage(Path(url[len("sqlite://"):]))
    if url.startswith("sqlite:"):
        return SQLiteStorage(Path(url[len("sqlite:"):]))
    if "://" not in url and url.endswith((".db", ".sqlite", ".sqlite3")):
        return SQLiteStorage(Path(url))
    raise ConfigurationError(
        f"expected a storage URL like 'memory:', 'sqlite:///path/to/rooms.db' or a .db path, "
        f"got {url!r}")
