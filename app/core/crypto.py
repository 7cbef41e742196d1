"""AES-GCM encryption of personal data at rest, each agency's data under its own keys (envelope encryption).

Stored form: "v2:<kid>:<base64url(nonce || ciphertext+tag)>", where <kid> names one agency data key (table
data_keys, stored only wrapped by the agency's key-encryption key, app/core/kek.py). A value is sealed with its
owning agency's current data key (`encrypt(..., owner=agency_id)`) and bound (`aad`) to its row and field.

The key ring keeps every agency's wrapped keys in memory (loaded once per process, app/core/keyring.py) and the
unwrapped keys in a bounded cache (size and age: TANDEM_DATA_KEY_CACHE_SIZE / _SECONDS), so after a key's first
use a value costs no query and no KEK call.

Older values "v1:<kid>:..." were sealed with the platform key ring, TANDEM_DATA_KEYS ("kid:base64key,..."; the
first is current) or, for the embedded default, a generated local key file: they keep decrypting until
`tandem migrate-data-keys` seals them under their agency's key. The platform ring also keys the idempotency
HMACs (app/core/http.py).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.core import kek
from app.core.config import Settings, get_settings, require_keys
from app.core.errors import KeyUnavailable
from app.core.files import PRIVATE_FILE, create_private_file, key_dir, tighten


class DecryptionError(Exception):
    pass


def _b64d(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _b64e(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


@dataclass
class DataKeys:
    current: str
    keys: dict[str, bytes]

    @classmethod
    def load(cls, settings: Settings) -> DataKeys:
        spec = settings.data_keys.strip()
        if not spec:
            require_keys(settings)
            path = key_dir(settings.var_dir) / "data-keys.txt"
            if not path.exists():
                create_private_file(path, (new_key_spec() + "\n").encode())
            tighten(path, PRIVATE_FILE)
            spec = ",".join(line.strip() for line in path.read_text().splitlines() if line.strip())
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for part in spec.split(","):
            kid, _, b64 = part.strip().partition(":")
            key = _b64d(b64)
            if len(key) not in (16, 24, 32) or not kid:
                raise ValueError("each data key must be kid:base64 of a 128/192/256-bit key")
            keys[kid] = key
            order.append(kid)
        return cls(current=order[0], keys=keys)


_keys: DataKeys | None = None


def data_keys() -> DataKeys:
    global _keys
    if _keys is None:
        _keys = DataKeys.load(get_settings())
    return _keys


def reset_data_keys() -> None:
    global _keys
    _keys = None


# ---------------------------------------------------------------- agency data keys (the key ring)


@dataclass(frozen=True)
class WrappedKey:
    """A data key as stored: wrapped by its agency's KEK (`wrapped` None: destroyed)."""

    kid: str
    agency_id: uuid.UUID
    provider: str
    kek_id: str
    wrapped: bytes | None


def wrap_aad(kid: str, agency_id: uuid.UUID) -> bytes:
    """What a wrapped data key is bound to: a wrapped key copied to another id or agency does not open."""
    return f"tandem data key|{kid}|{agency_id}".encode()


@dataclass
class KeyRing:
    """Every agency's wrapped data keys (no secret: useless without the KEK) and a bounded cache of unwrapped
    ones. `current[agency]` is the key new values of that agency are sealed with."""

    wrapped: dict[str, WrappedKey] = field(default_factory=dict)
    current: dict[uuid.UUID, str] = field(default_factory=dict)
    agencies: set[uuid.UUID] = field(default_factory=set)  # every agency with a key here (shredded ones too)
    loaded: bool = False
    stale: bool = False
    _cache: OrderedDict[str, tuple[bytes, float]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, key: WrappedKey, current: bool = True) -> None:
        with self._lock:
            self.wrapped[key.kid] = key
            self.agencies.add(key.agency_id)
            self._cache.pop(key.kid, None)
            if current and key.wrapped is not None:
                self.current[key.agency_id] = key.kid

    def forget(self, agency_id: uuid.UUID | None = None) -> None:
        """Drop unwrapped keys from memory (one agency's, or all)."""
        with self._lock:
            for kid in list(self._cache):
                if agency_id is None or self.wrapped[kid].agency_id == agency_id:
                    del self._cache[kid]

    def replace(self, keys: list[WrappedKey]) -> None:
        """The whole ring as the database holds it now (`keys` oldest first per agency)."""
        with self._lock:
            self.wrapped = {k.kid: k for k in keys}
            self.current = {k.agency_id: k.kid for k in keys if k.wrapped is not None}
            self.agencies = {k.agency_id for k in keys}
            self._cache.clear()
            self.loaded, self.stale = True, False

    def key(self, kid: str) -> bytes:
        """The unwrapped data key `kid`: from the cache, else unwrapped by its KEK (then cached)."""
        settings = get_settings()
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(kid)
            if hit is not None and hit[1] > now:
                self._cache.move_to_end(kid)
                return hit[0]
            wk = self.wrapped.get(kid)
        if wk is None:
            self.stale = True  # made by another process since this one loaded: the next request reloads
            raise KeyUnavailable()
        if wk.wrapped is None:
            raise KeyUnavailable("The data key that sealed this data was destroyed; it cannot be read.")
        try:
            plain = kek.provider(wk.provider).unwrap(wk.kek_id, wk.wrapped, wrap_aad(wk.kid, wk.agency_id))
        except kek.KekUnavailable:
            raise KeyUnavailable() from None
        with self._lock:
            self._cache[kid] = (plain, now + settings.data_key_cache_seconds)
            while len(self._cache) > settings.data_key_cache_size:
                self._cache.popitem(last=False)
        return plain

    def cached(self) -> list[str]:
        return list(self._cache)


