"""``partywidget.doc``: a real kernel's pycrdt document and a stock Node Yjs provider share one.

The kernel finds its room host as any kernel of the server does; the Node side
is ``tests/node/yjs.mjs`` (y-partyserver's provider writes, y-websocket's reads).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.integration.clients import run_node

JOIN = """
import json, partywidget, pycrdt
d = partywidget.doc("shared-doc")
text = d.get("t", type=pycrdt.Text)

@text.observe
def changed(event):
    with open(MARKS, "a") as marks:
        marks.write(json.dumps(str(text)) + "\\n")
"""


def node(server: Any, mode: str, *args: str) -> dict[str, Any]:
    return run_node("yjs.mjs", mode, server.host, "shared-doc", *args, server.token)


def texts(path: Path) -> list[str]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_kernel_and_a_stock_provider_edit_one_document_across_a_restart(
        jupyter_server: Any, start_kernel: Any, wait_until: Any, tmp_path: Path) -> None:
    env = {"PARTYWIDGET_JUPYTER_URL": jupyter_server.http_url,
           "PARTYWIDGET_JUPYTER_TOKEN": jupyter_server.token}
    kernel = start_kernel(env)
    mark_file = tmp_path / "marks.jsonl"
    kernel.run(f"MARKS = {str(mark_file)!r}" + JOIN + "text += 'kernel '")

    # partywidget.shared is the Y.Map "state" of the same document.
    kernel.run("state = partywidget.shared('shared-doc')\n"
               "state['question'] = {'text': '2+2?', 'options': [3, 4]}")
    written = node(jupyter_server, "write", "node ")
    assert "node " in written["text"]
    assert written["state"] == {"question": {"text": "2+2?", "options": [3, 4]}}
    # The kernel's observer fires while the kernel is idle.
    wait_until(lambda: any("node " in t for t in texts(mark_file)), what="node's edit")
    assert kernel.run("print(str(text))").strip() == written["text"].strip()
    assert "kernel " in node(jupyter_server, "read")["text"]

    # Edits made while the host is down reach the room in the resync after it is back.
    jupyter_server.stop()
    kernel.run("text += 'offline '")
    jupyter_server.start()
    wait_until(lambda: "offline " in node(jupyter_server, "read")["text"],
               timeout=60, what="the offline edit to reach the room")
    state = json.loads(kernel.run("print(json.dumps([d.status, d.synced]))"))
    assert state == ["open", True]
