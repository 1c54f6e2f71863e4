"""Connection ids namespaced by user, host-chosen guest names, 409 retries, bad ``_pk``s.

Issue 17, items 2 and 10 (docs/security.md, "Who is who"): the room's id for a
connection is its ``_pk`` keyed by the authenticated user, so presenting
someone else's ``_pk`` (or the id the room announced for them) never takes
over their connection; ``partywidget serve`` names guests with the same key,
so a guest's name is not the client's to choose.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
from pathlib import Path

import partywidget
from websockets.asyncio.client import connect

from .clients import NODE_DIR, fetch, refused_url_status, room_ws_url

ROOT = Path(__file__).resolve().parents[2]


async def test_serve_guests_are_named_by_the_host_not_by_their_pk(shared_standalone, room,
                                                                  join):
    victim = await join(shared_standalone, room, pk="abcd-victim")
    welcome, _ = await victim.joined()
    guest = welcome["user"]["username"]
    assert guest.startswith("guest-") and "abcd" not in guest
    # Same first four characters, the announced id: other guests, other ids.
    for pk in ("abcd-thief", welcome["id"]):
        thief = await join(shared_standalone, room, pk=pk)
        stolen, _ = await thief.joined()
        assert stolen["user"]["username"] != guest and stolen["id"] != victim.id
    await victim.close()
    # The victim's own _pk still brings back the same guest and the same id.
    back = await join(shared_standalone, room, pk="abcd-victim")
    again, _ = await back.joined()
    assert (again["user"]["username"], again["id"]) == (guest, victim.id)


async def test_serve_sockets_without_a_pk_are_each_their_own_guest(shared_standalone, room):
    # Not one shared guest: that guest would hold every such socket's connection cap.
    names = set()
    for _ in range(3):
        async with connect(shared_standalone.room_url(room), open_timeout=15) as ws:
            names.add(json.loads(await asyncio.wait_for(ws.recv(), 15))["user"]["username"])
    assert len(names) == 3 and all(n.startswith("guest-") and n != "guest-anon" for n in names)


async def test_the_python_client_takes_a_new_pk_when_its_pk_is_refused_with_409(
        shared_standalone):
    room = f"claimed-{secrets.token_hex(4)}"
    client = await asyncio.to_thread(partywidget.connect, room, "claimed",
                                     url=shared_standalone.http_url, timeout=15)
    try:
        assert client.status == "open" and client.id
    finally:
        await asyncio.to_thread(client.close)


async def test_a_pk_with_a_newline_is_a_400_and_cannot_forge_a_log_line(shared_standalone, room):
    marker = f"FORGED-{secrets.token_hex(4)}"
    url, _ = room_ws_url(shared_standalone, room, pk=f"x\n{marker} partywidget: forged")
    assert await refused_url_status(url) == 400
    http = await fetch("GET", shared_standalone.room_url(room, ws=False) + f"?_pk=x%0A{marker}")
    assert http.status == 200  # HTTP uses _pk for nothing but a guest's (keyed) name
    log = shared_standalone.log_path.read_text()
    assert marker in log  # the refusal was logged...
    assert not any(line.startswith(marker) for line in log.splitlines())  # ...on its own line


async def test_the_widgets_take_a_new_pk_when_theirs_is_refused(shared_standalone, tmp_path):
    bundle = tmp_path / "room.mjs"
    subprocess.run([str(ROOT / "node_modules" / ".bin" / "esbuild"), "js/room.ts", "--bundle",
                    "--format=esm", "--platform=node", f"--outfile={bundle}"],
                   cwd=ROOT, check=True, capture_output=True, timeout=60)
    room = f"claimed-{secrets.token_hex(4)}"
    done = await asyncio.to_thread(
        subprocess.run, ["node", "--experimental-websocket", "room-retry.mjs", str(bundle),
                         f"127.0.0.1:{shared_standalone.port}", room, "claimed"],
        cwd=NODE_DIR, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["frame"]["type"] == "welcome"
    assert result["drops"] == [False, False]  # two refusals, then a new _pk got in
