"""docs/jupyterhub.md shows the admin exactly what the hub suite runs, in few lines."""

from __future__ import annotations

from tests.hub.realhub import docs_config_block


def test_the_admin_adds_at_most_ten_lines():
    lines = [line for line in docs_config_block().splitlines() if line.strip()]
    assert len(lines) <= 10, lines


def test_the_test_hub_runs_the_documented_block_verbatim(hub):
    assert docs_config_block() in (hub.workdir / "jupyterhub_config.py").read_text()
