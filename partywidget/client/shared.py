"""``partywidget.shared(room)``: a dict shared by kernels and browsers, on a ``yjs`` room.

::

    state = partywidget.shared("class-101")
    state["question"] = "2+2?"                   # everyone sees it at once
    state["poll"] = {"options": ["3", "4"]}      # any JSON value, nested

    @state.observe
    def changed(keys):                           # {"question": "2+2?"}: what changed
        ...

It is the root ``Y.Map`` named ``"state"`` of the room's document
(:class:`~.ydoc.SharedDoc`): JavaScript reads the same data with
``doc.getMap("state")``. Values are JSON, stored whole (Yjs "any" content):
assigning a dict replaces the whole value, and the last writer of a key wins.
Numbers travel as JavaScript numbers; whole numbers come back as ``int``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any, TypeVar

import pycrdt

from .ydoc import SharedDoc, adoc, doc

__all__ = ["SharedState", "ashared", "shared"]

F = TypeVar("F", bound=Callable[..., Any])


def _plain(value: Any) -> Any:
    """A value read from Yjs with whole-number floats as ints (JSON has one number type)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class SharedState(MutableMapping[str, Any]):
    """A ``MutableMapping`` view of the document's ``Y.Map`` ``name`` (default ``"state"``)."""

    def __init__(self, document: SharedDoc, name: str = "state") -> None:
        self.doc = document
        self._map = document.get(name, type=pycrdt.Map)

    def __getitem__(self, key: str) -> Any:
        return _plain(self._map[key])

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(f"expected a str key, got {type(key).__name__}")
        self._map[key] = value

    def __delitem__(self, key: str) -> None:
        del self._map[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._map.keys()))

    def __len__(self) -> int:
        return len(self._map)

    def to_dict(self) -> dict[str, Any]:
        return _plain(self._map.to_py() or {})

    def __repr__(self) -> str:
        return f"<SharedState {self.to_dict()!r}>"

    def observe(self, fn: F) -> F:
        """Decorator: ``fn(changes)`` after each change, ``{key: new value or None}``.

        Runs on the client thread for changes from the room (so while a kernel
        is idle), and at once for our own.
        """
        def changed(event: Any) -> None:
            fn({key: _plain(change.get("newValue")) for key, change in event.keys.items()})

        self._map.observe(changed)
        return fn

    def close(self) -> None:
        """Leave the room (the values stay readable)."""
        self.doc.close()


def shared(room: str, party: str = "yjs", *, name: str = "state", url: str | None = None,
           token: str | None = None, timeout: float = 10.0) -> SharedState:
    """Join ``room`` of a ``yjs`` party; its ``Y.Map`` ``name`` as a dict, once synced."""
    return SharedState(doc(room, party, url=url, token=token, timeout=timeout), name)


async def ashared(room: str, party: str = "yjs", *, name: str = "state",
                  url: str | None = None, token: str | None = None,
                  timeout: float = 10.0) -> SharedState:
    """:func:`shared` for async code."""
    return SharedState(await adoc(room, party, url=url, token=token, timeout=timeout), name)
