"""``partywidget serve`` with JWT identities: a course site's signed users, over real sockets.

One server verifies HS256 tokens (secret from ``$PARTYWIDGET_JWT_SECRET``, an
audience, the teacher group ``staff``); another RS256/ES256 tokens against a
public key named in a ``serve --config`` file. A student with two tabs is one
voter; only the teacher group moderates; bad tokens get 403 with a reason.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from partywidget.protocol.refusals import REFUSAL_HEADER
from tests.conftest import ServerProcess

from .clients import fetch, refused_status
from .recorder import member

SECRET = secrets.token_hex(32)
AUDIENCE = "course-ds101"
#: The operator's shared ``--token``, accepted besides the JWTs.
SHARED = secrets.token_hex(16)


@dataclass
class Bearer:
    """Who presents ``token`` (``Authorization: Bearer``) to ``server``: :func:`join`'s server."""

    server: ServerProcess
    token: str

    def room_url(self, room: str, party: str = "main", *, ws: bool = True) -> str:
        return self.server.room_url(room, party, ws=ws)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def claims(sub: str, **more: Any) -> dict[str, Any]:
    """Claims of a fresh token for ``sub`` to the HS256 server's audience (an hour)."""
    return {"sub": sub, "aud": AUDIENCE, "exp": int(time.time()) + 3600, **more}


def hs256(sub: str, **more: Any) -> str:
    return jwt.encode(claims(sub, **more), SECRET, algorithm="HS256")


class JwtServer(ServerProcess):
    """``partywidget serve`` whose own requests (the readiness probe) carry ``bearer``."""

    bearer = ""

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.bearer}"}


def serve(workdir: Path, bearer: str, *args: str, env: dict[str, str] | None = None,
          token: str = "") -> ServerProcess:
    """A started ``serve`` with ``args``; ``bearer`` is a token it accepts (so is ``token``)."""
    workdir.mkdir(parents=True, exist_ok=True)
    server = JwtServer("standalone", workdir, storage=str(workdir / "rooms.db"), token=token,
                       extra_args=list(args), env=env)
    server.bearer = bearer
    return server.start()



def hs256_host(workdir: Path) -> ServerProcess:
    """A started ``serve`` naming users by HS256 JWTs for :data:`AUDIENCE` (a course site's host)."""
    return serve(workdir, hs256("probe"), "--jwt-audience", AUDIENCE,
                 env={"PARTYWIDGET_JWT_SECRET": SECRET})


@pytest.fixture(scope="module")
def hs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = serve(tmp_path_factory.mktemp("jwt-hs"), hs256("probe"), "--jwt-audience", AUDIENCE,
                   "--jwt-teacher-group", "staff", env={"PARTYWIDGET_JWT_SECRET": SECRET},
                   token=SHARED)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def room() -> str:
    return f"jwt-{secrets.token_hex(4)}"


async def test_a_valid_token_names_the_user_in_the_room(hs_server, room, join):
    sock = await join(Bearer(hs_server, hs256("s1234", name="Ada  <b>L</b>")), room)
    welcome, _ = await sock.joined()
    by_query = await join(hs_server, room, authenticated=False,
                          query={"token": hs256("s1234")})
    await by_query.joined()
    stored = await fetch("GET", hs_server.room_url(room, ws=False),
                         headers=Bearer(hs_server, hs256("t1", role="staff")).auth_headers())

    assert welcome["user"]["username"] == "s1234"
    assert welcome["user"]["display_name"] == "Ada <b>L</b>"  # shown as text by the widgets
    assert welcome["user"]["verified"] is True and welcome["user"]["moderator"] is False
    assert stored.status == 200


async def test_a_token_holder_cannot_pose_as_a_signed_user(hs_server, room, join):
    teacher = await join(Bearer(hs_server, hs256("t1", name="Prof. Turing", groups=["staff"])),
                         room, query={"name": "grader-bot"})
    posing = await join(hs_server, room, authenticated=False,
                        query={"token": SHARED, "name": "Prof.\u202e Turing"})
    teacher_user = (await teacher.joined())[0]["user"]
    holder = (await posing.joined())[0]["user"]

    assert (holder["display_name"], holder["label"]) == ("Token holder", "Prof. Turing")
    assert holder["verified"] is False and holder["username"].startswith("guest-")
    assert (teacher_user["display_name"], teacher_user["label"]) == ("Prof. Turing",
                                                                     "grader-bot")


def bad_tokens() -> dict[str, str]:
    hour = int(time.time()) + 3600
    return {
        "expired": hs256("s1", exp=int(time.time()) - 60),
        "not-yet": hs256("s1", nbf=hour),
        "wrong-signature": jwt.encode(claims("s1"), secrets.token_hex(32), algorithm="HS256"),
        "alg-none": jwt.encode(claims("s1", groups=["staff"]), None, algorithm="none"),
        "wrong-aud": hs256("s1", aud="another-course"),
        "no-exp": jwt.encode({"sub": "s1", "aud": AUDIENCE}, SECRET, algorithm="HS256"),
        "guest-sub": hs256("guest-1a2b3c4d"),
        "garbage": "not.a.jwt",
    }


REASONS = {"expired": "Expired token", "not-yet": "Token not valid yet (nbf)",
           "wrong-signature": "Bad token signature", "alg-none": "Token algorithm not allowed",
           "wrong-aud": "Token for another audience", "no-exp": "Token lacks a required claim",
           "guest-sub": "Token sub must be", "garbage": "Malformed token"}


