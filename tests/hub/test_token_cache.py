"""A token revoked on the hub stops opening rooms within the service's cache lifetime.

The service reuses the hub's answer about a token for ``--hub-cache-seconds``
(30 by default, JupyterHub's own default is 300); the hub suite runs it with
:data:`~tests.hub.realhub.AUTH_CACHE_SECONDS`, so a revoked token must be
refused well within the 30 s this test waits.
"""

from __future__ import annotations

import asyncio
import secrets

import pytest

from tests.hub.realhub import AUTH_CACHE_SECONDS
from tests.integration.clients import fetch

pytestmark = pytest.mark.timeout(120)

#: Seconds the test waits for the refusal: a bound on the test, not a speed target.
PATIENCE = 30.0


async def test_a_revoked_token_stops_working_within_the_cache_lifetime(hub):
    assert AUTH_CACHE_SECONDS * 5 <= PATIENCE < 300  # 300: what the hub's default would give
    made = hub.api("POST", "/users/alice/tokens", {
        "scopes": ["access:services!service=partywidget"], "expires_in": 3600})
    caller = hub.caller(made["token"])
    url = caller.room_url(f"lobby-{secrets.token_hex(4)}", ws=False)
    assert (await fetch("GET", url, headers=caller.auth_headers())).status == 200

    hub.api("DELETE", f"/users/alice/tokens/{made['id']}")
    statuses = []
    for _ in range(int(PATIENCE / 0.5)):  # bounded: PATIENCE seconds of asking
        statuses.append((await fetch("GET", url, headers=caller.auth_headers())).status)
        if statuses[-1] == 403:
            break
        await asyncio.sleep(0.5)
    assert statuses[-1] == 403, statuses
