"""How a kernel picks the hub-wide room service, from its environment alone."""

from __future__ import annotations

import pytest

from partywidget.client import find_room_host
from partywidget.client.hubservice import browser_path, hub_service_selected
from partywidget.errors import ConfigurationError

#: A hub kernel's environment; the API URL is never asked when the choice is explicit.
HUB_ENV = {"JUPYTERHUB_API_TOKEN": "tok", "JUPYTERHUB_API_URL": "http://127.0.0.1:9/hub/api",
           "JUPYTERHUB_BASE_URL": "/jh/", "JUPYTERHUB_PUBLIC_HUB_URL": "https://hub.example/jh/hub/",
           "JUPYTERHUB_SERVICE_URL": "http://127.0.0.1:8890/jh/user/alice/",
           "JUPYTERHUB_SERVICE_PREFIX": "/jh/user/alice/"}


def test_partywidget_host_hub_uses_the_service_through_the_public_url():
    host = find_room_host(env={**HUB_ENV, "PARTYWIDGET_HOST": "hub"})
    assert (host.url, host.token) == ("https://hub.example/jh/services/partywidget", "tok")
    assert browser_path(HUB_ENV) == "/jh/services/partywidget"


def test_partywidget_hub_url_and_service_name_override_the_defaults():
    env = {**HUB_ENV, "PARTYWIDGET_HOST": "hub", "PARTYWIDGET_HUB_SERVICE": "rooms",
           "PARTYWIDGET_HUB_URL": "http://10.0.0.5:10101/jh/services/rooms"}
    assert find_room_host(env=env).url == "http://10.0.0.5:10101/jh/services/rooms"
    assert browser_path(env) == "/jh/services/rooms"


def test_partywidget_host_local_skips_the_hub_service():
    env = {**HUB_ENV, "PARTYWIDGET_HOST": "local"}
    assert not hub_service_selected(env)
    assert find_room_host(env=env).url == "http://127.0.0.1:8890/jh/user/alice/partywidget"


def test_an_unreachable_hub_means_the_users_own_server():
    assert not hub_service_selected(HUB_ENV)  # nothing listens on port 9


def test_outside_jupyterhub_nothing_changes():
    assert not hub_service_selected({})
    with pytest.raises(ConfigurationError, match="not on JupyterHub"):
        hub_service_selected({"PARTYWIDGET_HOST": "hub"})
    with pytest.raises(ConfigurationError, match="'hub' or 'local'"):
        hub_service_selected({"PARTYWIDGET_HOST": "both"})


def test_a_hub_without_a_public_url_says_what_to_configure():
    env = {k: v for k, v in HUB_ENV.items() if k != "JUPYTERHUB_PUBLIC_HUB_URL"}
    with pytest.raises(ConfigurationError, match="public_url"):
        find_room_host(env={**env, "PARTYWIDGET_HOST": "hub"})
