"""Request lines for the log of ``partywidget serve``, with credentials scrubbed.

Browsers and partysocket put the token in the URL (``?token=``), and Tornado
logs the whole URI of every request; a log is read by more people than the
token was given to. As jupyter_server does, the values of credential-bearing
query parameters are replaced by ``[secret]`` in every line that names a
request: the access log and Tornado's warnings about failed requests.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = ["SCRUBBED_PARAMS", "log_request", "request_summary", "scrub_uri"]

access_log = logging.getLogger("tornado.access")

#: Query parameters whose value is a credential: the room token, the hub's
#: OAuth ``code`` and ``state`` (as jupyter_server scrubs them).
SCRUBBED_PARAMS = frozenset({"token", "code", "state", "_xsrf"})


def scrub_uri(uri: str) -> str:
    """``uri`` with the value of every parameter in :data:`SCRUBBED_PARAMS` as ``[secret]``."""
    path, sep, query = uri.partition("?")
    if not sep:
        return uri
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(key.lower() in SCRUBBED_PARAMS for key, _ in pairs):
        return uri
    scrubbed = [(key, "[secret]" if key.lower() in SCRUBBED_PARAMS else value)
                for key, value in pairs]
    return f"{path}?{urlencode(scrubbed, safe='[]')}"


def request_summary(handler: Any) -> str:
    """Tornado's ``METHOD URI (address)`` for ``handler``'s request, scrubbed."""
    request = handler.request
    return f"{request.method} {scrub_uri(request.uri or '')} ({request.remote_ip})"


def log_request(handler: Any) -> None:
    """The application's ``log_function``: Tornado's access line, scrubbed."""
    status = handler.get_status()
    method = (access_log.info if status < 400 else
              access_log.warning if status < 500 else access_log.error)
    method("%d %s %.2fms", status, request_summary(handler),
           1000.0 * handler.request.request_time())
