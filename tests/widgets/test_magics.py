"""``%chat`` and ``%board``: a typo is a usage error with a hint, never a stuck widget."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from partywidget.magics import register


@pytest.fixture(scope="module")
def shell() -> Iterator[InteractiveShell]:
    ipython = InteractiveShell.instance()
    register(ipython)
    yield ipython
    InteractiveShell.clear_instance()


@pytest.mark.parametrize("magic", ["chat", "board"])
def test_a_room_with_a_space_gets_a_hint(shell: InteractiveShell, magic: str) -> None:
    with pytest.raises(UsageError, match=f"a room name has no spaces: try %{magic} my-room"):
        shell.run_line_magic(magic, "my room")


@pytest.mark.parametrize("magic", ["chat", "board"])
def test_a_bad_room_name_is_said_at_the_magic(shell: InteractiveShell, magic: str,
                                              fake_client: Any) -> None:
    with pytest.raises(UsageError, match="expected a room name .* got 'bad!'"):
        shell.run_line_magic(magic, "bad!")
