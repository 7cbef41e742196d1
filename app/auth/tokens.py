"""Signing keys, JWKS, and access-token issue/verification. The only module that imports python-jose."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, TypeGuard

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk, jwt
from jose.backends.base import Key
from jose.exceptions import JOSEError

from app.core.clock import utcnow
from app.core.config import ExternalIdPConfig, Settings, get_settings, parse_external_idps, require_keys
from app.core.files import PRIVATE_FILE, create_private_file, key_dir, replace_private_file, tighten

log = logging.getLogger("tandem.auth")

ALGORITHMS = ["RS256"]
VERIFIED_TOKENS_KEPT = 4096  # per worker: about 4 MB at most


class TokenError(Exception):
    """Any reason a token is not accepted; the caller answers 401 without saying which."""


def _b64u(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def public_jwk(public_key: rsa.RSAPublicKey) -> dict[str, str]:
    nums = public_key.public_numbers()
    jwk = {"e": _b64u(nums.e), "kty": "RSA", "n": _b64u(nums.n)}
    thumb = hashlib.sha256(json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()).digest()
    return {**jwk, "kid": base64.urlsafe_b64encode(thumb).decode().rstrip("="), "use": "sig", "alg": "RS256"}


def _pem_private(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _pem_public(key: rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def generate_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class KeyRing:
    private_pem: bytes
    kid: str
    public_keys: dict[str, dict[str, str]]  # kid -> public JWK (current and previous)
    # Parsed once: loading an RSA private key from PEM costs far more than signing with it.
    signing_key: Key | None = None
    verifying_keys: dict[str, Key] | None = None
    # Local tokens whose signature, issuer and audience this ring has verified: token -> (issuer, audience,
    # claims). A partner sends the same token on every request for its lifetime, and the signature check and
    # the JOSE parsing are the larger part of authenticating it. Times are checked on every use (see
    # `_check_times`); the account behind the token is checked on every request by the caller (the principal
    # cache), so deactivation still ends the token at once. A new ring (rotation) starts empty.
    verified: dict[str, tuple[str, str, dict[str, Any]]] = field(default_factory=dict)

    def remember(self, token: str, issuer: str, audience: str, claims: dict[str, Any]) -> None:
        if len(self.verified) >= VERIFIED_TOKENS_KEPT:
            del self.verified[next(iter(self.verified))]  # the oldest first
        self.verified[token] = (issuer, audience, claims)

    def signer(self) -> Key:
        if self.signing_key is None:
            self.signing_key = jwk.construct(self.private_pem.decode(), "RS256")
        return self.signing_key

    def verifier(self, kid: str) -> Key | None:
        if self.verifying_keys is None:
            self.verifying_keys = {k: jwk.construct(j, "RS256") for k, j in self.public_keys.items()}
        return self.verifying_keys.get(kid)

    @classmethod
    def load(cls, settings: Settings) -> KeyRing:
        previous_pems: list[bytes] = []
        if settings.jwt_private_key:
            private_pem = settings.jwt_private_key.replace("\\n", "\n").encode()  # one-line env files
            if settings.jwt_previous_public_key:
                previous_pems.append(settings.jwt_previous_public_key.encode())
        else:
            require_keys(settings)
            keys = key_dir(settings.var_dir)
            current = keys / "jwt-current.pem"
            if not current.exists():
                create_private_file(current, _pem_private(generate_private_key()))
            tighten(current, PRIVATE_FILE)
            private_pem = current.read_bytes()
            prev = keys / "jwt-previous.pub.pem"
            if prev.exists():
                previous_pems.append(prev.read_bytes())
        private_key = serialization.load_pem_private_key(private_pem, password=None)
        assert isinstance(private_key, rsa.RSAPrivateKey), "the signing key must be RSA"
        current_jwk = public_jwk(private_key.public_key())
        public_keys = {current_jwk["kid"]: current_jwk}
        for pem in previous_pems:
            pub = serialization.load_pem_public_key(pem)
            assert isinstance(pub, rsa.RSAPublicKey)
            j = public_jwk(pub)
            public_keys.setdefault(j["kid"], j)
        return cls(private_pem=private_pem, kid=current_jwk["kid"], public_keys=public_keys)


def rotate_local_keys(settings: Settings) -> str:
    """Make a new current signing key; the old one's public half stays published as previous."""
    keys = key_dir(settings.var_dir)
    current = keys / "jwt-current.pem"
    if current.exists():
        old = serialization.load_pem_private_key(current.read_bytes(), password=None)
        assert isinstance(old, rsa.RSAPrivateKey)
        replace_private_file(keys / "jwt-previous.pub.pem", _pem_public(old.public_key()))
    new = generate_private_key()
    replace_private_file(current, _pem_private(new))
    reset_keyring()
    return public_jwk(new.public_key())["kid"]