@pytest.mark.parametrize("case", sorted(REASONS))
async def test_bad_tokens_are_refused_with_a_reason(hs_server, room, case):
    token = bad_tokens()[case]
    socket_status = await refused_status(Bearer(hs_server, token), room)
    answer = await fetch("GET", hs_server.room_url(room, ws=False) + f"?token={token}")

    assert (socket_status, answer.status) == (403, 403)
    assert answer.headers[REFUSAL_HEADER] == "credentials"
    assert REASONS[case] in answer.body.decode()
    assert token not in hs_server.log()  # the access log scrubs ?token=


async def test_without_a_token_nothing_opens_even_on_loopback(hs_server, room):
    answer = await fetch("GET", hs_server.room_url(room, ws=False))

    assert await refused_status(hs_server, room, authenticated=False) == 403
    assert answer.status == 403 and "Missing token" in answer.body.decode()


async def test_one_student_is_one_voter_and_only_the_teacher_group_closes(hs_server, room,
                                                                          join):
    teacher = await member(join, Bearer(hs_server, hs256("t1", groups=["staff"])), room,
                           "poll")
    ada_tab = await member(join, Bearer(hs_server, hs256("ada")), room, "poll")
    ada_kernel = await member(join, Bearer(hs_server, hs256("ada", groups=["students"])),
                              room, "poll")
    ben = await member(join, Bearer(hs_server, hs256("ben", role="student")), room, "poll")
    await teacher.sock.send({"type": "create", "question": "Tabs or spaces?",
                             "options": ["tabs", "spaces"]})
    await ben.poll(question="Tabs or spaces?")

    await ada_tab.sock.send({"type": "vote", "choices": [0]})
    await ada_kernel.sock.send({"type": "vote", "choices": [1]})
    await ben.sock.send({"type": "vote", "choices": [1]})
    assert (await teacher.poll(total=2))["counts"] == [0, 2]
    # A student forging a teacher action (or claiming to be one) is refused.
    for forged in ({"type": "close"}, {"type": "close", "moderator": True},
                   {"type": "reveal", "user": {"moderator": True, "groups": ["staff"]}}):
        await ben.sock.send(forged)
        assert await ben.error() == "forbidden", forged
    await teacher.sock.send({"type": "close"})
    assert (await ada_tab.poll(closed=True))["total"] == 2
    assert (await teacher.poll(closed=True))["voters"] == [[], ["ada", "ben"]]


def forged_hs256(payload: dict[str, Any], key: bytes) -> str:
    """An HS256 token MACed with ``key``, made by hand: PyJWT refuses to use a PEM as a secret."""
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing = (part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "."
               + part(json.dumps(payload).encode()))
    return signing + "." + part(hmac.new(key, signing.encode(), hashlib.sha256).digest())


@pytest.fixture(scope="module", params=["RS256", "ES256"])
def key_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[tuple[ServerProcess, Any]]:
    """``serve --config`` whose ``c.PartyWidget.jwt_public_key_file`` names an RSA or EC key."""
    workdir = tmp_path_factory.mktemp(f"jwt-{request.param}")
    private = (rsa.generate_private_key(public_exponent=65537, key_size=2048)
               if request.param == "RS256" else ec.generate_private_key(ec.SECP256R1()))
    pem = workdir / "site.pub.pem"
    pem.write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    config = workdir / "rooms_config.py"
    config.write_text(f"c.PartyWidget.jwt_public_key_file = {str(pem)!r}\n"
                      "c.PartyWidget.jwt_issuer = 'https://lms.example'\n")
    probe = {"sub": "probe", "iss": "https://lms.example", "exp": int(time.time()) + 600}
    server = serve(workdir, jwt.encode(probe, private, algorithm=request.param),
                   "--config", str(config))
    try:
        yield server, private
    finally:
        server.stop()


async def test_public_key_tokens_of_that_algorithm_only(key_server, room, join, request):
    server, private = key_server
    algorithm = request.node.callspec.params["key_server"]
    ok = {"sub": "t9", "iss": "https://lms.example", "groups": ["teachers"],
          "exp": int(time.time()) + 60}
    sock = await join(Bearer(server, jwt.encode(ok, private, algorithm=algorithm)), room)
    welcome, _ = await sock.joined()
    # Algorithm confusion: the public key used as an HMAC secret is refused.
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    confused = forged_hs256(ok, public_pem)
    other_issuer = jwt.encode({**ok, "iss": "https://evil.example"}, private,
                              algorithm=algorithm)

    assert welcome["user"]["username"] == "t9" and welcome["user"]["moderator"] is True
    assert await refused_status(Bearer(server, confused), room) == 403
    assert await refused_status(Bearer(server, other_issuer), room) == 403


KERNEL_SCRIPT = """
import json, sys
import partywidget
room = partywidget.connect(sys.argv[1], url=sys.argv[2], timeout=20)
print(json.dumps(room.user))
room.close()
"""


def test_a_kernel_with_the_token_in_PARTYWIDGET_TOKEN_joins_as_its_user(hs_server, room):
    # Issue 15: "the kernel client ... pass such a token through PARTYWIDGET_TOKEN".
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARTYWIDGET_", "JUPYTER"))}
    env["PARTYWIDGET_TOKEN"] = hs256("ada", name="Ada Lovelace", moderator=True)
    done = subprocess.run([sys.executable, "-c", KERNEL_SCRIPT, room, hs_server.http_url],
                          env=env, capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    user = json.loads(done.stdout.splitlines()[-1])
    assert (user["username"], user["display_name"]) == ("ada", "Ada Lovelace")
    assert user["verified"] is True and user["moderator"] is True
