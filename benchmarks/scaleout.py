"""What crossing processes costs: one room on 1, 2 and 3 ``serve --redis`` processes.

``python -m benchmarks.scaleout --quick`` starts Debian's ``redis-server`` (loopback,
a free port, its own temporary dir, ``appendonly yes`` with ``appendfsync everysec``)
and, for each layout, the room hosts of :mod:`benchmarks.servers.standalone`; the
clients of one room are spread round-robin over the processes. It runs (a) saturate
and (b) latency of :mod:`benchmarks.loadgen` for the ``relay`` party and the ``main``
chat beside the single-process SQLite figure, and prints deliveries/s, the server
CPU per delivery (every room host *and* Redis counted) and p50/p99 latency.

Quick mode only: one run each, the loads of ``benchmarks.run --quick``. Nothing is
pinned (the processes share the machine's cores), so read ratios within one run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .run import MODES
from .servers import REPO, ServerProcess, free_port

__all__ = ["main"]

REDIS_SERVER = "/usr/bin/redis-server"
#: (label, processes, through Redis)
LAYOUTS = (("sqlite x1", 1, False), ("redis x1", 1, True), ("redis x2", 2, True),
           ("redis x3", 3, True))
PARTIES = (("relay", "relay"), ("main", "chat"))  # (party, load-generator dialect)


class Redis:
    """``redis-server`` for one benchmark run, killed by its PID afterwards."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20.0) -> Redis:
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--dir",
             str(self.workdir), "--appendonly", "yes", "--appendfsync", "everysec",
             "--save", ""], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ping = subprocess.run(["redis-cli", "-p", str(self.port), "ping"],
                                  capture_output=True, text=True, timeout=5)
            if ping.stdout.strip() == "PONG":
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"redis-server did not answer within {timeout} s")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(10)


def loadgen(spec: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.loadgen", json.dumps(spec)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(servers: list[ServerProcess], pids: list[int], party: str, dialect: str,
            room: str) -> dict[str, Any]:
    mode = MODES["quick"]
    common = {"dialect": dialect, "server_pids": pids, "history": 1000}
    urls = [s.url(party, f"{room}-a") for s in servers]
    saturate = loadgen({**mode.saturate, **common, "scenario": "saturate", "urls": urls})
    urls = [s.url(party, f"{room}-b") for s in servers]
    latency = loadgen({**mode.latency, **common, "scenario": "latency", "urls": urls})
    return {"deliveries_per_s": saturate["deliveries_per_s"],
            "cpu_us_per_delivery": (round(1e6 / saturate["per_server_cpu_s"], 2)
                                    if saturate["per_server_cpu_s"] else None),
            "p50_ms": latency["p50_ms"], "p99_ms": latency["p99_ms"]}


def run_layout(workdir: Path, redis: Redis | None, count: int) -> dict[str, dict[str, Any]]:
    servers = [ServerProcess("serve", workdir, None, redis_url=redis.url if redis else "",
                             name=f"serve-{i}") for i in range(count)]
    try:
        for server in servers:
            server.start()
        pids = [s.pid for s in servers] + ([redis.proc.pid] if redis and redis.proc else [])
        return {party: measure(servers, pids, party, dialect, f"{party}-{count}")
                for party, dialect in PARTIES}
    finally:
        for server in servers:
            server.stop()


def table(results: dict[str, dict[str, dict[str, Any]]]) -> str:
    lines = ["| layout | party | deliveries/s | server CPU µs/delivery | vs sqlite x1 | "
             "p50 ms | p99 ms | p99 vs sqlite x1 |", "|---|---|---|---|---|---|---|---|"]
    for label, by_party in results.items():
        for party, row in by_party.items():
            base = results["sqlite x1"][party]
            cpu = row["cpu_us_per_delivery"]
            cpu_ratio = (f"{cpu / base['cpu_us_per_delivery']:.2f}x"
                         if cpu and base["cpu_us_per_delivery"] else "-")
            p99_ratio = f"{row['p99_ms'] / base['p99_ms']:.2f}x" if base["p99_ms"] else "-"
            lines.append(f"| {label} | {party} | {row['deliveries_per_s']:,} | {cpu} | "
                         f"{cpu_ratio} | {row['p50_ms']} | {row['p99_ms']} | {p99_ratio} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", required=True,
                        help="one run of each figure (the only mode)")
    parser.parse_args(argv)
    if not shutil.which(REDIS_SERVER):
        print(f"needs {REDIS_SERVER} (apt-get install redis-server)", file=sys.stderr)
        return 2
    results: dict[str, dict[str, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="pw-scaleout-") as tmp:
        redis = Redis(Path(tmp)).start()
        try:
            for label, count, shared in LAYOUTS:
                print(f"{label} ...", file=sys.stderr, flush=True)
                results[label] = run_layout(Path(tmp) / label.replace(" ", "-"),
                                            redis if shared else None, count)
        finally:
            redis.stop()
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
