"""The load generator: one scenario per process, a JSON result on stdout.

``python -m benchmarks.loadgen '<json spec>'`` runs one of :data:`SCENARIOS`
against one server and prints one JSON line. :mod:`benchmarks.run` starts it
pinned to its own core (as ``taskset -c 1``). Every scenario is bounded in
count and in time, closes every socket it opened, and reports the CPU the
load generator itself used over the measured window (``loadgen_cpu``, percent
of one core: near 100 means the figure is the load generator's, not the
server's) and the server's (``server_cpu``).

Payloads are JSON objects ``{"s": sender, "n": seq, "t": send time in ns}``
padded to a chat-message size, wrapped by the server's :class:`Dialect`.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from types import SimpleNamespace
from typing import Any

import psutil

from .client import DIALECTS, BenchClient, Dialect, connect

__all__ = ["SCENARIOS", "main"]

#: Padding that makes a payload about as long as a short chat message.
PAD = "the quick brown fox jumps over the lazy dog"
#: Concurrent handshakes while opening many clients.
CONNECT_BATCH = 100


def payload(sender: int, seq: int) -> str:
    return '{"s":%d,"n":%d,"t":%d,"text":"%s"}' % (sender, seq, time.perf_counter_ns(), PAD)


def server_pids(spec: dict[str, Any]) -> list[int]:
    """The processes whose CPU a scenario counts as the server's: ``server_pids`` (a room
    shared by several processes, and their Redis) or the one ``server_pid``."""
    return list(spec.get("server_pids") or filter(None, [spec.get("server_pid")]))


def room_urls(spec: dict[str, Any], n: int, first: int = 0) -> list[str]:
    """``n`` client URLs, round-robin over ``urls`` (one room on several processes),
    starting at the ``first``-th; or ``url`` for all."""
    urls = spec.get("urls") or [spec["url"]]
    return [urls[(first + i) % len(urls)] for i in range(n)]


class _Processes:
    """Several processes read as one for ``cpu_times`` (user and system summed)."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.procs = [psutil.Process(pid) for pid in pids]

    def cpu_times(self) -> Any:
        times = [proc.cpu_times() for proc in self.procs]
        return SimpleNamespace(user=sum(t.user for t in times),
                               system=sum(t.system for t in times),
                               each=[t.user + t.system for t in times])


class Meter:
    """CPU of this process and of the server(s) over a window, in percent of one core."""

    def __init__(self, server_pid: int | Sequence[int] | None) -> None:
        pids = [server_pid] if isinstance(server_pid, int) else list(server_pid or [])
        self.server = _Processes(pids) if pids else None

    def __enter__(self) -> Meter:
        self.wall = time.perf_counter()
        self.own = resource.getrusage(resource.RUSAGE_SELF)
        self.theirs = self.server.cpu_times() if self.server else None
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.wall
        own = resource.getrusage(resource.RUSAGE_SELF)
        used = (own.ru_utime - self.own.ru_utime) + (own.ru_stime - self.own.ru_stime)
        self.loadgen_cpu = 100 * used / self.seconds
        self.server_cpu = None
        self.server_cpu_each: list[float] = []
        if self.server and self.theirs:
            now = self.server.cpu_times()
            spent = (now.user - self.theirs.user) + (now.system - self.theirs.system)
            self.server_cpu = 100 * spent / self.seconds
            self.server_cpu_each = [100 * (b - a) / self.seconds
                                    for a, b in zip(self.theirs.each, now.each)]

    def report(self) -> dict[str, Any]:
        """CPU in percent of one core: the load generator's, the servers' summed and each
        server process's (in ``server_pids`` order)."""
        return {"loadgen_cpu": round(self.loadgen_cpu, 1),
                "server_cpu": None if self.server_cpu is None else round(self.server_cpu, 1),
                "server_cpu_each": [round(cpu, 1) for cpu in self.server_cpu_each]}


async def open_clients(urls: Sequence[str], dialect: Dialect,
                       listener: Callable[..., None] | None = None) -> list[BenchClient]:
    """Open one client per URL, ``CONNECT_BATCH`` handshakes at a time, in order."""
    clients: list[BenchClient] = []
    try:
        for i in range(0, len(urls), CONNECT_BATCH):
            batch = urls[i:i + CONNECT_BATCH]
            clients += await asyncio.gather(*(connect(u, dialect, listener) for u in batch))
    except BaseException:
        close_all(clients)
        raise
    return clients


