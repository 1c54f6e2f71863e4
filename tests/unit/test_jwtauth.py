"""JWT identities: the configuration ``serve`` refuses, and how claims become the room user."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from partywidget.errors import ConfigurationError
from partywidget.server.jwtauth import JwtIdentities, JwtRefused

SECRET = "s" * 32


@pytest.mark.parametrize("options", [{}, {"secret": SECRET, "public_key_file": "k.pem"},
                                     {"secret": "short"}, {"public_key_file": "/no/such.pem"}],
                         ids=["none", "both", "short-secret", "missing-key"])
def test_serve_refuses_to_start_with_a_key_it_cannot_trust(options) -> None:
    with pytest.raises(ConfigurationError):
        JwtIdentities(**options)


def test_a_key_of_another_type_than_rsa_or_p256_is_refused(tmp_path: Path) -> None:
    pem = tmp_path / "ed.pem"
    pem.write_bytes(ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    with pytest.raises(ConfigurationError, match="RSA or P-256"):
        JwtIdentities(public_key_file=str(pem))


def test_an_rsa_key_shorter_than_2048_bits_is_refused(tmp_path: Path) -> None:
    pem = tmp_path / "rsa.pem"
    pem.write_bytes(rsa.generate_private_key(65537, 1024).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    with pytest.raises(ConfigurationError, match="1024 bits"):
        JwtIdentities(public_key_file=str(pem))


def user(**claims) -> dict:
    identities = JwtIdentities(secret=SECRET, teacher_group="staff")
    token = jwt.encode({"sub": "ada", "exp": int(time.time()) + 60, **claims}, SECRET,
                       algorithm="HS256")
    return identities.identity(token)


@pytest.mark.parametrize(("claims", "moderator"), [
    ({}, False), ({"groups": ["students"]}, False), ({"groups": ["staff"]}, True),
    ({"role": "staff"}, True), ({"role": ["staff"]}, False), ({"moderator": True}, True),
    ({"moderator": "yes"}, False), ({"groups": "staff"}, False),
])
def test_only_the_teacher_group_role_or_moderator_true_moderates(claims, moderator) -> None:
    assert user(**claims)["moderator"] is moderator


def test_the_name_is_one_line_of_at_most_40_characters() -> None:
    ada = user(name="Ada\n\tLovelace " + "x" * 100, groups=["b", "a", 3, "a"])
    assert ada["username"] == "ada" and ada["display_name"].startswith("Ada Lovelace x")
    assert len(ada["display_name"]) == 40 and ada["groups"] == ["a", "b"]
    assert user()["display_name"] == "ada"


def test_the_name_loses_bidi_overrides_and_zero_width_characters() -> None:
    assert user(name="\u202eAda\u202c L\u200bovelace")["display_name"] == "Ada Lovelace"
    assert user(name="\u200b")["display_name"] == "ada"  # nothing left: the sub


@pytest.mark.parametrize("sub", ["", "a b", "<b>x</b>", "x" * 65, "guest-1a2b3c4d", 42])
def test_a_sub_that_is_not_a_plain_user_id_is_refused(sub) -> None:
    with pytest.raises(JwtRefused, match="sub"):
        JwtIdentities(secret=SECRET).user({"sub": sub})
