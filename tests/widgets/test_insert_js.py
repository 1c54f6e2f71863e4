"""js/insert.ts decides where "Insert below" goes, and whether to offer it at all.

The browser test (tests/browser/test_chat_tools_in_browser.py) clicks it in JupyterLab
and Notebook 7; this one covers the pages without a notebook (no button) and the
model-only decisions, with stand-ins for anywidget's proxy and the widget manager.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import REPO
from tests.integration.clients import NODE_DIR, run_node


def test_insert_below_is_offered_only_in_an_editable_notebook_and_lands_under_its_cell(
        tmp_path: Path) -> None:
    bundle = tmp_path / "insert.mjs"
    subprocess.run([str(REPO / "node_modules" / ".bin" / "esbuild"), "js/insert.ts",
                    "--bundle", "--format=esm", "--platform=node", f"--outfile={bundle}"],
                   cwd=REPO, check=True, capture_output=True, timeout=60)
    result = run_node(str(NODE_DIR / "insert.mjs"), str(bundle))
    # No widget manager (a plain page), no document context (VS Code, Colab, Voila,
    # a console), a read-only notebook: no button.
    assert result["noManager"] and result["noContext"] and result["readOnly"]
    # The one cell showing this model (the third; another model's view and an output
    # of a closed widget do not count) gets the code below it, unrun, its last newline dropped.
    assert result["inserted"] is True
    assert result["calls"] == [[3, {"cell_type": "code", "source": "x = 1"}]]
    # Shown in two cells and no DOM to tell which: nothing is inserted.
    assert result["ambiguous"] is False and result["ambiguousCalls"] == []
