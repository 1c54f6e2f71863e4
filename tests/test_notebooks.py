"""Every notebook in ``notebooks/`` runs top to bottom against a real Jupyter server.

nbclient executes each notebook in a fresh kernel, started with the environment the
partywidget extension gives the kernels of its own server (``PARTYWIDGET_JUPYTER_URL``
and ``PARTYWIDGET_JUPYTER_TOKEN`` of the ``jupyter_server`` fixture), in a temporary
copy of ``notebooks/`` so that files a notebook writes stay out of the checkout.
A cell that raises fails the test (nbclient's default); each notebook's key result is
then checked in its outputs. Outputs are never committed, which is checked too.
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from PIL import Image

import partywidget

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
EXPECTED = ["01-quickstart.ipynb", "02-kernel-bots.ipynb", "03-custom-party.ipynb",
            "04-classroom.ipynb", "05-shared-state.ipynb", "06-classroom-activities.ipynb"]
#: Seconds one cell may take; the slowest waits in the notebooks are bounded at 10-30 s.
CELL_TIMEOUT = 120
#: Variables that would point a kernel at another room host than the test's server.
FOREIGN_HOST_VARIABLES = ("PARTYWIDGET_URL", "PARTYWIDGET_TOKEN", "PARTYWIDGET_HOST",
                          "JUPYTERHUB_API_TOKEN", "JUPYTERHUB_SERVICE_URL",
                          "JUPYTERHUB_API_URL", "JPY_PARENT_PID")

pytestmark = pytest.mark.timeout(600)


def read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def execute(name: str, server: Any, workdir: Path) -> nbformat.NotebookNode:
    """Run notebook ``name`` from a copy of notebooks/ in ``workdir``; return it executed."""
    shutil.copytree(NOTEBOOKS, workdir, ignore=shutil.ignore_patterns(
        ".ipynb_checkpoints", "__pycache__", "*.py"))
    return run(nbformat.read(workdir / name, as_version=4), server, workdir)


def run(notebook: nbformat.NotebookNode, server: Any, workdir: Path) -> nbformat.NotebookNode:
    """Execute ``notebook`` in ``workdir`` with a kernel of ``server``'s environment."""
    env = {key: value for key, value in os.environ.items()
           if key not in FOREIGN_HOST_VARIABLES}
    env.update(PARTYWIDGET_JUPYTER_URL=server.http_url, PARTYWIDGET_JUPYTER_TOKEN=server.token)
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    client.execute(env=env)
    return notebook


def output_text(notebook: nbformat.NotebookNode) -> str:
    """Everything the notebook printed or displayed as text, SVG and HTML."""
    parts: list[str] = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                parts.append(output.get("text", ""))
            for mime in ("text/plain", "image/svg+xml", "text/html"):
                value = output.get("data", {}).get(mime)
                if value:
                    parts.append(value if isinstance(value, str) else "".join(value))
    return "\n".join(parts)


def test_the_notebooks_are_there() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_is_committed_without_outputs(name: str) -> None:
    for index, cell in enumerate(read(name).cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name} cell {index} has committed outputs"
            assert cell.execution_count is None, f"{name} cell {index} has an execution count"


def room_entries(server: Any, room: str, party: str = "main") -> list[dict[str, Any]]:
    """What ``room`` of ``party`` holds now: chat messages, or board strokes and items."""
    frames: list[Any] = []
    with partywidget.connect(room, party, url=server.http_url, token=server.token,
                             on_event=frames.append) as client:
        if party == "main":
            return client.history()
    state, = (f for f in frames if isinstance(f, dict) and f.get("type") == "state")
    return state["strokes"]


def test_quickstart_runs_and_the_kernel_is_a_member_of_the_room(
        jupyter_server: Any, tmp_path: Path) -> None:
    notebook = execute("01-quickstart.ipynb", jupyter_server, tmp_path / "notebooks")
    text = output_text(notebook)
    assert "Hello from the kernel 👋" in text
    # Pen strokes export as filled ink outlines (perfect-freehand), one path each.
    assert re.search(r'<path d="[^"]+" fill="#[0-9a-f]{6}"/>', text), \
        "expected the exported board to hold the smile"
    assert "'closed'" in text
    # Run again (a second tab, a re-run): greeted once, the smile redrawn, not doubled.
    again = output_text(execute("01-quickstart.ipynb", jupyter_server, tmp_path / "again"))
    assert "Hello from the kernel 👋" in again
    said = [m["content"] for m in room_entries(jupyter_server, "demo-quickstart")]
    assert said.count("Hello from the kernel 👋") == 1
    assert said.count("…and hello from the Chat widget's kernel side") == 1
    drawn = room_entries(jupyter_server, "demo-quickstart", "board")
    assert len([s for s in drawn if s["user"].get("kernel")]) == 3


