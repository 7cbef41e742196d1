"""Key-encryption keys (KEKs): where an agency's data keys are wrapped and unwrapped. One small interface,
two providers:

- `local`: an AES-256 key given in TANDEM_LOCAL_KEKS ("kek_id:base64,...") or kept in a key file per KEK under
  var_dir/keys/keks (generated where keys may be generated: SQLite, or TANDEM_ALLOW_LOCAL_KEYS);
- `pkcs11`: an AES key inside a hardware security module reached through PKCS#11 (`python-pkcs11`); `kek_id`
  is "token-label:key-label", the module is TANDEM_PKCS11_MODULE and each token's PIN is in TANDEM_PKCS11_PINS.
  The key never leaves the HSM: the HSM seals and opens data keys with AES-GCM.

A wrapped data key is nonce || AES-GCM(KEK, data key), bound (`aad`) to the data key's id and its agency.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import threading
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.core.config import KeysNotConfigured, Settings, get_settings, require_keys
from app.core.files import PRIVATE_DIR, create_private_file, key_dir, make_private_dirs, tighten

PROVIDERS = ("local", "pkcs11")


class KekUnavailable(Exception):
    """The KEK cannot be used now (missing, destroyed, HSM unreachable). Carries no key material."""


class KekProvider(Protocol):
    def wrap(self, kek_id: str, data_key: bytes, aad: bytes) -> bytes: ...

    def unwrap(self, kek_id: str, wrapped: bytes, aad: bytes) -> bytes: ...

    def create(self, kek_id: str) -> None: ...

    def destroy(self, kek_id: str) -> bool: ...


def _b64d(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


_KEK_ID = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


class LocalKeks:
    """KEKs kept by the platform (env value or key file). The embedded default: works with no configuration."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings

    @property
    def settings(self) -> Settings:
        return self._settings or get_settings()

    def _configured(self) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for part in self.settings.local_keks.split(","):
            kid, _, b64 = part.strip().partition(":")
            if kid and b64:
                out[kid] = _b64d(b64)
        return out

    def _path(self, kek_id: str) -> Path:
        if not _KEK_ID.match(kek_id):
            raise KekUnavailable("not a local key id")
        return key_dir(self.settings.var_dir) / "keks" / f"{kek_id}.key"

    def _key(self, kek_id: str) -> bytes:
        key = self._configured().get(kek_id)
        if key is None:
            path = self._path(kek_id)
            try:
                key = _b64d(path.read_text().strip())
            except OSError:
                raise KekUnavailable(f"local key-encryption key {kek_id} is missing") from None
        if len(key) != 32:
            raise KekUnavailable(f"local key-encryption key {kek_id} is not a 256-bit key")
        return key

    def create(self, kek_id: str) -> None:
        if kek_id in self._configured():
            return
        path = self._path(kek_id)
        if path.exists():
            return
        require_keys(self.settings)  # PostgreSQL without TANDEM_ALLOW_LOCAL_KEYS: give TANDEM_LOCAL_KEKS instead
        tighten(make_private_dirs(path.parent), PRIVATE_DIR)
        key = base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode()
        create_private_file(path, (key + "\n").encode())

    def wrap(self, kek_id: str, data_key: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + AESGCM(self._key(kek_id)).encrypt(nonce, data_key, aad)

    def unwrap(self, kek_id: str, wrapped: bytes, aad: bytes) -> bytes:
        key = self._key(kek_id)
        try:
            return AESGCM(key).decrypt(wrapped[:12], wrapped[12:], aad)
        except Exception:
            raise KekUnavailable("the data key does not open with its key-encryption key") from None

    def destroy(self, kek_id: str) -> bool:
        """Delete the key file (overwritten first). A KEK given in TANDEM_LOCAL_KEKS is the operator's to remove:
        False then."""
        if kek_id in self._configured():
            return False
        path = self._path(kek_id)
        if path.exists():
            size = path.stat().st_size
            with path.open("r+b") as f:
                f.write(secrets.token_bytes(size))
                f.flush()
                os.fsync(f.fileno())
            path.unlink()
        return True


class Pkcs11Keks:
    """KEKs inside an HSM. Each operation opens a session on the token (only on a data-key cache miss)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings
        self._lib: Any = None
        self._lock = threading.Lock()

    @property
    def settings(self) -> Settings:
        return self._settings or get_settings()

    def lib(self) -> Any:
        with self._lock:
            if self._lib is None:
                try:
                    import pkcs11
                except ImportError as e:  # pragma: no cover - a dependency of the package
                    raise KekUnavailable("python-pkcs11 is not installed") from e
                try:
                    self._lib = pkcs11.lib(self.settings.pkcs11_module)
                except Exception as e:
                    raise KekUnavailable(f"the PKCS#11 module {self.settings.pkcs11_module} cannot be loaded") from e
            return self._lib

    def reinitialize(self) -> None:
        """Finalize and initialize the module again (tokens added or removed since are seen)."""
        lib = self.lib()
        lib.reinitialize()

    def _pin(self, token: str) -> str:
        for part in self.settings.pkcs11_pins.split(","):
            label, _, pin = part.strip().partition(":")
            if label == token and pin:
                return pin
        raise KekUnavailable(f"no PIN for PKCS#11 token {token} in TANDEM_PKCS11_PINS")

    @staticmethod
    def split(kek_id: str) -> tuple[str, str]:
        token, sep, label = kek_id.partition(":")
        if not sep or not token or not label:
            raise KekUnavailable("a PKCS#11 key id is token-label:key-label")
        return token, label

    def _with_key(self, kek_id: str, op: Any, rw: bool = False) -> Any:
        import pkcs11

        token_label, label = self.split(kek_id)
        try:
            token = self.lib().get_token(token_label=token_label)
            with token.open(user_pin=self._pin(token_label), rw=rw) as session:
                return op(session, session.get_key(label=label, key_type=pkcs11.KeyType.AES))
        except KekUnavailable:
            raise
        except Exception as e:  # no token, no such key, wrong PIN, device error: all mean unavailable
            raise KekUnavailable(f"PKCS#11 key {kek_id} is unavailable ({type(e).__name__})") from None

    def create(self, kek_id: str) -> None:
        """The KEK must exist in the HSM already (made there by the agency); checked by using it."""
        self.unwrap(kek_id, self.wrap(kek_id, b"\0" * 32, b"probe"), b"probe")

    def wrap(self, kek_id: str, data_key: bytes, aad: bytes) -> bytes:
        from pkcs11.mechanisms import GCMParams, Mechanism

        nonce = os.urandom(12)
        ct = self._with_key(kek_id, lambda _s, k: k.encrypt(
            data_key, mechanism=Mechanism.AES_GCM, mechanism_param=GCMParams(nonce, aad, 128)))
        return nonce + bytes(ct)

    def unwrap(self, kek_id: str, wrapped: bytes, aad: bytes) -> bytes:
        from pkcs11.mechanisms import GCMParams, Mechanism

        out = self._with_key(kek_id, lambda _s, k: k.decrypt(
            wrapped[12:], mechanism=Mechanism.AES_GCM, mechanism_param=GCMParams(wrapped[:12], aad, 128)))
        return bytes(out)

    def destroy(self, kek_id: str) -> bool:
        self._with_key(kek_id, lambda _s, k: k.destroy(), rw=True)
        return True


local = LocalKeks()
pkcs11_keks = Pkcs11Keks()


def provider(name: str) -> KekProvider:
    if name == "local":
        return local
    if name == "pkcs11":
        return pkcs11_keks
    raise KekUnavailable(f"unknown key provider {name}")


def new_local_kek_id() -> str:
    """A new local KEK's id for an agency: a key of its own, generated, where keys may be generated (SQLite,
    TANDEM_ALLOW_LOCAL_KEYS). Elsewhere (replicas on PostgreSQL) the first key of TANDEM_LOCAL_KEKS, which every
    process has: the agency's data keys are still its own, and its admin can move them under its own HSM key."""
    settings = get_settings()
    if settings.is_sqlite or settings.allow_local_keys:
        return f"kek-{secrets.token_hex(8)}"
    configured = local._configured()
    if not configured:
        raise KeysNotConfigured(["TANDEM_LOCAL_KEKS"])
    return next(iter(configured))
