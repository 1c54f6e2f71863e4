"""Snippets: the kernel API (push, clear, snippets) over a fake client."""

from __future__ import annotations

from typing import Any

import pytest

from partywidget import ProtocolError, Snippets


def test_push_and_clear_send_their_frames_and_snippets_follow(fake_client: Any) -> None:
    board = Snippets("class-101")
    assert board.snippets == []
    board.push("import pandas as pd")
    board.push("# Title", language="markdown")
    board.clear()
    assert fake_client.raw == [
        {"type": "push", "code": "import pandas as pd", "language": "python"},
        {"type": "push", "code": "# Title", "language": "markdown"}, {"type": "clear"}]
    item = {"id": 1, "code": "x = 1", "language": "python", "by": "Tess", "at": 1}
    fake_client.feed({"type": "snippets", "snippets": {"items": [item]}})
    assert board.snippets == [item]
    with pytest.raises(ProtocolError, match="language"):
        board.push("x", language="<script>")
