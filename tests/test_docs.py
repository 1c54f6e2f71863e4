"""The README and docs/ say what the code does.

Each check ties a statement of the docs to its source of truth: every
``c.PartyWidget`` option with its default (the traitlets), the ``partywidget
serve`` and ``partywidget demo`` help (argparse), every close code
(``CloseCode``), the files the README points to, and the example parties, which
are run against the real room core (a ``RoomHost`` on memory storage, with a
recording transport instead of a socket).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from partywidget.rooms import (CloseCode, Connection, ConnectionContext, Outgoing, Party, Request,
                               RoomHost)
from partywidget.server.config import RoomOptions, ServeConfig
from partywidget.server.extension import PartyWidget
from partywidget.storage import MemoryStorage

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()
CONFIGURATION = (REPO / "docs" / "configuration.md").read_text()
PROTOCOL = (REPO / "docs" / "protocol.md").read_text()
CUSTOM_PARTIES = (REPO / "docs" / "custom-parties.md").read_text()
OPTIONS = RoomOptions.class_traits(config=True)
#: The extension's own options (``url_prefix``): documented in configuration.md only.
EXTENSION_OPTIONS = {name: trait
                     for name, trait in PartyWidget.class_own_traits(config=True).items()
                     if name not in OPTIONS}
#: ``partywidget serve``'s own options (``jwt_*``): documented in configuration.md only.
SERVE_OPTIONS = {name: trait for name, trait in ServeConfig.class_own_traits(config=True).items()
                 if name not in OPTIONS}


def documented_default(value: Any) -> str:
    """How the docs write a default: Python literals, as in a config file."""
    return json.dumps(value) if isinstance(value, str) else repr(value)


def python_block(text: str, first_line: str) -> str:
    """The ```python block of ``text`` that starts with ``first_line``."""
    found = re.search(r"```python\n(" + re.escape(first_line) + r"\n.*?)```", text, re.S)
    assert found, f"expected a python block starting with {first_line!r}"
    return found.group(1)


def party_class(source: str, name: str) -> type[Party]:
    namespace: dict[str, Any] = {"__name__": "doc_example"}
    exec(compile(source, f"<doc example {name}>", "exec"), namespace)  # noqa: S102 - our own docs
    return namespace[name]


class Recorder:
    """A transport that keeps what the room sends (text frames decoded as JSON if they are)."""

    buffered_amount = 0

    def __init__(self) -> None:
        self.frames: list[Any] = []

    def send(self, message: Outgoing) -> None:
        try:
            self.frames.append(json.loads(message.text))
        except ValueError:
            self.frames.append(message.text)

    def close(self, code: int, reason: str) -> None:
        self.frames.append(("closed", code))


async def join(host: RoomHost, party: str, username: str) -> tuple[Connection, list[Any]]:
    """Connect ``username`` to room ``demo`` of ``party``; return it and its (live) frames."""
    recorder = Recorder()
    connection = Connection(f"conn-{username}", {"username": username}, recorder)
    await host.room(party, "demo").connect(
        connection, ConnectionContext(Request("GET", "ws://test/", connection.user)))
    return connection, recorder.frames


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_every_option_is_documented_with_its_default(name: str) -> None:
    row = f"| `c.PartyWidget.{name}` | `{documented_default(OPTIONS[name].default())}`"
    assert row in CONFIGURATION, f"docs/configuration.md lacks {row}"
    assert row in README, f"README.md lacks {row}"


@pytest.mark.parametrize("name", sorted({**EXTENSION_OPTIONS, **SERVE_OPTIONS}))
def test_every_extension_option_is_documented_with_its_default(name: str) -> None:
    trait = {**EXTENSION_OPTIONS, **SERVE_OPTIONS}[name]
    row = f"| `c.PartyWidget.{name}` | `{documented_default(trait.default())}`"
    assert row in CONFIGURATION, f"docs/configuration.md lacks {row}"


def test_the_docs_name_no_option_that_does_not_exist() -> None:
    known = set(OPTIONS) | set(EXTENSION_OPTIONS) | set(SERVE_OPTIONS)
    for name, text in (("README.md", README), ("docs/configuration.md", CONFIGURATION)):
        named = set(re.findall(r"c\.PartyWidget\.(\w+)", text))
        assert named <= known, f"{name} names unknown options {named - known}"


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_configuration_shows_the_current_command_help(command: str) -> None:
    result = subprocess.run([sys.executable, "-m", "partywidget", command, "--help"],
                            capture_output=True, text=True, check=True, timeout=60,
                            env={**os.environ, "COLUMNS": "80"})
    assert f"$ partywidget {command} --help\n{result.stdout.rstrip()}\n```" in CONFIGURATION