_keyring: KeyRing | None = None


def keyring() -> KeyRing:
    global _keyring
    if _keyring is None:
        _keyring = KeyRing.load(get_settings())
    return _keyring


def reset_keyring() -> None:
    global _keyring
    _keyring = None


def jwks() -> dict[str, Any]:
    return {"keys": list(keyring().public_keys.values())}


def issue_access_token(
    *, sub: str, typ: str, agency_id: str | None, agency_kind: str | None, roles: list[str],
    token_version: int, extra: dict[str, Any] | None = None,
) -> tuple[str, int]:
    s = get_settings()
    now = int(utcnow().timestamp())
    claims: dict[str, Any] = {
        "iss": s.jwt_issuer, "aud": s.jwt_audience, "sub": sub, "iat": now, "nbf": now,
        "exp": now + s.access_token_ttl_seconds, "jti": str(uuid.uuid4()), "typ": typ,
        "agency_id": agency_id, "agency_kind": agency_kind, "roles": roles, "tv": token_version,
    }
    if extra:
        claims.update(extra)
    ring = keyring()
    token = jwt.encode(claims, ring.signer(), algorithm="RS256", headers={"kid": ring.kid})
    return token, s.access_token_ttl_seconds


# exp, nbf and iat are checked below against the service clock (app.core.clock), which is the one
# authority on time; python-jose would check them against the wall clock, so it is told not to.
_DECODE_OPTIONS = {
    "verify_signature": True, "verify_aud": True, "verify_iat": True, "verify_exp": False,
    "verify_nbf": False, "verify_iss": True, "verify_sub": True, "verify_jti": True,
    "require_aud": True, "require_iat": True, "require_exp": False, "require_nbf": False,
    "require_iss": True, "require_sub": True, "require_jti": False, "verify_at_hash": False,
}


def _is_number(v: object) -> TypeGuard[int | float]:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _decode(token: str, key: dict[str, Any] | Key, *, audience: str, issuer: str, algorithms: list[str],
            require_jti: bool) -> dict[str, Any]:
    s = get_settings()
    options = dict(_DECODE_OPTIONS, require_jti=require_jti, leeway=s.jwt_leeway_seconds)
    try:
        claims = jwt.decode(token, key, algorithms=algorithms, audience=audience, issuer=issuer,
                            options=options)
    except JOSEError as e:
        raise TokenError(type(e).__name__)
    except (ValueError, TypeError, KeyError) as e:  # a malformed token or key the library did not wrap
        raise TokenError(type(e).__name__)
    _check_times(claims, s)
    return claims


def _check_times(claims: dict[str, Any], s: Settings) -> None:
    now = utcnow().timestamp()
    leeway = s.jwt_leeway_seconds
    iat, exp, nbf = claims.get("iat"), claims.get("exp"), claims.get("nbf")
    if not (_is_number(iat) and _is_number(exp) and _is_number(nbf)):
        raise TokenError("iat, exp and nbf are required numbers")
    if iat > now + leeway:
        raise TokenError("iat in the future")
    if exp <= now - leeway or nbf > now + leeway:
        raise TokenError("outside validity window")


def unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        return jwt.get_unverified_header(token), jwt.get_unverified_claims(token)
    except JOSEError as e:
        raise TokenError(type(e).__name__)


ExternalIdP = ExternalIdPConfig

_idps_parsed: tuple[str, dict[str, ExternalIdP]] | None = None


def external_idps() -> dict[str, ExternalIdP]:
    """Configured providers by issuer (checked at start; a broken value read later accepts no one)."""
    global _idps_parsed
    raw = get_settings().external_idps or "[]"
    if _idps_parsed is None or _idps_parsed[0] != raw:
        try:
            parsed = {idp.issuer: idp for idp in parse_external_idps(raw)}
        except ValueError:
            raise TokenError("external identity providers misconfigured")
        _idps_parsed = (raw, parsed)
    return _idps_parsed[1]