def close_all(clients: Sequence[BenchClient]) -> None:
    for client in clients:
        client.close()


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Windowed:
    """Senders that keep at most ``window`` messages in flight each.

    A message is in flight from its send until ``observer`` (a client that
    receives every sender's messages) sees it, so queues stay bounded and the
    rate is the server's, whatever it is. ``relayed[s]`` counts what the
    observer saw of sender ``s``: its spread is the fairness figure. With a
    ``limit``, each sender stops after that many messages.
    """

    def __init__(self, senders: Sequence[BenchClient], window: int,
                 limit: int | None = None) -> None:
        self.senders = senders
        self.window = window
        self.limit = limit
        self.sent = [0] * len(senders)
        self.relayed = [0] * len(senders)
        self.wakeups = [asyncio.Event() for _ in senders]
        self.stopped = False

    def observe(self, client: BenchClient, frame: bytes, now: int) -> None:
        s = client.dialect.unwrap(frame)["s"]
        self.relayed[s] += 1
        self.wakeups[s].set()

    async def run(self, s: int) -> None:
        client, wakeup = self.senders[s], self.wakeups[s]
        wrap = client.dialect.wrap
        while not self.stopped:
            room = self.window - (self.sent[s] - self.relayed[s])
            if self.limit is not None:
                room = min(room, self.limit - self.sent[s])
            if room <= 0:
                wakeup.clear()
                await wakeup.wait()
                continue
            for _ in range(room):
                client.send_text(wrap(payload(s, self.sent[s])))
                self.sent[s] += 1


async def measure_window(clients: Sequence[BenchClient], senders: Windowed, warmup: float,
                         duration: float,
                         server_pid: int | Sequence[int] | None) -> dict[str, Any]:
    """Run ``senders`` for ``warmup`` + ``duration`` s; count deliveries in the window."""
    tasks = [asyncio.ensure_future(senders.run(s)) for s in range(len(senders.senders))]
    try:
        await asyncio.sleep(warmup)
        before = sum(c.count for c in clients)
        relayed_before = list(senders.relayed)
        with Meter(server_pid) as meter:
            await asyncio.sleep(duration)
            after = sum(c.count for c in clients)
            relayed = [b - a for a, b in zip(relayed_before, senders.relayed)]
    finally:
        senders.stopped = True
        for event in senders.wakeups:
            event.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    fairness = min(relayed) / max(relayed) if max(relayed) else 0.0
    # Deliveries per second of server CPU: the figure the machine's noise
    # (other processes taking the server's core) moves least.
    cpu_s = (meter.server_cpu or 0) / 100 * meter.seconds
    return {"deliveries_per_s": round((after - before) / meter.seconds),
            "per_server_cpu_s": round((after - before) / cpu_s) if cpu_s else None,
            "messages_per_s": round(sum(relayed) / meter.seconds),
            "fairness": round(fairness, 3), **meter.report()}


# scenarios -----------------------------------------------------------------------


async def saturate(spec: dict[str, Any]) -> dict[str, Any]:
    """(a) ``clients`` in one room, the first ``senders`` sending flat out."""
    dialect = DIALECTS[spec["dialect"]]
    n, s = spec["clients"], spec["senders"]
    if not 0 < s < n:
        raise ValueError(f"expected 0 < senders < clients, got {s} and {n}")
    holder: list[Windowed] = []
    observer = await connect(room_urls(spec, 1)[0], dialect,
                             lambda *a: holder[0].observe(*a))
    clients = await open_clients(room_urls(spec, n - 1, first=1), dialect)
    clients.append(observer)
    try:
        senders = Windowed(clients[:s], spec.get("window", 20))
        holder.append(senders)
        return await measure_window(clients, senders, spec["warmup"], spec["duration"],
                                    server_pids(spec))
    finally:
        close_all(clients)


