"""The room core's own cost per chat post, without sockets: ``python -m benchmarks.core``.

What a persisted message costs in the transport-free core (rate limits, JSON
rules, the typed chat envelope, the log append with its metrics, the
broadcast through the party) apart from Tornado, the network and SQLite's
writer thread. Two figures for the same work:

* **CPU µs per post**: ``time.process_time`` over ``posts`` chat frames sent
  by ``rooms`` fake connections (one per room, ``window`` frames in flight
  each) into the built-in ``main`` party on :class:`MemoryStorage`; best of
  ``runs``. It moves with the machine's load like any timing.
* **Python calls per post**: the same work once under :mod:`cProfile`,
  counting function calls. It does not depend on the load, so a change that
  adds work to the hot path shows here even on a busy machine; its top
  callers say where.

No figure is asserted. Run it on two trees (``git worktree``) to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import sys
import time
from typing import Any

from partywidget.parties.chat import ChatParty
from partywidget.rooms import Connection, ConnectionContext, Limits, Request, RoomHost
from partywidget.storage import MemoryStorage

#: The senders flood on purpose: the per-connection limits would refuse most frames.
UNLIMITED = Limits(messages_per_second=1e9, message_burst=10**9,
                   bytes_per_second=10**12, byte_burst=10**12)


class CountingTransport:
    """What an adapter hands the core, reduced to counting what it is given."""

    buffered_amount = 0

    def __init__(self) -> None:
        self.sent = 0
        self.closed: tuple[int, str] | None = None

    def send(self, message: Any) -> None:
        self.sent += 1

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


async def posts(count: int, rooms: int, window: int) -> float:
    """Send ``count`` chat posts with a ``cid`` (as partysocket clients do); CPU seconds."""
    host = RoomHost(MemoryStorage(), {"main": ChatParty}, limits=UNLIMITED)
    await host.start()
    try:
        senders = []
        for i in range(rooms):
            room = host.room("main", f"r{i}")
            transport = CountingTransport()
            conn = Connection(f"c{i}", {"username": f"user{i}"}, transport, limits=room.limits)
            request = Request("GET", f"ws://bench/parties/main/r{i}", conn.user, query={})
            if not await room.connect(conn, ConnectionContext(request)):
                raise RuntimeError(f"room r{i} refused the benchmark connection")
            senders.append((room, conn, transport))
        frames = [json.dumps({"content": {"sender": i % rooms, "n": i}, "cid": f"cid-{i}"})
                  for i in range(count)]
        start = time.process_time()
        step = window * rooms
        for first in range(0, count, step):
            await asyncio.gather(*(senders[j % rooms][0].receive(senders[j % rooms][1], frames[j])
                                   for j in range(first, min(count, first + step))))
        spent = time.process_time() - start
        closed = [t.closed for _, _, t in senders if t.closed is not None]
        if closed:
            raise RuntimeError(f"the room closed a benchmark connection: {closed[0]}")
        delivered = sum(transport.sent for _, _, transport in senders)
        if delivered < count:  # each post is echoed to its sender, the only one in its room
            raise RuntimeError(f"expected {count} deliveries, got {delivered}")
        return spent
    finally:
        await host.close()


def calls_per_post(count: int, rooms: int, window: int) -> tuple[float, list[tuple[str, float]]]:
    """Calls per post under cProfile (builtins included), and the ten Python
    functions (builtins left out) called most per post."""
    profile = cProfile.Profile()
    profile.enable()
    asyncio.run(posts(count, rooms, window))
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    per_function = {f"{path.rsplit('/', 1)[-1]}:{name}": calls / count
                    for (path, _, name), (_, calls, *_rest) in stats.items()}
    top = sorted(((name, n) for name, n in per_function.items() if not name.startswith("~:")),
                 key=lambda item: -item[1])[:10]
    return sum(per_function.values()), top


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.core", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="fewer posts and runs (< 20 s)")
    group.add_argument("--smoke", action="store_true",
                       help="a few hundred posts: checks it still runs; figures mean nothing")
    args = parser.parse_args(argv)
    count, runs = (500, 1) if args.smoke else (20_000, 3) if args.quick else (100_000, 5)
    rooms, window = 10, 64
    best = min(asyncio.run(posts(count, rooms, window)) for _ in range(runs))
    calls, top = calls_per_post(min(count, 20_000), rooms, window)
    print(f"room core, {count:,} chat posts with a cid into {rooms} rooms ({window} in flight "
          f"each), MemoryStorage, best of {runs}:")
    print(f"  CPU per post:          {best / count * 1e6:.1f} µs")
    print(f"  calls per post:        {calls:.1f} (builtins included)")
    print("  Python functions most called per post: " + ", ".join(f"{name} {n:.0f}" for name, n in top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
