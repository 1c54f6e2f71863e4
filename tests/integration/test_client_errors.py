"""The kernel client's errors as a user meets them: at the call, the message last.

Run as real scripts against the shared servers, so the traceback is the one a
user reads, not one pytest rewrote.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import threading
from traceback import walk_tb

import pytest

import partywidget
from partywidget.client import aconnect
from partywidget.errors import UnknownParty


def run_script(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=60)


def test_a_refused_join_ends_in_its_message_not_in_asyncio_frames(shared_jupyter) -> None:
    result = run_script(f"""
        import partywidget
        partywidget.connect("x", "nope", url={shared_jupyter.http_url!r},
                            token={shared_jupyter.token!r})
    """)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1
    assert lines[-1].startswith("partywidget.errors.UnknownParty: no party 'nope' at ")
    # The user's line, connect() and the re-raise: no concurrent.futures, no coroutines.
    assert sum(line.lstrip().startswith('File "') for line in lines) <= 3, result.stderr
    assert "concurrent" not in result.stderr and "membership.py" not in result.stderr
    assert "During handling" not in result.stderr and "direct cause" not in result.stderr


async def test_the_async_form_ends_in_its_message_too(shared_standalone) -> None:
    with pytest.raises(UnknownParty) as raised:
        await aconnect("x", "nope", url=shared_standalone.http_url)
    assert raised.value.__traceback__ is not None
    files = {frame.f_code.co_filename for frame, _ in walk_tb(raised.value.__traceback__)}
    assert not any("membership" in name or "futures" in name for name in files), files


def test_a_jupyter_servers_root_says_where_rooms_live(shared_jupyter) -> None:
    root = f"http://127.0.0.1:{shared_jupyter.port}"
    with pytest.raises(UnknownParty, match=re.escape(
            f"nothing at {root} serves partywidget rooms (HTTP 404: Not Found); in a Jupyter "
            f"server rooms live under {root}/partywidget: pass url='{root}/partywidget'")):
        partywidget.connect("x", url=root, token=shared_jupyter.token, timeout=30)
    with partywidget.connect("x", url=f"{root}/partywidget", token=shared_jupyter.token):
        pass  # where the message said


def test_an_unknown_party_is_named_by_the_room_host(room_server) -> None:
    with pytest.raises(UnknownParty, match=r"no party 'nope' at .* \(HTTP 404\): Unknown "
                                           r"party; check the party name$"):
        partywidget.connect("x", "nope", url=room_server.http_url, token=room_server.token,
                            timeout=30)


def test_refusals_go_to_on_error_when_the_code_handles_them(shared_standalone, room,
                                                           capsys) -> None:
    with partywidget.connect(room, url=shared_standalone.http_url) as client:
        printed = threading.Event()
        client.on_event(lambda frame: printed.set() if frame.get("type") == "error" else None)
        client.send_raw({"type": "nonsense"})
        assert printed.wait(10)  # the stderr line is written before the frame's callbacks run
    assert f"room main/{room} refused a message: [" in capsys.readouterr().err

    with partywidget.connect(room, url=shared_standalone.http_url) as client:
        handled: list[dict] = []
        done = threading.Event()

        @client.on_error
        def note(frame: dict) -> None:
            handled.append(frame)
            done.set()

        client.send_raw({"type": "nonsense"})
        assert done.wait(10)
    assert handled[0]["type"] == "error" and handled[0]["code"]
    assert "refused a message" not in capsys.readouterr().err
