"""A SoftHSM2 token made by the test itself: its own configuration and token directory under a temporary
directory, a user PIN, and AES keys generated inside it through python-pkcs11 (never extractable)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.core import kek
from app.core.config import get_settings

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PIN = "4321-user"


@dataclass
class Token:
    label: str
    root: Path

    @property
    def tokens(self) -> Path:
        return self.root / "tokens"

    def kek_id(self, key_label: str) -> str:
        return f"{self.label}:{key_label}"

    def generate_key(self, key_label: str) -> str:
        """An AES-256 key made inside the HSM: sensitive, not extractable; returns its Tandem kek_id."""
        import pkcs11
        from pkcs11 import Attribute, KeyType

        token = kek.pkcs11_keks.lib().get_token(token_label=self.label)
        with token.open(user_pin=PIN, rw=True) as session:
            session.generate_key(KeyType.AES, 256, label=key_label, store=True,
                                 template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False,
                                           Attribute.ENCRYPT: True, Attribute.DECRYPT: True})
        assert pkcs11  # imported for the key types above
        return self.kek_id(key_label)

    def remove(self) -> None:
        """The slot is gone (an HSM unplugged, a network HSM unreachable)."""
        self.tokens.rename(self.root / "tokens.removed")
        self.tokens.mkdir()
        kek.pkcs11_keks.reinitialize()

    def restore(self) -> None:
        shutil.rmtree(self.tokens)
        (self.root / "tokens.removed").rename(self.tokens)
        kek.pkcs11_keks.reinitialize()


def softhsm_token() -> Token:
    """Initialise a fresh token. Fails (does not skip) when SoftHSM2 is missing: CI installs it (.ci/run)."""
    util = shutil.which("softhsm2-util")
    if util is None or not Path(MODULE).exists():
        pytest.fail("SoftHSM2 is not installed (softhsm2-util and /usr/lib/softhsm/libsofthsm2.so): "
                    "`apt-get install -y softhsm2`, as .ci/run does")
    conf = os.environ.get("SOFTHSM2_CONF")
    if conf is None or not Path(conf).exists():
        root = Path(tempfile.mkdtemp(prefix="tandem-hsm-"))
        (root / "tokens").mkdir()
        conf_path = root / "softhsm2.conf"
        conf_path.write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\n"
                             "log.level = ERROR\n")
        os.environ["SOFTHSM2_CONF"] = str(conf_path)
    root = Path(os.environ["SOFTHSM2_CONF"]).parent
    label = f"t{uuid.uuid4().hex[:12]}"
    subprocess.run([util, "--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", "9876-so"],
                   check=True, capture_output=True, env=os.environ.copy())
    os.environ["TANDEM_PKCS11_MODULE"] = MODULE
    pins = [p for p in os.environ.get("TANDEM_PKCS11_PINS", "").split(",") if p]
    os.environ["TANDEM_PKCS11_PINS"] = ",".join([*pins, f"{label}:{PIN}"])
    get_settings.cache_clear()
    if kek.pkcs11_keks._lib is not None:
        kek.pkcs11_keks.reinitialize()  # the module sees tokens made since it was loaded
    return Token(label, root)
