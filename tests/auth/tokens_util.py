"""Craft tokens for the fail-closed tests (signed with the service's real key unless said otherwise)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

from jose import jwt

from app.auth.tokens import keyring
from app.core.config import get_settings


def b64(d: Any) -> str:
    raw = d if isinstance(d, bytes) else json.dumps(d, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def claims_for(actor: Any, **over: Any) -> dict[str, Any]:
    s = get_settings()
    now = int(time.time())
    c = {"iss": s.jwt_issuer, "aud": s.jwt_audience, "sub": str(actor.user.id), "iat": now, "nbf": now,
         "exp": now + 600, "jti": str(uuid.uuid4()), "typ": "user",
         "agency_id": str(actor.agency.id) if actor.agency else None,
         "agency_kind": actor.agency.kind if actor.agency else None, "roles": list(actor.user.roles),
         "tv": actor.user.token_version}
    c.update(over)
    return c


def sign(claims: dict[str, Any], kid: str | None = None, private_pem: bytes | None = None) -> str:
    ring = keyring()
    return jwt.encode(claims, (private_pem or ring.private_pem).decode(), algorithm="RS256",
                      headers={"kid": kid or ring.kid})


def unsigned(claims: dict[str, Any]) -> str:
    return f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': keyring().kid})}.{b64(claims)}."


def hs256_with_public_key(claims: dict[str, Any]) -> str:
    from cryptography.hazmat.primitives import serialization

    priv = serialization.load_pem_private_key(keyring().private_pem, password=None)
    pub_pem = priv.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
    head = b64({"alg": "HS256", "typ": "JWT", "kid": keyring().kid})
    body = b64(claims)
    sig = hmac.new(pub_pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"