def _jwks_keys(data: Any) -> dict[str, dict[str, Any]]:
    """The keys of a provider's JWKS document by kid; ValueError when it is not a JWKS at all.

    Entries that are not objects with a string kid are skipped here; a key that cannot be built is refused
    when a token names it (see `_provider_key`)."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ValueError("not a JWKS document")
    keys: dict[str, dict[str, Any]] = {}
    for k in data["keys"]:
        if isinstance(k, dict) and isinstance(k.get("kid"), str) and k["kid"]:
            keys.setdefault(k["kid"], k)
    return keys


class JWKSCache:
    """Per-URL cache of a provider's keys; an unknown kid triggers one refetch (at most every 10 s)."""

    def __init__(self) -> None:
        self._keys: dict[str, tuple[float, dict[str, dict[str, Any]]]] = {}
        self._last_forced: dict[str, float] = {}

    async def _fetch(self, url: str) -> dict[str, dict[str, Any]]:
        async with httpx.AsyncClient(timeout=5.0) as client:
            resp = await client.get(url)
            resp.raise_for_status()
            keys = _jwks_keys(resp.json())
        self._keys[url] = (time.monotonic(), keys)
        return keys

    async def key(self, url: str, kid: str) -> dict[str, Any] | None:
        ttl = get_settings().jwks_cache_seconds
        entry = self._keys.get(url)
        try:
            if entry is None or time.monotonic() - entry[0] > ttl:
                keys = await self._fetch(url)
            else:
                keys = entry[1]
            if kid not in keys and time.monotonic() - self._last_forced.get(url, 0) > 10:
                self._last_forced[url] = time.monotonic()
                keys = await self._fetch(url)
        except (httpx.HTTPError, httpx.InvalidURL, ValueError):  # ValueError: not JSON, not a JWKS
            log.warning("jwks fetch failed", extra={"jwks_url": url})
            return None
        return keys.get(kid)

    def clear(self) -> None:
        self._keys.clear()
        self._last_forced.clear()


def _provider_key(key: dict[str, Any], alg: str) -> Key:
    """A verifying key built from a provider's JWK, or TokenError: a symmetric key, a key meant for another use
    or algorithm, or one that does not parse is never used."""
    if key.get("kty") not in ("RSA", "EC"):
        raise TokenError("unusable key type")
    if key.get("use", "sig") != "sig" or key.get("alg", alg) != alg:
        raise TokenError("key not meant for this algorithm")
    try:
        return jwk.construct(key, alg)
    except Exception:  # the provider's document is untrusted input: any parse failure means "no key"
        raise TokenError("unusable key")


jwks_cache = JWKSCache()


async def verify_access_token(token: str) -> tuple[str, dict[str, Any], ExternalIdP | None]:
    """Return ("local"|"external", claims, idp) for a token that passes every check, else TokenError."""
    s = get_settings()
    ring = keyring()
    seen = ring.verified.get(token)
    if seen is not None and seen[:2] == (s.jwt_issuer, s.jwt_audience):
        _check_times(seen[2], s)
        return "local", seen[2], None
    header, unverified = unverified_parts(token)
    alg = header.get("alg")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenError("no kid")
    iss = unverified.get("iss")
    if iss == s.jwt_issuer:
        if alg not in ALGORITHMS:
            raise TokenError("algorithm not allowed")
        local_key = ring.verifier(kid)
        if local_key is None:
            raise TokenError("unknown kid")
        claims = _decode(token, local_key, audience=s.jwt_audience, issuer=s.jwt_issuer, algorithms=ALGORITHMS,
                         require_jti=True)
        ring.remember(token, s.jwt_issuer, s.jwt_audience, claims)
        return "local", claims, None
    idp = external_idps().get(iss) if isinstance(iss, str) else None
    if idp is None:
        raise TokenError("unknown issuer")
    if not isinstance(alg, str) or alg not in idp.algorithms or not alg.startswith(("RS", "ES")):
        raise TokenError("algorithm not allowed")  # public-key algorithms only (the config allows no others)
    jwk_dict = await jwks_cache.key(idp.jwks_url, kid)
    if jwk_dict is None:
        raise TokenError("unknown kid")
    key = _provider_key(jwk_dict, alg)
    claims = _decode(token, key, audience=idp.audience, issuer=idp.issuer, algorithms=list(idp.algorithms),
                     require_jti=False)
    return "external", claims, idp
