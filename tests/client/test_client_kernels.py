"""Kernels as room members: two real kernels of a real Jupyter server with the extension."""

from __future__ import annotations

import getpass
import json
import time
from pathlib import Path
from typing import Any

JOIN = """
import json, time, partywidget
from partywidget.client import Backoff
room = partywidget.connect("kernels", backoff=Backoff(min_delay=0.1, max_delay=1))
"""

LISTEN = """
got = []
@room.on_message
def remember(msg):
    got.append({"id": msg["id"], "content": msg["content"], "at": time.time()})
    with open(MARKS, "a") as marks:
        marks.write(json.dumps(got[-1]) + "\\n")
"""

WAIT_OPEN = """
deadline = time.monotonic() + 45
while room.status != "open" and time.monotonic() < deadline:
    time.sleep(0.05)
print(room.status)
"""


def marks(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def test_two_kernels_share_a_room_through_a_server_restart(
        jupyter_server: Any, start_kernel: Any, wait_until: Any, tmp_path: Path) -> None:
    # What the extension puts in the environment of the kernels its server starts.
    env = {"PARTYWIDGET_JUPYTER_URL": jupyter_server.http_url,
           "PARTYWIDGET_JUPYTER_TOKEN": jupyter_server.token}
    a, b = start_kernel(env), start_kernel(env)
    mark_file = tmp_path / "b-marks.jsonl"
    b.run(f"MARKS = {str(mark_file)!r}" + JOIN + LISTEN)
    a.run(JOIN + "room.send('hello from A')")

    # B's callback fires while B is idle: no request runs in B until the mark is there.
    wait_until(lambda: marks(mark_file), what="kernel B's callback")
    asked_at = time.time()
    seen = json.loads(b.run("print(json.dumps(got))"))
    assert [m["content"] for m in seen] == ["hello from A"] and seen[0]["at"] < asked_at

    state = json.loads(b.run("print(json.dumps({'history': room.history(), 'users': room.users,"
                             " 'user': room.user, 'repr': repr(room)}))"))
    assert [m["content"] for m in state["history"]] == ["hello from A"]
    sent = state["history"][0]
    assert sent["user"]["kernel"] is True and sent["user"]["username"] == getpass.getuser()
    assert len(state["users"]) == 2 and all(u["user"]["kernel"] for u in state["users"])
    assert state["user"]["kernel"] is True
    assert state["repr"] == (f"<RoomClient main/kernels open as {getpass.getuser()} "
                             "(2 users, 1 message)>")

    a.run("for n in range(2): room.send(f'before restart {n}')")
    wait_until(lambda: len(marks(mark_file)) == 3, what="messages before the restart")
    jupyter_server.stop()
    a.run("room.send('while the server is down')")  # buffered until A rejoins
    jupyter_server.start()
    assert a.run(WAIT_OPEN).strip() == "open"
    assert b.run(WAIT_OPEN).strip() == "open"
    a.run("room.send('after restart')")
    wait_until(lambda: len(marks(mark_file)) == 5, what="messages after the restart")

    history_a = json.loads(a.run("print(json.dumps(room.history()))"))
    history_b = json.loads(b.run("print(json.dumps(room.history()))"))
    ids = [m["id"] for m in history_b]
    assert ids == list(range(ids[0], ids[0] + 5))  # strictly increasing, contiguous
    assert [m["id"] for m in history_a] == ids
    assert [m["id"] for m in marks(mark_file)] == ids  # each callback exactly once
    assert [m["content"] for m in history_b] == [
        "hello from A", "before restart 0", "before restart 1", "while the server is down",
        "after restart"]

    # A failing callback shows its traceback in B's notebook output, even while B is
    # idle, and B stays in the room.
    b.run("room.on_message(lambda msg: 1 / 0)")
    a.run("room.send('boom')")
    deadline = time.monotonic() + 20
    stderr = ""
    while "ZeroDivisionError" not in stderr:
        msg = b.client.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["msg_type"] == "stream" and msg["content"]["name"] == "stderr":
            stderr += msg["content"]["text"]
    assert "partywidget: callback <lambda> failed on room main/kernels" in stderr
    wait_until(lambda: len(marks(mark_file)) == 6, what="B's other callback")
    assert b.run("print(room.status)").strip() == "open"


def test_magics_in_a_kernel(standalone_server: Any, start_kernel: Any) -> None:
    kernel = start_kernel({"PARTYWIDGET_URL": standalone_server.http_url})
    kernel.run("%load_ext partywidget")
    status = kernel.run("%party")
    assert f"partywidget rooms: {standalone_server.http_url}/parties/{{party}}/{{room}}" in status
    assert "found via PARTYWIDGET_URL" in status and "open rooms in this kernel: 0" in status

    shown = kernel.run("room = %party connect magic\nroom")
    assert shown.startswith("<RoomClient main/magic open as guest-")
    kernel.run("%%party send magic\nhello from a cell\nsecond line\n")
    kernel.run("%%party send other-room\nto a room this kernel has not joined")
    assert json.loads(kernel.run(
        "import json, time\n"
        "deadline = time.monotonic() + 10\n"
        "while not room.history() and time.monotonic() < deadline: time.sleep(0.02)\n"
        "print(json.dumps([m['content'] for m in room.history()]))")) == [
        "hello from a cell\nsecond line"]
    status = kernel.run("%party")
    assert "open rooms in this kernel: 1" in status and "main/magic open" in status

    chat = kernel.run("%chat magic")
    board = kernel.run("%board magic")
    for output, kind in ((chat, "Chat"), (board, "Board")):
        assert kind in output  # the widget, or the clear message that it is missing

    kernel.run("%party?")
    pager = kernel.last_reply["payload"][0]["data"]["text/plain"]
    assert "%party [--party PARTY] [{connect,send}] [room]" in pager
    kernel.run("room.close()")
