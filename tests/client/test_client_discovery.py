"""Finding the room host: precedence of the sources, and the error when none is found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from partywidget.client import FINDERS, HostAddress, find_room_host
from partywidget.errors import ConfigurationError, NotConnectedError

HUB = {"JUPYTERHUB_SERVICE_URL": "http://0.0.0.0:41234/user/alice/",
       "JUPYTERHUB_SERVICE_PREFIX": "/user/alice/", "JUPYTERHUB_API_TOKEN": "hub-token"}
EXTENSION = {"PARTYWIDGET_JUPYTER_URL": "http://127.0.0.1:8888/partywidget",
             "PARTYWIDGET_JUPYTER_TOKEN": "server-token"}
NAMED = {"PARTYWIDGET_URL": "https://rooms.example.org/", "PARTYWIDGET_TOKEN": "named-token"}


def test_url_argument_wins_over_every_environment_variable() -> None:
    host = find_room_host("http://127.0.0.1:1999", "t", env={**NAMED, **EXTENSION, **HUB})
    assert (host.url, host.token, host.source) == ("http://127.0.0.1:1999", "t", "url= argument")


def test_url_argument_without_token_takes_partywidget_token_but_never_the_servers() -> None:
    assert find_room_host("http://h:1", env={**NAMED, **EXTENSION}).token == "named-token"
    assert find_room_host("http://h:1", env={**EXTENSION, **HUB}).token is None


def test_partywidget_url_wins_over_the_jupyter_extension_and_the_hub() -> None:
    host = find_room_host(env={**NAMED, **EXTENSION, **HUB})
    assert (host.url, host.token) == ("https://rooms.example.org", "named-token")
    assert host.room_url("main", "class-101") == "wss://rooms.example.org/parties/main/class-101"


def test_a_kernel_of_a_server_with_the_extension_finds_that_server() -> None:
    host = find_room_host(env={**EXTENSION, **HUB})
    assert (host.url, host.token) == ("http://127.0.0.1:8888/partywidget", "server-token")
    assert "PARTYWIDGET_JUPYTER_URL" in host.source
    assert host.headers() == {"Authorization": "token server-token"}


def test_under_jupyterhub_the_extension_url_uses_the_hub_token() -> None:
    env = {"PARTYWIDGET_JUPYTER_URL": EXTENSION["PARTYWIDGET_JUPYTER_URL"], **HUB}
    assert find_room_host(env=env).token == "hub-token"


def test_jupyterhub_single_user_environment_alone_is_enough() -> None:
    host = find_room_host(env=HUB)
    assert host.url == "http://127.0.0.1:41234/user/alice/partywidget"
    assert host.headers() == {"Authorization": "token hub-token"}
    bare = {**HUB, "JUPYTERHUB_SERVICE_URL": "http://10.0.0.5:41234"}  # URL without the prefix
    assert find_room_host(env=bare).url == "http://10.0.0.5:41234/user/alice/partywidget"


def test_an_explicit_token_overrides_a_discovered_one() -> None:
    assert find_room_host(token="mine", env=EXTENSION).token == "mine"


def test_the_runtime_file_of_the_parent_server_is_the_last_resort(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
    (tmp_path / "jpserver-4242.json").write_text(json.dumps(
        {"url": "http://127.0.0.1:9999/lab-base/", "token": "file-token", "pid": 4242}))
    host = find_room_host(env={"JPY_PARENT_PID": "4242"})
    assert (host.url, host.token) == ("http://127.0.0.1:9999/lab-base/partywidget", "file-token")
    assert "jpserver-4242.json" in host.source
    with pytest.raises(NotConnectedError):
        find_room_host(env={"JPY_PARENT_PID": "4243"})


def test_nothing_found_says_exactly_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PARTYWIDGET_URL", "PARTYWIDGET_JUPYTER_URL", "JUPYTERHUB_SERVICE_URL",
                 "JPY_PARENT_PID"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(NotConnectedError) as caught:
        find_room_host()
    message = str(caught.value)
    for hint in ("url=", "token=", "PARTYWIDGET_URL", "PARTYWIDGET_TOKEN",
                 "jupyter server extension enable partywidget"):
        assert hint in message


def test_a_url_that_is_not_a_room_host_url_is_refused_with_its_source() -> None:
    with pytest.raises(ConfigurationError, match="expected a room host URL.*PARTYWIDGET_URL"):
        find_room_host(env={"PARTYWIDGET_URL": "127.0.0.1:1999"})


def test_another_kind_of_room_host_is_one_more_finder(monkeypatch: pytest.MonkeyPatch) -> None:
    def hub_room_service(env: dict[str, str]) -> HostAddress | None:
        url = env.get("HUB_ROOMS")
        return HostAddress(url, None, "hub room service") if url else None

    monkeypatch.setattr("partywidget.client.discovery.FINDERS", [hub_room_service, *FINDERS])
    host = find_room_host(env={"HUB_ROOMS": "http://hub/services/rooms", **EXTENSION})
    assert host.source == "hub room service"
