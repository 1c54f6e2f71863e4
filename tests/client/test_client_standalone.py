"""The client against ``partywidget serve``: scripts, async code, restarts, bad input."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any

import pytest

import partywidget
from partywidget.client import Backoff, aconnect
from partywidget.errors import ClientError, LimitExceeded, NotConnectedError
from partywidget.protocol import board


def test_a_plain_script_sends_reads_history_and_gets_callbacks(standalone_server: Any,
                                                                wait_until: Any) -> None:
    url = standalone_server.http_url
    with partywidget.connect("script", url=url) as here:
        here.send({"text": "before the script"})
        script = textwrap.dedent(f"""
            import json, threading, partywidget
            echoed = threading.Event()
            seen = []
            room = partywidget.connect("script", url={url!r}, name="Script")
            @room.on_message
            def on_message(msg):
                seen.append(msg["content"])
                if len(seen) == 3:
                    echoed.set()
            for n in range(3):
                room.send(f"script {{n}}")
            assert echoed.wait(10), seen
            print(json.dumps({{"history": [m["content"] for m in room.history()],
                              "seen": seen, "user": room.user, "repr": repr(room)}}))
            room.send("last words")  # no close(): leaving at exit still delivers it
        """)
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert result["history"] == [{"text": "before the script"}, "script 0", "script 1",
                                     "script 2"]
        assert result["seen"] == ["script 0", "script 1", "script 2"]
        assert result["user"]["kernel"] is True and result["user"]["display_name"] == "Script"
        assert result["repr"].startswith("<RoomClient main/script open as guest-")
        wait_until(lambda: len(here.history()) == 5, what="the script's last words")
        assert [m["content"] for m in here.history()][1:] == ["script 0", "script 1",
                                                              "script 2", "last words"]


def test_a_restart_loses_nothing_and_duplicates_nothing(standalone_server: Any,
                                                        wait_until: Any) -> None:
    url = standalone_server.http_url
    fast = Backoff(min_delay=0.1, max_delay=0.5)
    sender = partywidget.connect("restart", url=url, backoff=fast)
    reader = partywidget.connect("restart", url=url, backoff=fast)
    seen: list[int] = []
    reader.on_message(lambda msg: seen.append(msg["id"]))
    try:
        for n in range(3):
            sender.send(f"before {n}")
        wait_until(lambda: len(seen) == 3, what="three messages before the restart")
        standalone_server.stop()
        wait_until(lambda: sender.status == reader.status == "reconnecting",
                   what="both clients to notice")
        sender.send("while down")  # buffered: the send buffer holds it until the rejoin
        standalone_server.start()
        wait_until(lambda: sender.status == reader.status == "open", what="both to rejoin")
        sender.send("after")
        wait_until(lambda: len(seen) == 5, what="the two later messages")
        ids = [m["id"] for m in reader.history()]
        assert ids == seen == list(range(ids[0], ids[0] + 5))
        assert [m["content"] for m in reader.history()] == [
            "before 0", "before 1", "before 2", "while down", "after"]
        assert [m["id"] for m in sender.history()] == ids
        # partysocket semantics: the same _pk on every reconnect, so presence is unchanged.
        wait_until(lambda: {u["id"] for u in reader.users} == {sender.id, reader.id},
                   what="presence after the rejoin")
    finally:
        sender.close()
        reader.close()


def test_messages_in_flight_at_a_crash_arrive_exactly_once(standalone_server: Any,
                                                           wait_until: Any) -> None:
    url = standalone_server.http_url
    fast = Backoff(min_delay=0.1, max_delay=0.5)
    with partywidget.connect("crash", url=url, backoff=fast) as room:
        for n in range(30):
            room.send(n)
        standalone_server.kill()  # SIGKILL: some were stored, some written, some still queued
        standalone_server.start()
        wait_until(lambda: len(room.history()) >= 30, what="all 30 messages after the crash")
        wait_until(lambda: not len(room._conn.outbox), what="the send buffer to settle")
        ids = [m["id"] for m in room.history()]
        assert sorted(m["content"] for m in room.history()) == list(range(30))
        assert ids == list(range(ids[0], ids[0] + 30))


def test_callbacks_given_to_connect_see_the_join_and_every_status(standalone_server: Any,
                                                                  wait_until: Any) -> None:
    url = standalone_server.http_url
    fast = Backoff(min_delay=0.1, max_delay=0.5)
    with partywidget.connect("join-seen", url=url) as other:
        other.send("before")
        wait_until(lambda: len(other.history()) == 1, what="the first message")
        frames: list[Any] = []
        statuses: list[str] = []
        room = partywidget.connect("join-seen", url=url, backoff=fast, on_event=frames.append,
                                   on_status=statuses.append)
        try:
            assert [f["type"] for f in frames] == ["welcome", "history"]
            assert [m["content"] for m in frames[1]["messages"]] == ["before"]
            assert statuses == ["open"]  # "connecting" is where a client starts
            standalone_server.restart()
            wait_until(lambda: statuses[-1:] == ["open"] and len(statuses) == 3,
                       what="the rejoin")
            assert statuses == ["open", "reconnecting", "open"]
        finally:
            room.close()
        assert statuses[-1] == "closed" and room.status == "closed"


def test_a_flush_after_a_reconnect_stays_under_the_rate_limit(standalone_server: Any,
                                                               wait_until: Any) -> None:
    # 300 frames are three times the host's burst (Limits: 50/s, burst 100):
    # unpaced, two thirds would come back as rate_limited errors and be lost.
    url = standalone_server.http_url
    fast = Backoff(min_delay=0.1, max_delay=0.5)
    errors: list[Any] = []
    with partywidget.connect("flush", url=url, backoff=fast, on_event=lambda frame: errors.append(
            frame) if frame.get("type") == "error" else None) as room:
        standalone_server.stop()
        wait_until(lambda: room.status == "reconnecting", what="the client to notice")
        for n in range(300):
            room.send(n)
        standalone_server.start()
        wait_until(lambda: len(room.history()) >= 300 and not len(room._conn.outbox),
                   timeout=30, what="all 300 messages")
        ids = [m["id"] for m in room.history()]
        assert [m["content"] for m in room.history()] == list(range(300))
        assert ids == list(range(ids[0], ids[0] + 300))
        assert errors == []  # paced: no frame was refused, none had to go out again


async def test_async_forms_work_inside_an_asyncio_program(standalone_server: Any) -> None:
    url = standalone_server.http_url
    joined: list[str] = []
    statuses: list[str] = []
    async with await aconnect("async", url=url) as reader:
        async with await aconnect("async", url=url, on_event=lambda f: joined.append(f["type"]),
                                  on_status=statuses.append) as writer:
            assert joined == ["welcome", "history"] and statuses == ["open"]
            await writer.asend("one")
            await writer.asend_raw({"content": "two"})
            got = []
            async for msg in reader:
                got.append(msg["content"])
                if len(got) == 2:
                    break
            assert got == ["one", "two"]

            seen: list[Any] = []
            arrived = asyncio.Event()

            async def read_all() -> None:
                async for msg in reader:
                    seen.append(msg["content"])
                    arrived.set()

            reading = asyncio.create_task(read_all())
            await asyncio.sleep(0)  # let the iteration start listening
            await writer.asend("three")
            await asyncio.wait_for(arrived.wait(), 10)
            await reader.aclose()
            await asyncio.wait_for(reading, 10)  # the iteration ends with the client
            assert seen == ["three"]
    assert reader.status == writer.status == "closed" and statuses == ["open", "closed"]


def test_a_host_gone_for_good_ends_the_client_after_bounded_attempts(
        standalone_server: Any, wait_until: Any, capfd: pytest.CaptureFixture[str]) -> None:
    room = partywidget.connect("gone", url=standalone_server.http_url,
                               backoff=Backoff(min_delay=0.05, max_delay=0.1, max_attempts=3))
    standalone_server.stop()
    wait_until(lambda: room.status == "closed", what="the client to give up")
    assert isinstance(room.error, NotConnectedError)
    assert "gave up on room main/gone" in str(room.error)
    assert "gave up on room main/gone" in capfd.readouterr().err
    with pytest.raises(NotConnectedError, match="is closed \\(gave up"):
        room.send("anyone?")


def test_the_send_buffer_is_bounded_while_offline(standalone_server: Any, wait_until: Any,
                                                  capfd: pytest.CaptureFixture[str]) -> None:
    room = partywidget.connect("offline", url=standalone_server.http_url)
    try:
        standalone_server.stop()
        wait_until(lambda: room.status == "reconnecting", what="the client to notice")
        for n in range(1000):
            room.send(n)
        with pytest.raises(NotConnectedError, match="send buffer is full: 1000 messages are "
                                                    "waiting while the client is reconnecting"):
            room.send("one too many")
    finally:
        room.close()
    assert "closed with 1000 message(s) not confirmed" in capfd.readouterr().err


def test_unreachable_host_fails_clearly_within_the_timeout(free_url: str) -> None:
    started = time.monotonic()
    with pytest.raises(NotConnectedError, match=r"could not join room main/x at .* within 2 s "
                                                r"\(last problem: .*(Refused|Errno)"):
        partywidget.connect("x", url=free_url, timeout=2)
    assert time.monotonic() - started < 5


def test_oversize_message_is_refused_before_sending(standalone_server: Any,
                                                    wait_until: Any) -> None:
    with partywidget.connect("big", url=standalone_server.http_url) as room:
        with pytest.raises(LimitExceeded, match="at most 1048576 bytes once encoded"):
            room.send("x" * (1024 * 1024))
        with pytest.raises(LimitExceeded):
            room.send_raw(b"\0" * (1024 * 1024 + 1))
        with pytest.raises(ValueError):
            room.send(float("nan"))  # not JSON a browser could parse
        room.send("small")
        wait_until(lambda: len(room.history()) == 1, what="the small message")
        assert room.status == "open" and room.history()[0]["content"] == "small"


def test_a_history_larger_than_the_frame_limit_still_joins(standalone_server: Any,
                                                           wait_until: Any) -> None:
    url = standalone_server.http_url
    with partywidget.connect("long", url=url) as writer:
        for n in range(12):  # 12 x 100 KB: each under the host's limits, together 1.2 MB
            writer.send(f"{n}:" + "y" * 100_000)
        wait_until(lambda: len(writer.history()) == 12, what="twelve echoes")
    with partywidget.connect("long", url=url) as late:
        assert [m["content"].split(":")[0] for m in late.history()] == [str(n) for n in range(12)]


def test_a_closed_client_says_so(standalone_server: Any) -> None:
    room = partywidget.connect("closed", url=standalone_server.http_url)
    room.close()
    room.close()  # twice is fine
    assert room.status == "closed" and "closed" in repr(room)
    with pytest.raises(NotConnectedError, match="room main/closed at .* is closed; connect "
                                                "again with partywidget.connect"):
        room.send("late")
    with pytest.raises(NotConnectedError):
        room.send_raw({"content": "late"})


def test_a_failing_callback_is_reported_and_the_connection_lives_on(
        standalone_server: Any, capfd: pytest.CaptureFixture[str]) -> None:
    delivered = threading.Event()
    with partywidget.connect("oops", url=standalone_server.http_url) as room:
        @room.on_message
        def broken(msg: dict[str, Any]) -> None:
            raise RuntimeError(f"broken callback saw {msg['content']}")

        @room.on_message
        def waits_for_the_network(msg: dict[str, Any]) -> None:
            partywidget.connect("other", url=standalone_server.http_url)

        @room.on_message
        async def broken_later(msg: dict[str, Any]) -> None:
            await asyncio.sleep(0)
            raise KeyError(f"async callback saw {msg['content']}")

        room.on_message(lambda msg: msg["content"] == "second" and delivered.set())
        room.send("first")
        room.send("second")
        assert delivered.wait(10)
        assert room.status == "open"
    err = capfd.readouterr().err
    assert "callback test_a_failing_callback_is_reported" in err
    assert "RuntimeError: broken callback saw first" in err
    assert "RuntimeError: broken callback saw second" in err
    assert "cannot run inside a partywidget callback" in err
    assert "KeyError: 'async callback saw second'" in err
    assert ClientError.__name__ in err


def test_send_and_close_from_a_callback_do_not_deadlock(standalone_server: Any,
                                                        wait_until: Any) -> None:
    room = partywidget.connect("echo", url=standalone_server.http_url)

    @room.on_message
    def echo(msg: dict[str, Any]) -> None:
        if msg["content"] == "ping":
            room.send("pong")
        elif msg["content"] == "pong":
            room.close()

    room.send("ping")
    wait_until(lambda: room.status == "closed", what="the callback's close()")
    assert [m["content"] for m in room.history()] == ["ping", "pong"]


@pytest.fixture
def free_url() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_async_calls_do_not_block_the_callers_loop(free_url: str) -> None:
    async def main() -> int:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        with pytest.raises(NotConnectedError):
            await aconnect("ticks", url=free_url, timeout=1)
        task.cancel()
        return ticks

    assert asyncio.run(main()) >= 20  # the caller's loop ran on while the client waited


def test_the_repr_counts_what_each_protocol_holds(standalone_server: Any,
                                                  wait_until: Any) -> None:
    url = standalone_server.http_url
    with partywidget.connect("repr-room", url=url) as chat_room:
        assert repr(chat_room).endswith("(1 user, 0 messages)>")
        chat_room.send("one")
        wait_until(lambda: repr(chat_room).endswith("(1 user, 1 message)>"))
    # %party lists these: a board with strokes counts them, not "0 messages".
    with partywidget.connect("repr-room", "board", url=url) as board_room:
        assert repr(board_room).endswith("(1 user, 0 strokes and items)>")
        for _ in range(2):
            board_room.send_raw(board.Stroke(board.Ink([[0, 0], [10, 10]])).to_json())
        wait_until(lambda: repr(board_room).endswith("(1 user, 2 strokes and items)>"))
    with partywidget.connect("repr-room", "board", url=url) as again:  # counted from the join
        assert repr(again).endswith("(1 user, 2 strokes and items)>")


def test_two_clients_see_each_others_edits_and_reactions_folded(standalone_server: Any,
                                                               wait_until: Any) -> None:
    url = standalone_server.http_url
    with partywidget.connect("folds", url=url) as alice, \
            partywidget.connect("folds", url=url) as bob:
        alice.send("helo")
        wait_until(lambda: len(bob.history()) == 1)
        target = bob.history()[0]["id"]
        alice.edit(target, "hello")
        bob.react(target, "\U0001F44D")
        alice.react(target, "\U0001F44D")
        alice.react(target, "\U0001F389")
        alice.react(target, "\U0001F389", on=False)
        both = {"\U0001F44D": sorted([bob.user["username"], alice.user["username"]])}
        # Two sockets: the server orders the two thumbs either way.
        wait_until(lambda: [{k: sorted(v) for k, v in m.get("reactions", {}).items()}
                            for m in alice.history() + bob.history()] == [both, both])
        (message,) = bob.history()
        assert message["content"] == "hello" and message["edited"]
        with pytest.raises(Exception):
            alice.react(target, "<b>")
