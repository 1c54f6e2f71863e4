"""The public API of ``partywidget``: small, pinned, and cheap to import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import partywidget
from partywidget import errors

REPO = Path(__file__).resolve().parent.parent

PUBLIC_API = [
    "AuthError", "Board", "Chat", "ClientError", "ConfigurationError", "Hands", "InvalidName",
    "LimitExceeded", "NotAllowed", "NotConnectedError", "Notes", "Party", "PartyWidgetError",
    "Poll", "ProtocolError", "Quiz", "Removed", "Snippets", "StorageError", "UnknownParty",
    "__version__", "connect", "doc", "load_ipython_extension", "shared",
]


def test_the_public_api_is_exactly_the_pinned_names():
    assert sorted(partywidget.__all__) == PUBLIC_API


def test_every_public_name_resolves():
    for name in PUBLIC_API:
        assert getattr(partywidget, name) is not None, name


def test_the_errors_at_top_level_are_the_error_tree():
    for name in PUBLIC_API:
        value = getattr(partywidget, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert value is getattr(errors, name)
            assert issubclass(value, partywidget.PartyWidgetError)


def test_party_is_the_room_core_class():
    from partywidget.rooms import Party

    assert partywidget.Party is Party


def test_unknown_attributes_raise_attribute_error():
    try:
        partywidget.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_importing_partywidget_loads_neither_anywidget_nor_websockets_nor_pycrdt():
    # A fresh interpreter: this test process may have imported them already.
    code = ("import json, sys, partywidget; "
            "print(json.dumps(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('anywidget', 'websockets', 'pycrdt'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60, cwd=REPO)
    assert json.loads(result.stdout) == []


#: What a kernel must never pay for: the room host, its storage, Tornado and SQLite.
SERVER_SIDE = ("partywidget.rooms", "partywidget.storage", "partywidget.server",
               "partywidget.parties", "tornado", "sqlite3")


def modules_loaded_by(code: str) -> dict[str, list[str]]:
    """Run ``code`` in a fresh interpreter; the server-side modules loaded before and by it."""
    script = ("import json, sys\n"
              "def server_side():\n"
              f"    return sorted(m for m in sys.modules if m.startswith({SERVER_SIDE!r}))\n"
              "before = server_side()\n"
              f"{code}\n"
              "print(json.dumps({'before': before, 'after': server_side()}))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, timeout=120, cwd=REPO)
    return json.loads(result.stdout.splitlines()[-1])


def test_a_kernel_connecting_loads_no_server_code():
    loaded = modules_loaded_by("import partywidget\npartywidget.connect")
    assert loaded["after"] == []


@pytest.mark.parametrize("widget", ["Chat", "Board", "Notes", "Poll", "Hands", "Quiz", "Snippets"])
def test_a_kernel_showing_a_widget_loads_no_server_code(widget):
    # IPython (which anywidget imports) loads sqlite3 for its own history, so
    # import it first: what is left is what partywidget itself would add.
    loaded = modules_loaded_by(f"import IPython\nimport partywidget\npartywidget.{widget}")
    ipython = modules_loaded_by("import IPython")["after"]
    assert [m for m in loaded["after"] if m not in ipython] == []


def test_a_kernel_using_a_shared_document_loads_no_server_code():
    loaded = modules_loaded_by("import partywidget\nimport sys\npartywidget.doc\n"
                               "assert 'pycrdt' in sys.modules")
    assert loaded["after"] == []
