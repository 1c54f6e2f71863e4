"""Which identity providers make every tab the server's owner (server/extension.py)."""

from __future__ import annotations

from jupyter_server.auth.identity import (IdentityProvider, LegacyIdentityProvider,
                                          PasswordIdentityProvider)

from partywidget.server.extension import owned_by_its_runner


class SiteProvider(IdentityProvider):
    """A site's own provider: it names real users."""


def test_only_jupyter_servers_token_and_password_providers_mean_one_owner() -> None:
    assert owned_by_its_runner(IdentityProvider())
    assert owned_by_its_runner(PasswordIdentityProvider())
    # JupyterHub's legacy single-user mode uses this one: every hub user is distinct.
    assert not owned_by_its_runner(LegacyIdentityProvider())
    assert not owned_by_its_runner(SiteProvider())
