"""Fixtures of the hub suite: one real JupyterHub (tests/hub/realhub.py) and room sockets."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.hub.labpages import signed_in_pages
from tests.hub.realhub import Hub


@pytest.fixture(scope="package")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """One real JupyterHub for the suite: users alice and bob (students, group
    class-101) with running servers, tess (group teachers) and mallory (no group)."""
    hub = Hub(tmp_path_factory.mktemp("hub"))
    try:
        hub.start()
        hub.add_group("teachers")
        hub.add_group("class-101")
        hub.add_user("alice", groups=("class-101",))
        hub.add_user("bob", groups=("class-101",))
        hub.add_user("tess", groups=("teachers",))
        hub.add_user("mallory")
        hub.envs = hub.spawn("alice", "bob")
        yield hub
    finally:
        hub.stop()


@pytest.fixture
def sign_in(browser: Browser, hub: Hub) -> Iterator[Callable[[str], Page]]:
    """``sign_in("alice")``: a page logged in through the hub's login form (own context)."""
    yield from signed_in_pages(browser, hub)
