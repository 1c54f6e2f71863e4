"""Run the benchmarks and print the table: ``python -m benchmarks.run [--quick]``.

Every target is measured in the same run as the references, and each figure is
also given as a ratio to the bare ``websockets`` relay measured alongside. The
server runs pinned to core 0, the load generator to core 1 (as ``taskset``).

Modes: the default (full) takes medians of 3 runs and adds the room-size sweep
(< 15 min); ``--quick`` runs each figure once (< 2 min); ``--smoke`` only checks
that every scenario still works, with tiny loads (< 60 s): its figures mean
nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from .servers import REPO, ServerProcess, pinned

__all__ = ["MODES", "TARGETS", "main"]

SERVER_CORE, LOADGEN_CORE = 0, 1


@dataclass(frozen=True)
class Target:
    """One thing measured: a party (or reference relay) on one server."""

    name: str
    server: str
    party: str
    dialect: str
    metrics: tuple[str, ...]
    #: Part of the room-size sweep (full mode).
    sweep: bool = False


RELAY = ("memory", "saturate", "latency")
CHAT = ("saturate", "latency", "join", "persist")
TARGETS = {t.name: t for t in (
    Target("websockets", "websockets", "relay", "relay", RELAY, sweep=True),
    Target("socketio", "socketio", "relay", "socketio", RELAY),
    Target("jupyter-relay", "jupyter", "relay", "relay", RELAY, sweep=True),
    Target("jupyter-main", "jupyter", "main", "chat", CHAT),
    Target("serve-relay", "serve", "relay", "relay", RELAY),
    Target("serve-main", "serve", "main", "chat", CHAT),
)}
REFERENCE = "websockets"


@dataclass(frozen=True)
class Mode:
    runs: int
    saturate: dict[str, Any]
    latency: dict[str, Any]
    memory: dict[str, Any]
    join: dict[str, Any]
    persist: dict[str, Any]
    sweep: tuple[int, ...] = ()


MODES = {
    "full": Mode(3, dict(clients=100, senders=10, warmup=1.0, duration=3.0),
                 dict(clients=50, rate=2.0, warmup=1.0, duration=10.0),
                 dict(clients=2000), dict(stored=1000, joins=200),
                 dict(senders=10, warmup=1.0, duration=3.0), sweep=(10, 100, 1000)),
    "quick": Mode(1, dict(clients=100, senders=10, warmup=0.5, duration=2.0),
                  dict(clients=50, rate=2.0, warmup=0.5, duration=3.0),
                  dict(clients=2000), dict(stored=1000, joins=50),
                  dict(senders=10, warmup=0.5, duration=2.0)),
    "smoke": Mode(1, dict(clients=10, senders=3, warmup=0.2, duration=0.5),
                  dict(clients=10, rate=5.0, warmup=0.2, duration=0.5),
                  dict(clients=50, settle=0.2), dict(stored=50, joins=5),
                  dict(senders=2, warmup=0.2, duration=0.5)),
}
HISTORY = 1000  # the servers' default history length


class Bench:
    """Starts servers, drives the load generator, collects medians."""

    def __init__(self, mode: Mode, workdir: Path, pin: bool) -> None:
        self.mode = mode
        self.workdir = workdir
        self.pin = pin
        self.results: dict[str, dict[str, dict[str, Any]]] = {}
        self.errors: list[str] = []
        self._rooms = 0

    def loadgen(self, spec: dict[str, Any]) -> dict[str, Any]:
        """One load-generator process, pinned, bounded by a timeout."""
        timeout = spec.setdefault("timeout", 240)
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.loadgen", json.dumps(spec)], cwd=REPO,
            capture_output=True, text=True, timeout=timeout + 30,
            preexec_fn=pinned(LOADGEN_CORE if self.pin else None))
        if proc.returncode != 0:
            raise RuntimeError(f"load generator failed ({spec['scenario']}):\n"
                               f"{proc.stderr[-3000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])

    def room(self, server: ServerProcess, target: Target, metric: str) -> str:
        self._rooms += 1
        return server.url(target.party, f"{metric}-{self._rooms}")

    def measure(self, server: ServerProcess, target: Target, metric: str,
                spec: dict[str, Any], runs: int) -> dict[str, Any]:
        samples = []
        for _ in range(runs):
            url = self.room(server, target, metric)
            if metric == "persist":  # one room per sender: {i} is the sender's index
                url = url.replace(f"{metric}-{self._rooms}", f"{metric}-{self._rooms}-{{i}}")
            samples.append(self.loadgen({**spec, "scenario": metric, "url": url,
                                         "dialect": target.dialect, "server_pid": server.pid,
                                         "history": HISTORY}))
        return median_of(samples)

    def run_target(self, server: ServerProcess, target: Target) -> None:
        mode, out = self.mode, self.results.setdefault(target.name, {})
        for metric in target.metrics:
            runs = 1 if metric in ("memory", "join") else mode.runs
            spec = dict(getattr(mode, metric))
            try:
                out[metric] = self.measure(server, target, metric, spec, runs)
            except (RuntimeError, subprocess.TimeoutExpired, ValueError, KeyError) as exc:
                self.errors.append(f"{target.name} {metric}: {exc}")
                out[metric] = {"error": str(exc)[:200]}
            print(f"  {target.name:14} {metric:9} {brief(out[metric])}", file=sys.stderr,
                  flush=True)
        if target.sweep and mode.sweep:
            for n in mode.sweep:
                senders = min(10, n - 1)
                sat = dict(mode.saturate, clients=n, senders=senders)
                lat = dict(mode.latency, clients=n, senders=min(10, n))
                try:
                    out[f"sweep-{n}"] = {
                        "saturate": self.measure(server, target, "saturate", sat, mode.runs),
                        "latency": self.measure(server, target, "latency", lat, mode.runs)}
                except (RuntimeError, subprocess.TimeoutExpired, ValueError, KeyError) as exc:
                    self.errors.append(f"{target.name} sweep {n}: {exc}")
                    out[f"sweep-{n}"] = {"error": str(exc)[:200]}
                print(f"  {target.name:14} sweep {n:<4} {brief(out[f'sweep-{n}'])}",
                      file=sys.stderr, flush=True)

    def run(self, names: list[str]) -> None:
        by_server: dict[str, list[Target]] = {}
        for name in names:
            by_server.setdefault(TARGETS[name].server, []).append(TARGETS[name])
        for kind, targets in by_server.items():
            server = self.start(kind)
            if server is None:
                continue
            try:
                for target in targets:
                    self.run_target(server, target)
            finally:
                server.stop()

    def start(self, kind: str, attempts: int = 3) -> ServerProcess | None:
        """A started server; a new free port on each attempt (another process may take one)."""
        for attempt in range(attempts):
            server = ServerProcess(kind, self.workdir, SERVER_CORE if self.pin else None)
            try:
                return server.start()
            except RuntimeError as exc:
                server.stop()
                if attempt == attempts - 1:
                    self.errors.append(f"{kind} server: {exc}")
        return None


def median_of(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Field-wise median of numeric results (the first sample's other fields)."""
    out = dict(samples[0])
    for key, value in samples[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            values = [s[key] for s in samples if isinstance(s.get(key), (int, float))]
            out[key] = round(statistics.median(values), 3)
    if len(samples) > 1:
        out["runs"] = len(samples)
    return out


def brief(result: dict[str, Any]) -> str:
    return json.dumps(result, separators=(",", ":"))[:160]


# the table ------------------------------------------------------------------------


def fmt(value: Any, spec: str = ",.0f") -> str:
    return "—" if value is None else format(value, spec)


def ratio(value: Any, reference: Any) -> str:
    if not isinstance(value, (int, float)) or not isinstance(reference, (int, float)) \
            or not reference:
        return "—"
    return f"{value / reference:.2f}"


def table(results: dict[str, dict[str, dict[str, Any]]]) -> str:
    ref = results.get(REFERENCE, {})
    ref_sat = ref.get("saturate", {}).get("deliveries_per_s")
    ref_p99 = ref.get("latency", {}).get("p99_ms")
    ref_mem = ref.get("memory", {}).get("kib_per_conn")
    lines = [
        "| target | (a) deliveries/s | (a) ratio | fairness | (b) p99 ms | (b) ratio "
        "| (c) KiB/conn | (c) ratio | (d) join p50 / p99 ms | (e) persisted msg/s "
        "| server CPU % (a) | (a) per server CPU-s | loadgen CPU % (a) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, res in results.items():
        sat, lat = res.get("saturate", {}), res.get("latency", {})
        mem, join, per = res.get("memory", {}), res.get("join", {}), res.get("persist", {})
        joined = "—" if "p50_ms" not in join else f"{join['p50_ms']:.1f} / {join['p99_ms']:.1f}"
        lines.append(" | ".join([
            f"| {name}", fmt(sat.get("deliveries_per_s")),
            ratio(sat.get("deliveries_per_s"), ref_sat), fmt(sat.get("fairness"), ".2f"),
            fmt(lat.get("p99_ms"), ".1f"), ratio(lat.get("p99_ms"), ref_p99),
            fmt(mem.get("kib_per_conn"), ".1f"), ratio(mem.get("kib_per_conn"), ref_mem),
            joined, fmt(per.get("persisted_per_s")), fmt(sat.get("server_cpu"), ".0f"),
            fmt(sat.get("per_server_cpu_s")), fmt(sat.get("loadgen_cpu"), ".0f")]) + " |")
    return "\n".join(lines)


#: (label, metric, field, bound, targets): the issue's targets, as ratios or absolutes.
GOALS = (
    ("relay (a) ≥ 1.0× websockets", "saturate", "deliveries_per_s", (">=", 1.0, True),
     ("jupyter-relay", "serve-relay")),
    ("main chat (a) ≥ 0.5× websockets", "saturate", "deliveries_per_s", (">=", 0.5, True),
     ("jupyter-main", "serve-main")),
    ("p99 (b) ≤ 1.5× websockets", "latency", "p99_ms", ("<=", 1.5, True),
     ("jupyter-relay", "serve-relay", "jupyter-main", "serve-main")),
    ("memory (c) ≤ 1.5× websockets", "memory", "kib_per_conn", ("<=", 1.5, True),
     ("jupyter-relay", "serve-relay")),
    ("fairness (a) ≥ 0.9", "saturate", "fairness", (">=", 0.9, False),
     ("jupyter-relay", "serve-relay", "jupyter-main", "serve-main")),
    ("join p99 (d) ≤ 20 ms", "join", "p99_ms", ("<=", 20.0, False),
     ("jupyter-main", "serve-main")),
    ("persisted (e) ≥ 20,000 msg/s", "persist", "persisted_per_s", (">=", 20_000, False),
     ("jupyter-main", "serve-main")),
)


def goals(results: dict[str, dict[str, dict[str, Any]]]) -> str:
    """One line per target of the issue: each target's figure, met or missed."""
    lines = []
    for label, metric, field, (op, bound, relative), names in GOALS:
        cells = []
        for name in names:
            value = results.get(name, {}).get(metric, {}).get(field)
            if relative:
                ref = results.get(REFERENCE, {}).get(metric, {}).get(field)
                value = value / ref if isinstance(value, (int, float)) and ref else None
            if not isinstance(value, (int, float)):
                continue
            met = value >= bound if op == ">=" else value <= bound
            shown = (f"{value:.2f}×" if relative else
                     f"{value:,.0f}" if bound >= 100 else f"{value:.2f}")
            cells.append(f"{name} {shown} {'met' if met else 'MISSED'}")
        if cells:
            lines.append(f"- {label}: " + ", ".join(cells))
    return "\n".join(lines)


def sweep_table(results: dict[str, dict[str, dict[str, Any]]]) -> str:
    rows = []
    for name, res in results.items():
        for key, value in res.items():
            if key.startswith("sweep-") and "saturate" in value:
                sat, lat = value["saturate"], value["latency"]
                rows.append(f"| {name} | {key[6:]} | {fmt(sat.get('deliveries_per_s'))} | "
                            f"{fmt(sat.get('fairness'), '.2f')} | {fmt(lat.get('p99_ms'), '.1f')} "
                            f"| {fmt(sat.get('loadgen_cpu'), '.0f')} |")
    if not rows:
        return ""
    return "\n".join(["| target | clients | deliveries/s | fairness | p99 ms (10 senders × 2 "
                      "msg/s) | loadgen CPU % |", "|---|---:|---:|---:|---:|---:|", *rows])


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    versions = ", ".join(f"{p} {version(p)}" for p in
                         ("websockets", "tornado", "jupyter_server", "python-socketio", "aiohttp"))
    return (f"{os.cpu_count()} × {cpu}; Python {platform.python_version()}; {versions}; "
            f"load average {load}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="one run of each figure (< 2 min)")
    group.add_argument("--smoke", action="store_true",
                       help="tiny loads, checks the harness works (< 60 s); figures mean nothing")
    parser.add_argument("--targets", nargs="+", choices=sorted(TARGETS), default=list(TARGETS),
                        metavar="TARGET", help=f"subset of: {', '.join(TARGETS)}")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)
    mode_name = "smoke" if args.smoke else "quick" if args.quick else "full"
    # Ctrl-C and SIGTERM unwind through every `finally`: servers and load
    # generators are stopped (a shell starts background jobs with SIGINT ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    pin = (os.cpu_count() or 1) >= 2
    names = [n for n in TARGETS if n in args.targets]
    started = time.monotonic()
    print(f"partywidget benchmarks, {mode_name} mode; machine: {machine()}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="partywidget-bench-") as tmp:
        bench = Bench(MODES[mode_name], Path(tmp), pin)
        bench.run(names)
    elapsed = time.monotonic() - started
    print(f"\n{mode_name} run, {elapsed:.0f} s; server on core {SERVER_CORE}, load generator "
          f"on core {LOADGEN_CORE}{'' if pin else ' (NOT pinned: fewer than 2 cores)'}; "
          f"ratios to `{REFERENCE}`; {machine()}\n")
    print(table(bench.results))
    check = goals(bench.results)
    if check:
        print(f"\nTargets (not asserted; {mode_name} mode):\n\n{check}")
    sweep = sweep_table(bench.results)
    if sweep:
        print("\nCost vs room size (one room, senders = min(10, n - 1) flat out; "
              "latency with min(10, n) senders at 2 msg/s each):\n")
        print(sweep)
    if args.json:
        args.json.write_text(json.dumps({"mode": mode_name, "machine": machine(),
                                         "results": bench.results}, indent=1))
    for error in bench.errors:
        print(f"ERROR {error}", file=sys.stderr)
    return 1 if bench.errors else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; every server and load generator was stopped", file=sys.stderr)
        sys.exit(130)
