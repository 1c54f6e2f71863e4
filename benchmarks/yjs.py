"""The ``yjs`` party beside pycrdt-websocket's own server: ``python -m benchmarks.yjs``.

``--quick`` takes under a minute; ``--smoke`` only checks that it still works
(tiny loads, figures meaningless). No mode asserts a figure.

Both servers run pinned to core 0 (``partywidget serve`` with SQLite, as users
run it; pycrdt-websocket in memory, its default), the load generator to core 1,
with :mod:`benchmarks.client`'s frame-counting clients. Two figures, each also
as a ratio to pycrdt-websocket:

* **relay**: 50 receivers and 20 writers in one room; the writers send small
  text updates (precomputed with pycrdt) with at most 200 in flight (in flight
  until the first receiver has it). Updates/s is the count every receiver got,
  divided by the time from the first send to the last receipt.
* **join**: a room holding a 1 MB ``Y.Text``; joins one after another, each timed
  from TCP connect to the whole SyncStep2 received. Median and p90.

pycrdt-websocket also sends each update back to its writer; partywidget does
not. Every loop is bounded; both servers are stopped, process group and all.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pycrdt

from partywidget.protocol import yjs

from .client import BenchClient, Dialect, connect
from .servers import ServerProcess

SERVER_CORE, LOADGEN_CORE = 0, 1
SERVERS = ("serve", "pycrdt")


class YjsDialect(Dialect):
    """y-websocket: an Update frame is a relayed payload; joining waits for SyncStep2."""

    name = "yjs"
    marker = bytes((yjs.MessageType.SYNC, yjs.SyncType.UPDATE))
    step2 = bytes((yjs.MessageType.SYNC, yjs.SyncType.STEP2))

    async def join(self, client: BenchClient) -> None:
        client.send_binary(yjs.SyncStep1(pycrdt.Doc().get_state()).serialize())
        client.join_frame = await client.next_frame(self.step2)


def writer_updates(count: int) -> list[bytes]:
    """``count`` Update frames of one client typing into ``Y.Text("t")``."""
    doc = pycrdt.Doc()
    text = doc.get("t", type=pycrdt.Text)
    frames: list[bytes] = []
    doc.observe(lambda event: frames.append(yjs.Update(event.update).serialize()))
    for n in range(count):
        text.insert(len(text), f"w{n % 10}")
    return frames


async def bounded(what: str, done, timeout: float) -> None:  # noqa: ANN001 (a predicate)
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.001)


async def relay(url: str, receivers: int, writers: int, per_writer: int,
                window: int) -> dict[str, float]:
    dialect = YjsDialect()
    listening = [await connect(url, dialect) for _ in range(receivers)]
    sending = [await connect(url, dialect) for _ in range(writers)]
    frames = [writer_updates(per_writer) for _ in range(writers)]
    total = writers * per_writer
    first = listening[0]
    started = time.perf_counter()
    for n in range(per_writer):
        for w, client in enumerate(sending):
            await bounded("the window", lambda: n * writers + w - first.count < window, 60)
            client.send_binary(frames[w][n])
    await bounded("every receiver", lambda: all(c.count >= total for c in listening), 120)
    elapsed = time.perf_counter() - started
    for client in listening + sending:
        client.close()
    return {"updates_per_s": total / elapsed, "deliveries_per_s": total * receivers / elapsed}


async def join(url: str, doc_bytes: int, joins: int) -> dict[str, float]:
    dialect = YjsDialect()
    filler = await connect(url, dialect)
    doc = pycrdt.Doc()
    text = doc.get("t", type=pycrdt.Text)
    half = "x" * (doc_bytes // 2)
    for _ in range(2):  # two updates: each under partywidget's 1 MiB frame bound
        update: list[bytes] = []
        sub = doc.observe(lambda event: update.append(event.update))
        text.insert(len(text), half)
        doc.unobserve(sub)
        filler.send_binary(yjs.Update(update[0]).serialize())
    times = []
    for _ in range(joins):
        started = time.perf_counter()
        client = await connect(url, dialect)
        times.append(time.perf_counter() - started)
        size = len(client.join_frame or b"")
        client.close()
        if size < doc_bytes:  # the first joins may race the filler's updates
            times.pop()
            await asyncio.sleep(0.05)
    filler.close()
    if not times:
        raise RuntimeError("no join received the whole document")
    times.sort()
    return {"median_ms": statistics.median(times) * 1000,
            "p90_ms": times[math.ceil(0.9 * len(times)) - 1] * 1000, "joins": len(times)}


#: Per mode: updates per writer, joins, document bytes of the join.
MODES = {"full": (500, 50, 1_000_000), "quick": (100, 20, 1_000_000), "smoke": (5, 2, 100_000)}


async def measure(server: ServerProcess, mode: str) -> dict[str, dict[str, float]]:
    per_writer, joins, doc_bytes = MODES[mode]
    room = f"bench-{server.kind}"
    return {
        "relay": await relay(server.url("yjs", room + "-relay"), 50, 20, per_writer, 200),
        "join": await join(server.url("yjs", room + "-join"), doc_bytes, joins),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller loads (< 1 min)")
    parser.add_argument("--smoke", action="store_true", help="tiny loads: checks it works")
    args = parser.parse_args(argv)
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    os.sched_setaffinity(0, {LOADGEN_CORE})
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in SERVERS:
            server = ServerProcess(kind, Path(tmp), SERVER_CORE).start()
            try:
                print(f"measuring {kind} ...", file=sys.stderr)
                results[kind] = asyncio.run(measure(server, mode))
            finally:
                server.stop()
    ours, ref = results["serve"], results["pycrdt"]
    print(f"| server | updates/s to 50 | deliveries/s | {MODES[mode][2]:,} B join median | p90 |")
    print("|---|---|---|---|---|")
    for name, label in (("serve", "partywidget serve, yjs party"),
                        ("pycrdt", "pycrdt-websocket 0.16")):
        r = results[name]
        print(f"| {label} | {r['relay']['updates_per_s']:,.0f} | "
              f"{r['relay']['deliveries_per_s']:,.0f} | {r['join']['median_ms']:.1f} ms | "
              f"{r['join']['p90_ms']:.1f} ms |")
    print(f"\nrelay ratio: {ours['relay']['updates_per_s'] / ref['relay']['updates_per_s']:.2f}x "
          f"pycrdt-websocket; join ratio: "
          f"{ours['join']['median_ms'] / ref['join']['median_ms']:.2f}x its time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
