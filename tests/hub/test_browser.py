"""Browsers on a real hub: headless Chromium signed in through the hub's login form.

The widget's way in (docs/jupyterhub.md): a same-origin visit to the service's
root gets the ``service-partywidget`` OAuth cookie silently, then the socket
carries it. Checked first at page level, then with the Chat widget in each
student's own JupyterLab.
"""

from __future__ import annotations

import json
import secrets
import time

import pycrdt
import pytest
from playwright.sync_api import Page, expect
from websockets.sync.client import connect

import partywidget
from tests.hub.labpages import SLOW, run_notebook, write_notebook

pytestmark = pytest.mark.timeout(240)


#: In a page of the hub: the first frame of a socket to a room, or how it failed.
FIRST_FRAME = """async (url) => await new Promise((resolve) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => resolve({error: "timeout"}), 15000);
    ws.onmessage = (event) => { clearTimeout(timer); ws.close(); resolve(JSON.parse(event.data)); };
    ws.onclose = (event) => { clearTimeout(timer); resolve({error: "closed", code: event.code}); };
})"""



def ws_url(hub, room: str) -> str:
    return "ws" + hub.rooms_url[len("http"):] + f"/parties/main/{room}"


def test_a_browser_gets_the_service_cookie_silently_then_its_socket_is_the_hub_user(hub, sign_in):
    page = sign_in("alice")
    room = f"class-101-{secrets.token_hex(4)}"
    before = page.evaluate(FIRST_FRAME, ws_url(hub, room))
    assert before.get("error") == "closed"  # 403 on the upgrade: no service cookie yet
    # What the widget does before each (re)connect (js/room.ts visitRoomHost).
    me = page.evaluate("async (url) => (await fetch(url, {mode: 'no-cors'})).json()",
                       hub.rooms_url + "/")
    assert me["user"]["username"] == "alice"
    assert "service-partywidget" in {c["name"] for c in page.context.cookies()}
    welcome = page.evaluate(FIRST_FRAME, ws_url(hub, room))
    assert welcome["type"] == "welcome"
    assert welcome["user"]["username"] == "alice" and welcome["user"]["moderator"] is False
    assert "kernel" not in welcome["user"]
    # The cookie does not let a page (or another site's form) write over plain HTTP.
    status = page.evaluate("async (url) => (await fetch(url, {method: 'POST', body: 'x'})).status",
                           hub.rooms_url + f"/parties/main/{room}")
    assert status == 403


def open_chat(page: Page, hub, user: str, room: str):
    chat = run_chat(page, hub, user, room)
    expect(chat.locator('.pw-status[data-status="live"]')).to_be_visible(timeout=SLOW)
    return chat


def run_chat(page: Page, hub, user: str, room: str, widget: str = "Chat"):
    """Open the user's notebook of ``widget(room)`` in their JupyterLab and run it; its view."""
    path = write_notebook(hub, user, f"hub-{widget.lower()}.ipynb",
                          [f"from partywidget import {widget}\nview = {widget}({room!r})\nview"])
    run_notebook(page, hub, user, path)
    return page.locator(f".pw-{widget.lower()}").last


def say(chat, text: str) -> None:
    chat.locator(".pw-input").fill(text)
    chat.locator(".pw-input").press("Enter")


def test_two_students_see_each_others_messages_in_the_chat_widget(hub, sign_in):
    room = f"class-101-{secrets.token_hex(4)}"
    alice = open_chat(sign_in("alice"), hub, "alice", room)
    bob = open_chat(sign_in("bob"), hub, "bob", room)
    say(alice, "hello bob, from alice's browser")
    expect(bob.locator(".pw-msg", has_text="hello bob, from alice's browser")
           .locator(".pw-name")).to_contain_text("alice", timeout=SLOW)
    say(bob, "hi alice")
    expect(alice.locator(".pw-msg", has_text="hi alice").locator(".pw-name")
           ).to_contain_text("bob", timeout=SLOW)


def test_a_student_outside_the_rooms_group_is_told_why_in_the_widget(hub, sign_in):
    # mallory is in no group; rooms class-101... are for group class-101 (the docs' config).
    if "mallory" not in hub.envs:
        hub.envs.update(hub.spawn("mallory"))
    room = f"class-101-{secrets.token_hex(4)}"
    chat = run_chat(sign_in("mallory"), hub, "mallory", room)
    expect(chat.locator(".pw-refusal")).to_have_text(
        "Cannot join: This room is restricted to other hub groups (HTTP 403)", timeout=SLOW)
    expect(chat.locator('.pw-status[data-status="closed"]')).to_be_visible()



def test_a_teachers_lock_makes_a_students_notes_read_only_until_unlocked(hub, sign_in):
    room = f"class-101-{secrets.token_hex(4)}"
    notes = run_chat(sign_in("alice"), hub, "alice", room, widget="Notes")
    expect(notes.locator('.pw-status[data-status="live"]')).to_be_visible(timeout=SLOW)
    content = notes.locator(".cm-content")
    banner = notes.locator(".pw-banner")
    expect(banner).to_be_hidden()
    expect(notes.locator(".pw-lock")).to_be_hidden()  # students get no toggle
    url = "ws" + hub.rooms_url[len("http"):] + f"/parties/yjs/{room}"
    with connect(url, additional_headers={"Authorization": f"token {hub.user_token('tess')}"},
                 open_timeout=30) as teacher:
        lock(teacher, True)
        expect(banner).to_have_text("Locked: a moderator made this document read-only for now.",
                                    timeout=SLOW)
        # CodeMirror's editable(false): the content takes no focus, so no keystroke.
        expect(content).to_have_attribute("contenteditable", "false")
        lock(teacher, False)
        expect(banner).to_be_hidden(timeout=SLOW)
        expect(content).to_have_attribute("contenteditable", "true")
    content.click()
    content.press_sequentially("after the lock")
    expect(content).to_contain_text("after the lock")
    with partywidget.doc(room, url=hub.rooms_url, token=hub.user_token("tess")) as document:
        text = document.get("notes", type=pycrdt.Text)
        for _ in range(200):  # the last keys may still be on their way: 10 s at most
            if str(text) == "after the lock":
                break
            time.sleep(0.05)
        assert str(text) == "after the lock"


def lock(teacher, locked: bool) -> None:
    """Send the moderator's lock on a raw socket and wait for its confirmation (text frames)."""
    teacher.send(json.dumps({"type": "lock", "locked": locked}))
    for _ in range(100):  # skip the room's binary Yjs frames
        frame = teacher.recv(timeout=30)
        if isinstance(frame, str):
            assert json.loads(frame) == {"type": "locked", "locked": locked}
            return
    raise AssertionError("no confirmation of the lock")
