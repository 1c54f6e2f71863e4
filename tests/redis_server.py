"""A real ``redis-server`` (Debian's) for the tests: loopback, a free port, its own dir.

Started once per test session; killed by its PID afterwards. Tests share it
and keep apart by key prefix (:func:`redis_prefix`), so nothing is flushed.
"""

from __future__ import annotations

import itertools
import socket
import subprocess
import time
from pathlib import Path

REDIS_SERVER = "/usr/bin/redis-server"

_prefixes = itertools.count()


def redis_prefix() -> str:
    """A key prefix no other test of this session uses."""
    return f"t{next(_prefixes)}:"


class RedisServer:
    """``redis-server`` on 127.0.0.1, with AOF on (``appendfsync always``) in ``workdir``."""

    def __init__(self, workdir: Path, port: int) -> None:
        self.workdir = workdir
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20.0) -> RedisServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.workdir / "redis.log", "ab")
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port),
             "--dir", str(self.workdir), "--appendonly", "yes", "--appendfsync", "always",
             "--save", "", "--protected-mode", "yes", "--daemonize", "no"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited early:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer within {timeout} s:\n{self.log()}")

    def stop(self) -> None:
        """Kill it by PID (SIGKILL: the AOF is fsynced on every write)."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(10)

    def restart(self) -> RedisServer:
        """Kill and start again on the same port and dir: the AOF brings the data back."""
        self.stop()
        return self.start()

    def log(self) -> str:
        try:
            return (self.workdir / "redis.log").read_text(errors="replace")[-4000:]
        except FileNotFoundError:
            return ""
