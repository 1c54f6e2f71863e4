"""``partywidget serve`` facing a hostile network and other local accounts (issue 17).

One server for the module, started the way an attacker meets it: a token,
SQLite in a directory it creates, a soft limit of 256 open files, and short
bounds so the tests need not wait (``--header-timeout 1``, ``--body-timeout 1``,
at most 3 connections per address). Raw sockets play the half-sent requests; a second
loopback address (127.0.0.2) plays another client.
"""

from __future__ import annotations

import http.client
import secrets
import socket
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ServerProcess

from .clients import http_request

pytestmark = pytest.mark.timeout(120)

TOKEN = secrets.token_hex(16)
PER_ADDRESS = 3
#: Runs the server with a soft open files limit of 256, as the review's machine had.
LOW_SOFT_LIMIT = ("import os, resource, sys; hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]; "
                  "resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard)); "
                  "os.execv(sys.argv[1], sys.argv[1:])")


class LimitedServer(ServerProcess):
    """``partywidget serve`` under a given resource limit (same pid: exec)."""

    def __init__(self, *args, wrapper: str = LOW_SOFT_LIMIT, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.wrapper = wrapper

    def command(self) -> list[str]:
        return [sys.executable, "-c", self.wrapper, *super().command()]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LimitedServer]:
    workdir = tmp_path_factory.mktemp("exposure")
    running = LimitedServer("standalone", workdir, storage=str(workdir / "private" / "rooms.db"),
                            token=TOKEN, extra_args=[
                                "--header-timeout", "1", "--body-timeout", "1",
                                "--max-connections-per-address", str(PER_ADDRESS)])
    running.start()
    try:
        yield running
    finally:
        running.stop()


def half_sent_request(source: str = "127.0.0.1", *, port: int) -> socket.socket:
    """A connection that has sent a request line and one header, and no end of headers."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))
    sock.sendall(b"GET /parties/main/lobby HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    return sock


def closed_by_server(sock: socket.socket, piece: bytes = b"X-Trickle: 1\r\n",
                     pieces: int = 40) -> bool:
    """Send one more ``piece`` every 0.25 s (slowloris) until the server hangs up."""
    sock.settimeout(0.25)
    for _ in range(pieces):  # bounded: 10 s of trickling, ten times the timeouts
        try:
            sock.sendall(piece)
            if sock.recv(4096) == b"":
                return True
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False


def test_a_request_whose_headers_trickle_in_is_closed(server):
    with half_sent_request(port=server.port) as sock:
        assert closed_by_server(sock)
    assert "Traceback" not in server.log()


def test_a_request_whose_body_trickles_in_is_closed(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"POST /parties/main/lobby HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Authorization: token " + TOKEN.encode() + b"\r\n"
                     b"Content-Type: text/plain\r\nContent-Length: 1000\r\n\r\n")
        assert closed_by_server(sock, piece=b"x")
    assert "Traceback" not in server.log()


def test_an_address_past_its_cap_is_refused_while_another_is_served(server):
    held = [half_sent_request(port=server.port) for _ in range(PER_ADDRESS)]
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as extra:
            extra.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert extra.recv(4096).startswith(b"HTTP/1.1 503")
        other = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5,
                                           source_address=("127.0.0.2", 0))
        try:
            other.request("GET", "/")
            assert other.getresponse().status == 200
        finally:
            other.close()
    finally:
        for sock in held:
            sock.close()


def test_the_open_files_soft_limit_is_raised_at_start(server):
    limits = Path(f"/proc/{server.proc.pid}/limits").read_text()
    soft, hard = next(line.split()[3:5] for line in limits.splitlines()
                      if line.startswith("Max open files"))
    assert int(soft) > 256
    assert soft == hard or int(soft) == 65536


def test_accept_failures_are_logged_once_per_interval(tmp_path):
    # 40 descriptors in all: clients from 60 addresses exhaust them. Tornado's
    # accept loop raised (a traceback per wake of the loop, at megabytes per second).
    wrapper = ("import os, resource, sys; resource.setrlimit(resource.RLIMIT_NOFILE, (40, 40)); "
               "os.execv(sys.argv[1], sys.argv[1:])")
    starved = LimitedServer("standalone", tmp_path, storage="memory:", token="",
                            wrapper=wrapper)
    starved.start()
    clients = []
    try:
        for n in range(60):
            try:
                clients.append(half_sent_request(f"127.0.0.{n + 2}", port=starved.port))
            except OSError:
                break
        for sock in clients:  # the server's loop runs while we wait for each
            sock.close()
        clients.clear()
        assert http_request("GET", starved.http_url + "/").status == 200  # accepting again
        log = starved.log()
    finally:
        for sock in clients:
            sock.close()
        starved.stop()
    assert "cannot accept connections" in log
    assert log.count("cannot accept connections") <= 2
    assert "Traceback" not in log


def test_the_database_is_readable_by_its_owner_only(server):
    posted = http_request("POST", server.room_url("private-notes", ws=False), b"secret",
                          {"Content-Type": "text/plain", **server.auth_headers()})
    assert posted.status == 201
    directory = server.workdir / "private"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    files = sorted(p.name for p in directory.iterdir())
    assert files == ["rooms.db", "rooms.db-shm", "rooms.db-wal"]
    for name in files:
        assert stat.S_IMODE((directory / name).stat().st_mode) == 0o600, name


def test_the_access_log_scrubs_the_token(server):
    result = http_request("GET", server.room_url("lobby", ws=False) + f"?token={TOKEN}&x=1")
    assert result.status == 200
    refused = http_request("GET", server.http_url + f"/parties/main/{'x' * 500}?token={TOKEN}")
    assert refused.status == 400
    log = server.log_path.read_text(errors="replace")
    assert "GET /parties/main/lobby?token=[secret]&x=1" in log
    assert TOKEN not in log

