"""Wire value objects: strict JSON in, JSON encoded once out."""

from __future__ import annotations

import json
import math

import pytest

from partywidget.errors import ProtocolError
from partywidget.protocol import CloseCode, Outgoing, decode_json, encode_json


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"x": -Infinity}', "1e999",
                                  '{"x": [-1E+400]}', "1" * 400 + ".5"])
def test_decode_json_refuses_nan_and_infinity(text):
    with pytest.raises(ProtocolError) as info:
        decode_json(text)
    assert info.value.code == "bad_json"


def test_decode_json_accepts_nesting_up_to_max_depth():
    assert decode_json("[" * 32 + "]" * 32) is not None
    assert decode_json('{"a":' * 3 + "1" + "}" * 3, max_depth=3) == {"a": {"a": {"a": 1}}}


@pytest.mark.parametrize(("text", "max_depth"), [
    ("[" * 33 + "]" * 33, 32),
    ('{"a":' * 33 + "1" + "}" * 33, 32),
    ('[{"a": [[{"b": []}]]}]', 5),
])
def test_decode_json_refuses_nesting_deeper_than_max_depth(text, max_depth):
    with pytest.raises(ProtocolError) as info:
        decode_json(text, max_depth=max_depth)
    assert info.value.code == "too_deep"


def test_decode_json_turns_a_recursion_bomb_into_a_protocol_error():
    with pytest.raises(ProtocolError) as info:
        decode_json("[" * 200_000)
    assert info.value.code == "too_deep"


@pytest.mark.parametrize("text", ["", "{", "{'a': 1}", "[1,]", b"\xff\xfe\xfa", "1 2"])
def test_decode_json_refuses_invalid_json(text):
    with pytest.raises(ProtocolError) as info:
        decode_json(text)
    assert info.value.code == "bad_json"


@pytest.mark.parametrize("text", ['"\\ud800"', '{"a": "x\\udfffy"}', '{"\\udc00": 1}',
                                  '[["\\ude00\\ud83d"]]', b'"\\uD800"',
                                  '"\\\\ud800\\udc00"'])  # escaped backslash, then a lone low
def test_decode_json_refuses_lone_surrogates(text):
    # Legal JSON escapes, but no character: they cannot be encoded as UTF-8 again.
    with pytest.raises(ProtocolError) as info:
        decode_json(text)
    assert info.value.code == "bad_json"


def test_decode_json_accepts_escaped_surrogate_pairs():
    assert decode_json('{"e": "\\ud83d\\ude00"}') == {"e": "\U0001F600"}


def test_decode_json_accepts_the_text_of_an_escape_behind_an_escaped_backslash():
    assert decode_json('"\\\\ud800"') == "\\ud800"


def test_decode_json_keeps_large_finite_numbers_and_exponents_in_text():
    assert decode_json('[1e308, -2.5E-300, "9e999"]') == [1e308, -2.5e-300, "9e999"]


def test_decode_json_reads_bytes_as_utf8():
    assert decode_json('{"t": "é"}'.encode()) == {"t": "é"}


def test_outgoing_of_str_is_text_sent_as_is():
    out = Outgoing.of("héllo")
    assert out.is_text and out.data == "héllo".encode() and out.text == "héllo"


@pytest.mark.parametrize("data", [b"\x00\xff", bytearray(b"\x01"), memoryview(b"\x02")])
def test_outgoing_of_bytes_is_binary(data):
    out = Outgoing.of(data)
    assert not out.is_text and out.data == bytes(data) and isinstance(out.data, bytes)


def test_outgoing_of_a_value_is_compact_json_text():
    out = Outgoing.of({"type": "x", "n": [1, 2], "t": "é"})
    assert out.is_text
    assert out.text == '{"type":"x","n":[1,2],"t":"é"}'
    assert json.loads(out.text) == {"type": "x", "n": [1, 2], "t": "é"}


def test_outgoing_of_an_outgoing_is_the_same_object():
    out = Outgoing.of("x")
    assert Outgoing.of(out) is out
    assert len(out) == 1 and out.frame is None


@pytest.mark.parametrize("value", [math.nan, [math.inf], {"x": -math.inf}])
def test_encode_json_refuses_nan(value):
    with pytest.raises(ValueError):
        encode_json(value)
    with pytest.raises(ValueError):
        Outgoing.of(value)


def test_close_codes_are_the_documented_numbers():
    assert {c.name: int(c) for c in CloseCode} == {
        "NORMAL": 1000, "GOING_AWAY": 1001, "POLICY_VIOLATION": 1008, "MESSAGE_TOO_BIG": 1009,
        "INTERNAL_ERROR": 1011, "TRY_AGAIN_LATER": 1013, "REPLACED": 4001, "REMOVED": 4003,
        "SLOW_CONSUMER": 4008, "FLOODING": 4029}
