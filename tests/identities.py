"""An identity provider for tests that play several people on one Jupyter server.

partywidget reads every user of jupyter_server's *own* providers as the server's
owner (one person holds the token or password: ``extension.owned_by_its_runner``).
Tests where two browser contexts are two people (a second ballot, a moderator
removing someone) need users the server tells apart, as a site's own provider
or JupyterHub gives: this subclass keeps jupyter_server's per-browser users and
lives outside ``jupyter_server``, so partywidget trusts them as distinct people.
"""

from __future__ import annotations

import getpass

from jupyter_server.auth.identity import IdentityProvider, User
from tornado.web import RequestHandler

__all__ = ["PerBrowserUsers"]


class PerBrowserUsers(IdentityProvider):
    """jupyter_server's token identity, one user per browser session, as a site provider.

    Requests with the token in an ``Authorization`` header (kernels: the
    partywidget client sends it so) are the owner, the account running the server.
    """

    def generate_anonymous_user(self, handler: RequestHandler) -> User:
        if handler.request.headers.get("Authorization", "").startswith("token "):
            owner = getpass.getuser()
            return User(username=owner, name=owner, display_name=owner)
        return super().generate_anonymous_user(handler)
