"""Clients hold no more than the room keeps; strokes in progress are capped (issue 17, item 8).

Against a real ``partywidget serve --history 3``: the kernel's client and the
widgets' chat log (``js/chat-log.ts``, run under Node) keep the newest 3
messages however many arrive. Against the shared server: ``draw`` frames of
unfinished strokes are refused past their caps, so nobody relays, holds or
repaints an endless stroke.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import partywidget
from partywidget.protocol import board

from .clients import NODE_DIR, run_node
from .conftest import start_server

ROOT = Path(__file__).resolve().parents[2]
HISTORY = 3


@pytest.fixture(scope="module")
def short(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    server = start_server("standalone", tmp_path_factory.mktemp("short-history"),
                          extra_args=["--history", str(HISTORY)])
    try:
        yield server
    finally:
        server.stop()


async def test_the_kernels_chat_history_keeps_the_rooms_bound(short, room, join):
    client = await asyncio.to_thread(partywidget.connect, room, url=short.http_url, timeout=15)
    try:
        sender = await join(short, room)
        await sender.joined()
        for n in range(10):
            await sender.send({"content": f"m{n}", "cid": f"m{n}"})
            await sender.skip_to("message", cid=f"m{n}")
        for _ in range(500):  # the client's thread folds them: bounded wait for the last
            if client.history() and client.history()[-1]["content"] == "m9":
                break
            await asyncio.sleep(0.02)
        assert [m["content"] for m in client.history()] == ["m7", "m8", "m9"]
    finally:
        await asyncio.to_thread(client.close)


async def test_the_widgets_chat_log_keeps_the_rooms_bound(short, room, join, tmp_path):
    viewer = await join(short, room)
    frames = [*(await viewer.joined())]
    sender = await join(short, room)
    await sender.joined()
    for n in range(10):
        await sender.send({"content": f"m{n}"})
    while len([f for f in frames if f["type"] == "message"]) < 10:
        frames.append(await viewer.recv())
    bundle = tmp_path / "chat-log.mjs"
    subprocess.run([str(ROOT / "node_modules" / ".bin" / "esbuild"), "js/chat-log.ts",
                    "--bundle", "--format=esm", f"--outfile={bundle}"],
                   cwd=ROOT, check=True, capture_output=True, timeout=60)
    (tmp_path / "frames.json").write_text(json.dumps(frames))
    held = await asyncio.to_thread(run_node, str(NODE_DIR / "chat-log.mjs"), str(bundle),
                                   str(tmp_path / "frames.json"))
    ids = [f["id"] for f in frames if f["type"] == "message"]
    assert held == {"ids": ids[-HISTORY:], "dropped": 10 - HISTORY}


def test_the_widgets_count_users_apart_whatever_their_names_hold(tmp_path):
    bundle = tmp_path / "room.mjs"
    subprocess.run([str(ROOT / "node_modules" / ".bin" / "esbuild"), "js/room.ts",
                    "--bundle", "--format=esm", "--platform=node", f"--outfile={bundle}"],
                   cwd=ROOT, check=True, capture_output=True, timeout=60)
    users = [  # joined as text, these keys were all "ann#kernel"
        ["c1", {"username": "ann#kernel"}],
        ["c2", {"username": "ann", "kernel": True}],
        ["c3", {"username": "ann", "label": "kernel"}],
        ["c4", {"username": "ann", "kernel": True}],  # ann's second kernel: the same
    ]
    (tmp_path / "users.json").write_text(json.dumps(users))
    kept = run_node(str(NODE_DIR / "distinct-users.mjs"), str(bundle),
                    str(tmp_path / "users.json"))
    assert kept == ["c1", "c2", "c3"]


def draw(sid: str, points: int) -> dict:
    return {"type": "draw", "sid": sid, "points": [[n % 1000, 1] for n in range(points)]}


async def test_strokes_in_progress_are_capped_per_stroke_and_per_connection(
        shared_standalone, room, join):
    drawer = await join(shared_standalone, room, party="board")
    await drawer.expect("welcome")
    viewer = await join(shared_standalone, room, party="board")
    await viewer.expect("welcome")
    await drawer.skip_to("userJoined")
    half = board.MAX_INKING_POINTS // 2

    for frame in (draw("s1", half), draw("s1", half), draw("s1", 1)):
        await drawer.send(frame)
    assert (await drawer.skip_to("error"))["code"] == "too_large"  # the stroke's cap
    for sid in ("s2", "s2"):
        await drawer.send(draw(sid, half))
    await drawer.send(draw("s3", 1))
    assert (await drawer.skip_to("error"))["code"] == "too_large"  # the connection's cap
    # Finishing a stroke frees its points.
    await drawer.send({"type": "stroke", "sid": "s1", "points": [[1, 1], [2, 2]]})
    await drawer.skip_to("stroke")
    await drawer.send(draw("s3", 1))

    relayed = []
    while len(relayed) < 5:
        frame = await viewer.recv()
        if frame["type"] == "draw":
            relayed.append((frame["sid"], len(frame["points"])))
    assert relayed == [("s1", half), ("s1", half), ("s2", half), ("s2", half), ("s3", 1)]
