"""AES-GCM encryption of personal data at rest. Each value carries the id of the key that sealed it.

Stored form: "v1:<kid>:<base64url(nonce || ciphertext+tag)>". Keys come from TANDEM_DATA_KEYS
("kid:base64key,..."; the first is current) or, for the embedded default, a generated local key file.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.core.config import Settings, get_settings, require_keys
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


def encrypt(plaintext: bytes, aad: bytes = b"") -> str:
    dk = data_keys()
    nonce = os.urandom(12)
    ct = AESGCM(dk.keys[dk.current]).encrypt(nonce, plaintext, aad)
    return f"v1:{dk.current}:{_b64e(nonce + ct)}"


def decrypt(stored: str, aad: bytes = b"") -> bytes:
    try:
        version, kid, payload = stored.split(":", 2)
        key = data_keys().keys[kid]
        raw = _b64d(payload)
        if version != "v1":
            raise ValueError
        return AESGCM(key).decrypt(raw[:12], raw[12:], aad)
    except Exception as e:  # never say more: the value or key may be sensitive
        raise DecryptionError("value could not be decrypted") from e


def key_id_of(stored: str) -> str:
    return stored.split(":", 2)[1]


def encrypt_json(value: Any, aad: bytes = b"") -> str | None:
    """Seal a JSON-able value (None stays None)."""
    if value is None:
        return None
    return encrypt(json.dumps(value, separators=(",", ":"), sort_keys=True).encode(), aad)


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
    """A column holding encrypt_json/encrypt output, and how to rebuild the `aad` each value was bound to."""

    model: Any
    column: str
    aad: Any  # Callable[[row], bytes]


SEALED_COLUMNS: list[SealedColumn] = []


def register_sealed(model: Any, column: str, aad: Any) -> None:
    """Declare an encrypted column so `tandem rotate-data-key` re-encrypts it. `aad(row) -> bytes`."""
    if not any(s.model is model and s.column == column for s in SEALED_COLUMNS):
        SEALED_COLUMNS.append(SealedColumn(model, column, aad))


def reseal(stored: str, aad: bytes = b"") -> str:
    """The same plaintext sealed again under the current key."""
    return encrypt(decrypt(stored, aad), aad)
