"""Signed identities for ``partywidget serve``: JSON Web Tokens minted by a course site.

A shared ``--token`` says nothing about who holds it, so under ``partywidget
serve`` every connection was its own guest and every token holder moderated.
A site that signs a JWT per user (``sub`` the user id, ``name`` the display
name, ``groups``/``role`` the roles) gives the rooms real users: one student is
one user across tabs and kernels, and only the teacher group moderates.

PyJWT verifies every token (never by hand): the algorithms are pinned by the
key (``HS256`` for a shared secret; ``RS256`` or ``ES256`` for a public key,
whichever the key is), so ``alg: none`` and algorithm confusion are refused;
``exp`` and ``sub`` are required, ``nbf`` is honoured, ``aud``/``iss`` are
required and checked when configured. Refusals name the cause in fixed words,
never echoing the token.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError
from ..protocol.names import MAX_DISPLAY_NAME, shown_text

__all__ = ["JwtIdentities", "JwtRefused", "MIN_SECRET_LENGTH"]

#: Shorter HMAC secrets can be brute-forced from one token (RFC 7518 §3.2: at
#: least as long as the hash output, 256 bits for HS256).
MIN_SECRET_LENGTH = 32
#: Shortest RSA public key accepted (NIST SP 800-57: 1024-bit RSA is no longer safe).
MIN_RSA_BITS = 2048

#: What a ``sub`` may be: it becomes the room username, shown to others and
#: used as the key of one ballot, so no markup, spaces or control characters.
#: ``guest-`` is refused: that prefix names ``serve``'s tokenless guests.
_SUB = re.compile(r"(?!guest-)[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}\Z")


class JwtRefused(Exception):
    """A token that does not identify anyone; ``str()`` is the reason for the client."""


def _reason(exc: Exception) -> str:
    """Fixed words for PyJWT's error classes (most specific first)."""
    import jwt

    reasons: list[tuple[type[Exception], str]] = [
        (jwt.ExpiredSignatureError, "Expired token"),
        (jwt.ImmatureSignatureError, "Token not valid yet (nbf)"),
        (jwt.InvalidAudienceError, "Token for another audience"),
        (jwt.InvalidIssuerError, "Token from another issuer"),
        (jwt.InvalidAlgorithmError, "Token algorithm not allowed"),
        (jwt.InvalidSignatureError, "Bad token signature"),
        (jwt.MissingRequiredClaimError, "Token lacks a required claim"),
        (jwt.DecodeError, "Malformed token"),
    ]
    for kind, reason in reasons:
        if isinstance(exc, kind):
            return reason
    return "Invalid token"


class JwtIdentities:
    """Verifies tokens and turns their claims into the room ``user``."""

    def __init__(self, *, secret: str = "", public_key_file: str = "", audience: str = "",
                 issuer: str = "", teacher_group: str = "teachers",
                 leeway: float = 0.0) -> None:
        if importlib.util.find_spec("jwt") is None:  # the optional dependency, checked at start-up
            raise ConfigurationError("JWT identities need PyJWT: pip install 'partywidget[jwt]'")
        if bool(secret) == bool(public_key_file):
            raise ConfigurationError("expected one of --jwt-secret and --jwt-public-key-file")
        self.key: Any
        if secret:
            if len(secret.encode()) < MIN_SECRET_LENGTH:
                raise ConfigurationError(f"--jwt-secret must be at least {MIN_SECRET_LENGTH} "
                                         "bytes (HS256 secrets shorter are guessable)")
            self.key, self.algorithms = secret, ["HS256"]
        else:
            self.key, self.algorithms = _public_key(public_key_file)
        self.audience = audience or None
        self.issuer = issuer or None
        self.teacher_group = teacher_group
        self.leeway = leeway

    def identity(self, token: str) -> dict[str, Any]:
        """The room ``user`` that ``token`` names; raises :class:`JwtRefused`."""
        import jwt

        required = ["exp", "sub"] + (["aud"] if self.audience else []) + (
            ["iss"] if self.issuer else [])
        try:
            claims = jwt.decode(token, self.key, algorithms=self.algorithms,
                                audience=self.audience, issuer=self.issuer, leeway=self.leeway,
                                options={"require": required})
        except jwt.PyJWTError as exc:
            raise JwtRefused(_reason(exc)) from None
        return self.user(claims)

    def user(self, claims: dict[str, Any]) -> dict[str, Any]:
        """The room ``user`` of verified ``claims`` (as the hub's identities look)."""
        sub = claims.get("sub")
        if not isinstance(sub, str) or not _SUB.match(sub):
            raise JwtRefused("Token sub must be 1-64 letters, digits or ._@+- "
                             "(not guest-...)")
        display = shown_text(claims.get("name"), MAX_DISPLAY_NAME)
        groups = claims.get("groups")
        groups = sorted({g for g in groups if isinstance(g, str)}) if isinstance(
            groups, list) else []
        role = claims.get("role")
        moderator = (claims.get("moderator") is True or self.teacher_group in groups
                     or role == self.teacher_group)
        return {"username": sub, "name": sub, "display_name": display or sub,
                "initials": (display or sub)[:1].upper(), "color": None, "verified": True,
                "groups": groups[:50], "moderator": moderator}


def _public_key(path: str) -> tuple[Any, list[str]]:
    """The PEM public key at ``path`` and the one algorithm its type allows."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        key = load_pem_public_key(Path(path).expanduser().read_bytes())
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read a PEM public key from {path!r}: {exc}") from None
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:  # shorter moduli are factorable: anyone could mint
            raise ConfigurationError(f"{path!r}: an RSA key of {key.key_size} bits; "
                                     f"at least {MIN_RSA_BITS} are required")
        return key, ["RS256"]
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return key, ["ES256"]
    raise ConfigurationError(f"{path!r}: expected an RSA or P-256 (ES256) public key")