ring = KeyRing()


def new_data_key(agency_id: uuid.UUID, provider: str, kek_id: str) -> tuple[WrappedKey, bytes]:
    """A fresh data key for an agency, wrapped by its KEK: (what is stored, the key itself)."""
    kid = f"d{secrets.token_hex(8)}"
    plain = AESGCM.generate_key(bit_length=256)
    try:
        wrapped = kek.provider(provider).wrap(kek_id, plain, wrap_aad(kid, agency_id))
    except kek.KekUnavailable:
        raise KeyUnavailable() from None
    return WrappedKey(kid, agency_id, provider, kek_id, wrapped), plain


def encrypt(plaintext: bytes, aad: bytes = b"", *, owner: uuid.UUID) -> str:
    """Seal under the current data key of the agency `owner` (the agency whose record the value is)."""
    kid = ring.current.get(owner)
    if kid is None:  # an agency this process has not seen yet: the next request reloads the ring
        ring.stale = True
        raise KeyUnavailable()
    nonce = os.urandom(12)
    ct = AESGCM(ring.key(kid)).encrypt(nonce, plaintext, aad)
    return f"v2:{kid}:{_b64e(nonce + ct)}"


def decrypt(stored: str, aad: bytes = b"") -> bytes:
    """The plaintext of a sealed value; KeyUnavailable (503) when its agency's key cannot be used now,
    DecryptionError when the value is damaged or bound to another row or field."""
    try:
        version, kid, payload = stored.split(":", 2)
        raw = _b64d(payload)
        if version == "v2":
            key = ring.key(kid)
        elif version == "v1":
            key = data_keys().keys[kid]
        else:
            raise ValueError
        return AESGCM(key).decrypt(raw[:12], raw[12:], aad)
    except KeyUnavailable:
        raise
    except Exception as e:  # never say more: the value or key may be sensitive
        raise DecryptionError("value could not be decrypted") from e


def key_id_of(stored: str) -> str:
    return stored.split(":", 2)[1]


def encrypt_json(value: Any, aad: bytes = b"", *, owner: uuid.UUID) -> str | None:
    """Seal a JSON-able value (None stays None) under the owning agency's current key."""
    if value is None:
        return None
    return encrypt(json.dumps(value, separators=(",", ":"), sort_keys=True).encode(), aad, owner=owner)


def seal_platform_json(value: Any, aad: bytes = b"") -> str:
    """Seal a JSON-able value that belongs to no agency (the platform's own records, e.g. the audit head kept
    when the chain was split per agency) under the platform key ring, as a "v1:" value; `decrypt_json` opens
    it. Never for personal data: that is always an agency's, under its key."""
    dk = data_keys()
    nonce = os.urandom(12)
    plaintext = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
    return f"v1:{dk.current}:{_b64e(nonce + AESGCM(dk.keys[dk.current]).encrypt(nonce, plaintext, aad))}"


def decrypt_json(stored: str | None, aad: bytes = b"") -> Any:
    if stored is None:
        return None
    return json.loads(decrypt(stored, aad))


def decrypt_text(stored: str | None, aad: bytes = b"") -> str | None:
    """A sealed text (what `encrypt_json` made of a str or None)."""
    value = decrypt_json(stored, aad)
    if value is not None and not isinstance(value, str):
        raise ValueError("the sealed value is not a text")
    return value


def new_key_spec() -> str:
    """A fresh key entry ("kid:base64") for TANDEM_DATA_KEYS or the local key file."""
    return f"k{secrets.token_hex(4)}:{_b64e(AESGCM.generate_key(bit_length=256))}"


# ---------------------------------------------------------------- columns sealed at rest (for key rotation)


@dataclass(frozen=True)
class SealedColumn:
    """A column holding encrypt_json/encrypt output, how to rebuild the `aad` each value was bound to, and how
    to find the agency that owns a row (`owner(table)`: an SQL expression, e.g. the row's agency_id column)."""

    model: Any
    column: str
    aad: Any  # Callable[[row], bytes]
    owner: Any  # Callable[[sa.Table], sa.ColumnElement[uuid.UUID]]


SEALED_COLUMNS: list[SealedColumn] = []


def owner_column(name: str = "agency_id") -> Any:
    """The `owner` of a sealed column whose table names its agency in column `name`."""
    return lambda table: table.c[name]


def register_sealed(model: Any, column: str, aad: Any, owner: Any = None) -> None:
    """Declare an encrypted column so key rotation and migration re-encrypt it, agency by agency.
    `aad(row) -> bytes`; `owner(table)` finds the row's agency (default: its `agency_id` column)."""
    if not any(s.model is model and s.column == column for s in SEALED_COLUMNS):
        SEALED_COLUMNS.append(SealedColumn(model, column, aad, owner or owner_column()))


def reseal(stored: str, aad: bytes = b"", *, owner: uuid.UUID) -> str:
    """The same plaintext sealed again under the owner's current key."""
    return encrypt(decrypt(stored, aad), aad, owner=owner)
