"""Transport-free HTTP for ``on_request``: the request's body and type, the response."""

from __future__ import annotations

import json

import pytest

from partywidget.errors import ProtocolError
from partywidget.rooms import Request, Response


def request(body: bytes = b"", headers: dict[str, str] | None = None) -> Request:
    return Request("POST", "http://test/parties/p/r", {"username": "alice"}, body=body,
                   headers=headers or {})


def test_the_body_reads_as_utf8_text():
    assert request("héllo".encode()).text() == "héllo"


def test_a_body_that_is_not_utf8_is_a_protocol_error_not_a_crash():
    with pytest.raises(ProtocolError) as info:
        request(b"\xff\xfe").text()
    assert info.value.code == "bad_encoding"


def test_the_body_parses_as_strict_json():
    assert request(b'{"a": [1, 2]}').json() == {"a": [1, 2]}
    with pytest.raises(ProtocolError) as info:
        request(b"[NaN]").json()
    assert info.value.code == "bad_json"
    with pytest.raises(ProtocolError) as info:
        request(b"[[[]]]").json(max_depth=2)
    assert info.value.code == "too_deep"


@pytest.mark.parametrize(("headers", "media_type"), [
    ({}, ""),
    ({"Content-Type": "application/json"}, "application/json"),
    ({"content-type": "Application/JSON; charset=UTF-8"}, "application/json"),
    ({"CONTENT-TYPE": " text/plain ;charset=utf-8"}, "text/plain"),
])
def test_the_media_type_ignores_case_and_parameters(headers, media_type):
    assert request(headers=headers).media_type == media_type


def test_a_json_response_is_compact_utf8_with_its_content_type():
    response = Response.json({"t": "é"}, 201)
    assert response.status == 201 and response.body == '{"t":"é"}'.encode()
    assert response.headers == {"Content-Type": "application/json; charset=utf-8"}
    assert json.loads(response.body) == {"t": "é"}


def test_a_text_response_is_utf8_plain_text():
    response = Response.text("héllo", 404)
    assert response.status == 404 and response.body == "héllo".encode()
    assert response.headers == {"Content-Type": "text/plain; charset=utf-8"}
