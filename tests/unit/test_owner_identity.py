"""Which identity providers make the room user the Jupyter server's owner."""

from __future__ import annotations

import pytest
from jupyter_server.auth.identity import (IdentityProvider, LegacyIdentityProvider,
                                          PasswordIdentityProvider)

from partywidget.server.extension import owned_by_its_runner


class SiteProvider(IdentityProvider):
    """A site's own provider: it names real users."""


@pytest.mark.parametrize("provider, owned", [
    (IdentityProvider, True),
    (PasswordIdentityProvider, True),
    (LegacyIdentityProvider, False),  # JupyterHub's legacy single-user mode: real hub users
    (SiteProvider, False),
])
def test_only_jupyter_servers_own_token_and_password_providers_mean_the_owner(provider, owned):
    assert owned_by_its_runner(provider()) is owned
