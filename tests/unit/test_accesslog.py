"""Request lines are scrubbed of credentials before any log sees them."""

from __future__ import annotations

import pytest

from partywidget.server.accesslog import scrub_uri


@pytest.mark.parametrize(("uri", "logged"), [
    ("/parties/main/r?token=s3cret", "/parties/main/r?token=[secret]"),
    ("/parties/main/r?_pk=a&TOKEN=s3cret&token=again",
     "/parties/main/r?_pk=a&TOKEN=[secret]&token=[secret]"),
    ("/oauth_callback?code=c0de&state=st4te", "/oauth_callback?code=[secret]&state=[secret]"),
    ("/parties/main/r?token=", "/parties/main/r?token=[secret]"),
    ("/parties/main/r?since=3&epoch=e", "/parties/main/r?since=3&epoch=e"),
    ("/parties/main/r", "/parties/main/r"),
])
def test_credentials_in_the_query_are_scrubbed(uri: str, logged: str) -> None:
    assert scrub_uri(uri) == logged


def test_a_percent_encoded_token_is_scrubbed_too() -> None:
    assert "s3cret" not in scrub_uri("/r?to%6Ben=s3cret")