async def latency(spec: dict[str, Any]) -> dict[str, Any]:
    """(b) ``clients`` in one room; ``senders`` of them send ``rate`` msg/s each, evenly spread."""
    dialect = DIALECTS[spec["dialect"]]
    n, s, rate = spec["clients"], spec.get("senders", spec["clients"]), spec["rate"]
    samples: list[int] = []
    recording = [False]

    def listen(client: BenchClient, frame: bytes, now: int) -> None:
        if recording[0]:
            samples.append(now - client.dialect.unwrap(frame)["t"])

    clients = await open_clients(room_urls(spec, n), dialect, listen)
    try:
        period = 1.0 / rate
        step = period / s
        total = int((spec["warmup"] + spec["duration"]) * rate * s)
        start = time.perf_counter() + 0.05
        with Meter(server_pids(spec)) as meter:
            for k in range(total):
                if k == int(spec["warmup"] * rate * s):
                    recording[0] = True
                delay = start + k * step - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                clients[k % s].send_text(dialect.wrap(payload(k % s, k // s)))
            await asyncio.sleep(min(1.0, 10 * period))  # let the last ones arrive
        expected = (total - int(spec["warmup"] * rate * s)) * (n - 1)
    finally:
        close_all(clients)
    ms = [v / 1e6 for v in samples]
    return {"p50_ms": round(percentile(ms, 50), 2), "p99_ms": round(percentile(ms, 99), 2),
            "samples": len(ms), "expected": expected, **meter.report()}


async def memory(spec: dict[str, Any]) -> dict[str, Any]:
    """(c) RSS the server grows by per idle connection, ``clients`` of them."""
    dialect = DIALECTS[spec["dialect"]]
    server = psutil.Process(spec["server_pid"])
    warm = await open_clients([spec["url"]] * 10, dialect)  # the room and its code paths
    await asyncio.sleep(spec.get("settle", 1.0))
    before = server.memory_info().rss
    clients: list[BenchClient] = []
    try:
        clients = await open_clients([spec["url"]] * spec["clients"], dialect)
        await asyncio.sleep(spec.get("settle", 1.0))
        after = server.memory_info().rss
        alive = sum(1 for c in clients if c._open)
    finally:
        close_all(clients)
        close_all(warm)
    if alive != len(clients):
        raise RuntimeError(f"expected {len(clients)} open connections, got {alive}")
    return {"kib_per_conn": round((after - before) / 1024 / len(clients), 1),
            "rss_mib": round(after / 2**20, 1), "clients": len(clients)}


async def join(spec: dict[str, Any]) -> dict[str, Any]:
    """(d) Connect -> full history, with ``stored`` messages in the room, ``joins`` times."""
    dialect = DIALECTS["chat"]
    url, stored = spec["url"], spec["stored"]
    writer = await connect(url, dialect)
    try:
        filler = Windowed([writer], window=100, limit=stored)
        writer.listener = filler.observe  # the chat echoes to the sender: its ack
        task = asyncio.ensure_future(filler.run(0))
        deadline = time.monotonic() + spec.get("fill_timeout", 60)
        while filler.relayed[0] < stored and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        filler.stopped = True
        filler.wakeups[0].set()
        await task
    finally:
        writer.close()
    if filler.relayed[0] < stored:
        raise RuntimeError(f"expected {stored} stored messages, got {filler.relayed[0]}")
    times: list[float] = []
    history = b""
    for _ in range(spec["joins"]):
        t0 = time.perf_counter()
        client = await connect(url, dialect)
        times.append((time.perf_counter() - t0) * 1000)
        client.close()
        history = client.join_frame or b""
    # Checked once, outside the timing: the history was the whole history.
    got = len(json.loads(history)["messages"])
    if got != min(stored, spec["history"]):
        raise RuntimeError(f"expected a history of {min(stored, spec['history'])}, got {got}")
    return {"p50_ms": round(percentile(times, 50), 2), "p99_ms": round(percentile(times, 99), 2),
            "joins": len(times), "history": got, "history_kib": round(len(history) / 1024)}


async def persist(spec: dict[str, Any]) -> dict[str, Any]:
    """(e) ``senders`` chat clients, each alone in its room, acked by their own echo."""
    dialect = DIALECTS["chat"]
    urls = [spec["url"].replace("{i}", str(i)) for i in range(spec["senders"])]
    holder: list[Windowed] = []
    clients = await open_clients(urls, dialect, lambda *a: holder[0].observe(*a))
    try:
        # Each sender is its own observer: sender s carries payload "s": s.
        senders = Windowed(clients, spec.get("window", 64))
        holder.append(senders)
        result = await measure_window(clients, senders, spec["warmup"], spec["duration"],
                                      spec.get("server_pid"))
    finally:
        close_all(clients)
    return {"persisted_per_s": result["messages_per_s"],
            "per_server_cpu_s": result["per_server_cpu_s"], **{
                k: result[k] for k in ("fairness", "loadgen_cpu", "server_cpu")}}


SCENARIOS: dict[str, Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]] = {
    "saturate": saturate, "latency": latency, "memory": memory, "join": join,
    "persist": persist,
}


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    scenario = SCENARIOS[spec["scenario"]]
    return await asyncio.wait_for(scenario(spec), spec.get("timeout", 120))


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m benchmarks.loadgen '<json spec>'", file=sys.stderr)
        return 2
    spec = json.loads(args[0])
    result = asyncio.run(run(spec))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