@pytest.mark.parametrize("code", [c for c in CloseCode if c is not CloseCode.NORMAL])
def test_every_close_code_is_documented(code: CloseCode) -> None:
    assert re.search(rf"^\| {int(code)} \|", PROTOCOL, re.M), f"protocol.md lacks {int(code)}"
    assert re.search(rf"^\| {int(code)} \|", README, re.M), f"README.md lacks {int(code)}"


def test_every_error_code_the_server_sends_is_documented() -> None:
    sources = [path.read_text() for folder in ("protocol", "rooms", "parties")
               for path in (REPO / "partywidget" / folder).glob("*.py")]
    codes = {code for text in sources for code in re.findall(
        r'(?:ProtocolError|error_frame|ErrorFrame|Response\.error)\(\s*"([a-z_]+)"', text)}
    assert {"bad_json", "bad_message", "forbidden", "rate_limited"} <= codes
    missing = {code for code in codes if f"| `{code}` |" not in PROTOCOL}
    assert not missing, f"docs/protocol.md lacks error codes {sorted(missing)}"


def test_every_message_type_of_the_built_in_parties_is_documented() -> None:
    # Every frame is spelled in partywidget/protocol/: envelope classes name
    # their type, spliced frames start with it, join frames are JOIN_TYPE.
    sources = [path.read_text() for path in (REPO / "partywidget" / "protocol").glob("*.py")]
    types = set()
    for text in sources:
        types |= set(re.findall(r'type: ClassVar\[str\] = "(\w+)"', text))
        types |= set(re.findall(r'JOIN_TYPE = "(\w+)"', text))
        types |= set(re.findall(r'\{"type": ?"(\w+)"', text))
    assert {"message", "stroke", "welcome", "userJoined", "locked"} <= types
    missing = {kind for kind in types if f'"type": "{kind}"' not in PROTOCOL}
    assert not missing, f"docs/protocol.md lacks message types {sorted(missing)}"


def test_readme_names_the_two_commands_and_they_exist() -> None:
    assert "bash scripts/demo.sh" in README and (REPO / "scripts" / "demo.sh").is_file()
    assert "bash scripts/test.sh" in README and (REPO / "scripts" / "test.sh").is_file()
    assert "scripts/test.sh" in (REPO / ".ci" / "run").read_text()


def test_readme_links_point_at_files_that_exist() -> None:
    targets = re.findall(r"\]\(((?:docs|notebooks)/[^)#]+)", README)
    assert "docs/images/chat.png" in targets and "docs/images/board.png" in targets
    missing = [target for target in targets if not (REPO / target).is_file()]
    assert not missing, f"README links to missing files: {missing}"


def test_readme_has_the_binder_launch_link_of_the_quickstart() -> None:
    link = ("https://mybinder.org/v2/gh/ORG/REPO/HEAD?urlpath=lab/tree/notebooks/"
            "01-quickstart.ipynb")
    assert link in README and "(docs/releasing.md)" in README
    # The placeholder and how to replace it are documented once, in the release steps.
    assert link in (REPO / "docs" / "releasing.md").read_text()


def test_readme_points_scale_out_at_the_redis_setting_and_its_guide() -> None:
    assert "**not yet available.**" not in README
    assert "`--redis URL`" in README and "(docs/scaling.md)" in README


async def test_the_readme_party_example_shouts_to_the_others() -> None:
    shout = party_class(python_block(README, "# echo_party.py"), "Shout")
    host = RoomHost(MemoryStorage(), {"shout": shout})
    await host.start()
    try:
        ada, ada_frames = await join(host, "shout", "ada")
        _, bo_frames = await join(host, "shout", "bo")
        await host.room("shout", "demo").receive(ada, "hello")
        assert bo_frames == ["HELLO"]
        assert ada_frames == []
    finally:
        await host.close()


async def test_the_custom_party_example_counts_for_everyone_and_refuses_bad_input() -> None:
    counter = party_class(python_block(CUSTOM_PARTIES, "# counter_party.py"), "Counter")
    host = RoomHost(MemoryStorage(), {"counter": counter})
    await host.start()
    try:
        ada, ada_frames = await join(host, "counter", "ada")
        _, bo_frames = await join(host, "counter", "bo")
        room = host.room("counter", "demo")
        await room.receive(ada, json.dumps({"type": "add", "by": 2}))
        await room.receive(ada, json.dumps({"type": "add", "by": "2"}))
        assert bo_frames == [{"type": "count", "value": 0}, {"type": "count", "value": 2}]
        assert ada_frames[:2] == bo_frames
        assert ada_frames[2]["type"] == "error" and ada_frames[2]["code"] == "bad_message"
        assert await room.storage.get("value") == 2
    finally:
        await host.close()
