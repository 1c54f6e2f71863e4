"""A room socket that keeps every frame it receives, for the classroom parties' tests.

The classroom tests assert on *all* a student ever saw (no answer, no other
student's name in any frame), so every frame read on the way to the one
awaited is kept in :attr:`Recorder.seen`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .clients import RoomSocket

__all__ = ["Recorder", "member"]


class Recorder:
    """A socket whose every frame is kept, to assert on all a client ever saw."""

    def __init__(self, sock: RoomSocket) -> None:
        self.sock = sock
        self.seen: list[dict[str, Any]] = []

    async def view(self, kind: str, **fields: Any) -> dict[str, Any]:
        """The next ``kind`` frame's view whose fields match ``fields``."""
        while True:
            frame = await self.sock.recv()
            self.seen.append(frame)
            view = frame.get(kind) if frame.get("type") == kind else None
            if frame.get("type") == kind and all(
                    (view or {}).get(k) == v for k, v in fields.items()):
                return view

    async def poll(self, **fields: Any) -> dict[str, Any]:
        return await self.view("poll", **fields)

    async def error(self) -> str:
        while True:
            frame = await self.sock.recv()
            self.seen.append(frame)
            if frame.get("type") == "error":
                return frame["code"]


async def member(join: Callable[..., Awaitable[RoomSocket]], caller: Any, room: str,
                 party: str) -> Recorder:
    """``caller`` joined to ``room`` of ``party``: welcomed, and the party's first view read."""
    recorder = Recorder(await join(caller, room, party=party))
    assert (await recorder.sock.expect("welcome"))["party"] == party
    await recorder.view(party)
    return recorder