def test_kernel_bots_answer_calc_and_plot_the_room(jupyter_server: Any, tmp_path: Path) -> None:
    notebook = execute("02-kernel-bots.ipynb", jupyter_server, tmp_path / "notebooks")
    text = output_text(notebook)
    assert "2+2 = 4" in text
    assert "refused:" in text  # the calculator never evaluates names or calls
    assert re.search(r"<svg[^>]*>.*pizza", text, re.S), "expected a chart of the room's words"
    # Pen strokes export as filled ink outlines: the second bar is orange (PALETTE[1]).
    assert re.search(r'<path d="[^"]+" fill="#fb8c00"/>', text), \
        "expected the chart's bars on the exported board"
    pngs = [output["data"]["image/png"] for cell in notebook.cells
            for output in cell.get("outputs", []) if "image/png" in output.get("data", {})]
    assert len(pngs) == 1, "expected the labelled board rendered to PNG by the kernel"
    assert Image.open(io.BytesIO(base64.b64decode(pngs[0]))).size == (1000, 625)
    board = room_entries(jupyter_server, "demo-bots", "board")
    # Run again: the words are counted once, the chart and its labels replace the last ones.
    execute("02-kernel-bots.ipynb", jupyter_server, tmp_path / "again")
    said = [m["content"] for m in room_entries(jupyter_server, "demo-bots")]
    assert said.count("I would love pizza today") == 1
    # The bot answers when addressed (@calc-bot), once per question of each run.
    assert said.count("@calc-bot 2+2") == said.count("2+2 = 4") == 2
    assert len([c for c in said if str(c).startswith("Words of the room")]) == 1
    redrawn = room_entries(jupyter_server, "demo-bots", "board")
    for entries in (board, redrawn):
        bars = [s for s in entries if s["user"].get("label") == "plot-bot"]
        # The axis and a bar per word: love, pizza, today, pasta, definitely, salad.
        assert len(bars) == 7
        assert len([i for i in entries if "kind" in i]) == 3
    assert {s["id"] for s in board}.isdisjoint(s["id"] for s in redrawn)


def test_custom_party_poll_counts_votes_and_draws_the_result(
        jupyter_server: Any, tmp_path: Path) -> None:
    notebook = execute("03-custom-party.ipynb", jupyter_server, tmp_path / "notebooks")
    text = output_text(notebook)
    assert "'counts': {'pizza': 2, 'pasta': 0, 'salad': 1}" in text
    assert re.search(r"<svg[^>]*>.*Lunch today\?", text, re.S)
    assert (tmp_path / "notebooks" / "poll_party.py").is_file()
    # The teacher's cell shows the poll asked, not the empty one sent on joining.
    asked = output_text(nbformat.NotebookNode(cells=[notebook.cells[6]]))
    assert "'question': 'Lunch today?'" in asked
    # The expected refusal is a friendly line, not red stderr.
    assert "refused, as it should be: [bad_vote] expected one of" in text
    assert [o for c in notebook.cells for o in c.get("outputs", [])
            if o.get("name") == "stderr"] == []


def run_twice(name: str, server: Any, tmp_path: Path) -> list[str]:
    """The output text of ``name`` run, then re-run on the same rooms (a re-run, a 2nd tab)."""
    workdir = tmp_path / "notebooks"
    first = output_text(execute(name, server, workdir))
    again = run(nbformat.read(workdir / name, as_version=4), server, workdir)
    return [first, output_text(again)]


def test_classroom_runs_without_a_hub(jupyter_server: Any, tmp_path: Path) -> None:
    for text in run_twice("04-classroom.ipynb", jupyter_server, tmp_path):
        assert "partywidget rooms: " + jupyter_server.http_url in text
        assert "locked: True" in text and "locked: False" in text
        assert "deleted message" in text
    # The message posted by mistake is gone after both runs, not left behind by one.
    said = [m["content"] for m in room_entries(jupyter_server, "demo-classroom")]
    assert not [c for c in said if "homework answers" in str(c)]


def test_shared_state_reaches_the_other_member_and_back(
        jupyter_server: Any, tmp_path: Path) -> None:
    for text in run_twice("05-shared-state.ipynb", jupyter_server, tmp_path):
        assert "the student sees: 2+2?" in text
        assert "the teacher sees: answer-ada = 4" in text
        assert "the callback heard: [{'answer-ada': 4}]" in text
        assert "the student's notes: Today: addition.\n" in text  # once, not once per run
        assert "closed" in text


def test_classroom_activities_run_twice_with_the_same_results(
        jupyter_server: Any, tmp_path: Path) -> None:
    # The teacher's notebook re-run on the same rooms starts each activity afresh:
    # one ballot, one question, one snippet, never the first run's on top.
    for text in run_twice("06-classroom-activities.ipynb", jupyter_server, tmp_path):
        assert "counts: {'for i in range(5)': 1, 'for i in range(1, 5)': 0, 'while i < 5': 0}" \
            in text
        assert "the student's marks: [True, True, False]" in text
        assert "hands up: 1 | the student's place: 1" in text
        assert "questions: ['Why is range() exclusive?']" in text
        assert "1 snippet for the student, first line: import pandas as pd" in text


def test_classroom_shows_the_hub_configuration_of_the_docs_verbatim() -> None:
    # docs/jupyterhub.md holds the configuration the hub tests run; the notebook
    # must show the same lines, not a copy that drifted.
    docs = (REPO / "docs" / "jupyterhub.md").read_text()
    block = re.search(r"<!-- hub-config[^>]*-->\s*```python\n(.*?)```", docs, re.S)
    assert block, "expected the hub-config block in docs/jupyterhub.md"
    markdown = "\n".join(c.source for c in read("04-classroom.ipynb").cells
                         if c.cell_type == "markdown")
    assert block.group(1) in markdown


def test_the_readme_usage_runs_in_a_notebook(jupyter_server: Any, tmp_path: Path) -> None:
    # The Python blocks of the README's "In a notebook" section, one cell each, in order.
    readme = (REPO / "README.md").read_text()
    section = readme.split("## In a notebook", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 3, "expected the magics, the widgets and the kernel client blocks"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(b) for b in blocks])
    run(notebook, jupyter_server, tmp_path)  # a cell that raises fails the test
    assert "<partywidget.widgets.chat.Chat" in output_text(notebook)
    assert [cell.execution_count for cell in notebook.cells] == [1, 2, 3]
