"""Settings, read once from the environment (every setting is listed in README.md)."""

from __future__ import annotations

import json
import os
import uuid
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

# Signature algorithms an external identity provider may use: public-key ones only (an HMAC secret shared
# with a provider could be used to mint tokens for it).
EXTERNAL_ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")


class ExternalIdPConfig(BaseModel):
    """One entry of TANDEM_EXTERNAL_IDPS: a provider that speaks for exactly one agency."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: str = Field(min_length=1, max_length=500)
    audience: str = Field(min_length=1, max_length=500)
    jwks_url: str = Field(min_length=1, max_length=2000)
    agency_id: uuid.UUID  # required: tokens of this issuer are accepted for this agency only
    agency_claim: str = Field("agency_id", min_length=1, max_length=200)
    roles_claim: str = Field("roles", min_length=1, max_length=200)
    email_claim: str = Field("email", min_length=1, max_length=200)
    algorithms: tuple[str, ...] = Field(("RS256",), min_length=1)

    @field_validator("jwks_url")
    @classmethod
    def _http(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("jwks_url must be an http(s) URL")
        return v

    @field_validator("algorithms")
    @classmethod
    def _asymmetric(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [a for a in v if a not in EXTERNAL_ALGORITHMS]
        if bad:
            raise ValueError(f"algorithms must be among {', '.join(EXTERNAL_ALGORITHMS)}")
        return v


_IDP_LIST = TypeAdapter(list[ExternalIdPConfig])


def parse_external_idps(raw: str) -> list[ExternalIdPConfig]:
    """The providers of TANDEM_EXTERNAL_IDPS; ValueError (naming no secret) when an entry is incomplete."""
    try:
        data = json.loads(raw or "[]")
    except ValueError:
        raise ValueError("TANDEM_EXTERNAL_IDPS is not valid JSON")
    try:
        idps = _IDP_LIST.validate_python(data)
    except ValidationError as e:
        where = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors())
        raise ValueError(f"TANDEM_EXTERNAL_IDPS is incomplete or invalid ({where})")
    issuers = [i.issuer for i in idps]
    if len(set(issuers)) != len(issuers):
        raise ValueError("TANDEM_EXTERNAL_IDPS names one issuer twice; each issuer speaks for one agency")
    return idps


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_", extra="ignore")

    # Empty: the embedded SQLite file `tandem.db` in var_dir.
    database_url: str = Field(
        default="",
        validation_alias=AliasChoices("DATABASE_URL", "TANDEM_DATABASE_URL"),
    )
    # Connections kept open per process. A connection beyond them (overflow) is closed when handed back, so
    # under a burst above the pool size every request opened and closed a PostgreSQL connection (a new backend,
    # its type codecs and every prepared statement again) and the process served fewer requests the more were
    # waiting (measured: 199 of 360 req/s offered, then 503s). A fixed pool: a request beyond it waits for a
    # connection (up to db_pool_timeout, then 503), which costs nothing while it waits.
    db_pool_size: int = 30
    db_max_overflow: int = 0
    db_pool_timeout: float = 10.0
    db_pool_recycle: int = 1800
    db_echo: bool = False

    # Local state for the embedded default: the SQLite file and the generated signing and data keys.
    var_dir: Path = Path("var")
    # With PostgreSQL, keys come from TANDEM_JWT_PRIVATE_KEY and TANDEM_DATA_KEYS: generated ones would live in
    # one replica's var_dir only. True lets keys be generated under var_dir anyway (one host with a
    # persistent var_dir shared by every process; the test suite).
    allow_local_keys: bool = False

    # Tokens
    jwt_issuer: str = "tandem"
    jwt_audience: str = "tandem-api"
    access_token_ttl_seconds: int = 900
    jwt_leeway_seconds: int = 30
    # PEM of the current signing key; when empty a key pair is generated under var_dir/keys.
    jwt_private_key: str = ""
    # PEM of the previous public key, still published in JWKS so tokens it signed verify until they expire.
    jwt_previous_public_key: str = ""
    # JSON list of external identity providers, each bound to the one agency it speaks for:
    # [{"issuer","audience","jwks_url","agency_id","agency_claim","roles_claim","email_claim","algorithms"}]
    external_idps: str = "[]"
    jwks_cache_seconds: int = 300

    # Login throttling
    login_max_failures: int = 5
    login_window_seconds: int = 900
    login_lockout_seconds: int = 900

    # Data encryption at rest: "kid:base64key,kid2:base64key"; the first is current. Empty: a local key file.
    data_keys: str = ""
    # Each agency's data keys are wrapped by its key-encryption key (KEK). Local KEKs: "kek_id:base64key,..."
    # here, else a key file per KEK under var_dir/keys/keks (generated where keys may be generated).
    local_keks: str = ""
    # PKCS#11 KEKs (an HSM): the module (shared library) and the user PIN of each token ("token:pin,...").
    pkcs11_module: str = "/usr/lib/softhsm/libsofthsm2.so"
    pkcs11_pins: str = ""
    # Unwrapped data keys kept in memory: at most this many, each for at most this many seconds.
    data_key_cache_size: int = Field(default=1024, ge=1)
    data_key_cache_seconds: float = Field(default=300.0, gt=0)
    # Callers (staff users, agency systems, person accounts) kept in memory per process, so a request checks
    # its token without reading the account; changes reach every process at once (app.auth.principal_cache).
    # 0 turns the cache off (every request reads the account).
    principal_cache_size: int = Field(default=10_000, ge=0)

    # Domain rules
    consent_max_days: int = 90
    # Hours a release under a legal mandate waits for the survivor to be warned (unless the court orders
    # immediate release); once the warning task is done it need not wait.
    mandate_notice_hours: int = Field(default=72, ge=0)
    referral_emergency_hours: int = 4
    referral_urgent_business_days: int = 1
    referral_routine_business_days: int = 3
    checklist_valid_days: int = 30
    # People told in time: an overdue referral is escalated this many hours after its deadline if still
    # unanswered; a consent expiring within this many days opens a renewal task.
    referral_escalation_hours: int = Field(default=24, ge=1)
    consent_expiry_warning_days: int = Field(default=14, ge=1)

    # Limits
    max_body_bytes: int = 1_000_000
    max_json_depth: int = 32

    # How long an Idempotency-Key is remembered (then the key is fresh again and its record is purged).
    idempotency_ttl_hours: int = Field(default=24, ge=1)

    # Webhooks
    webhook_max_attempts: int = 8
    webhook_backoff_base_seconds: float = 2.0
    webhook_timeout_seconds: float = 10.0
    webhook_worker_enabled: bool = True
    webhook_poll_seconds: float = 2.0
    # Deliver to loopback, private, link-local and special-use addresses too (tests and demos only).
    webhook_allow_private_urls: bool = False

    # Audit: one caller may verify the hash chain through the API once per this many seconds.
    audit_verify_min_interval_seconds: float = 60.0

    log_level: str = "INFO"
    # Bearer token GET /metrics requires; empty leaves /metrics open (then keep its port internal).
    metrics_token: str = ""

    @field_validator("external_idps")
    @classmethod
    def _idps_complete(cls, v: str) -> str:
        parse_external_idps(v)  # refuse to start with a provider that names no agency
        return v

    @model_validator(mode="after")
    def _embedded_default(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.var_dir}/tandem.db"
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def missing_keys(self) -> list[str]:
        """The key settings that must be given because keys may not be generated here (PostgreSQL without
        TANDEM_ALLOW_LOCAL_KEYS); empty when nothing is missing."""
        if self.is_sqlite or self.allow_local_keys:
            return []
        return [name for name, value in (("TANDEM_JWT_PRIVATE_KEY", self.jwt_private_key),
                                         ("TANDEM_DATA_KEYS", self.data_keys)) if not value.strip()]


class KeysNotConfigured(RuntimeError):
    """Tandem refuses to run against PostgreSQL with keys it would have to generate: every replica would
    make its own, and sealed data written by one could not be read by another (or by a new container)."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(
            f"{' and '.join(missing)} must be set when DATABASE_URL is PostgreSQL: keys generated in one "
            "container would not exist in the others. Generate them once (README, \"Keys\"), give the same "
            "values to every process, or set TANDEM_ALLOW_LOCAL_KEYS=true for a single host with a persistent "
            "TANDEM_VAR_DIR.")


def require_keys(settings: Settings) -> None:
    """KeysNotConfigured when keys would have to be generated where they must not be."""
    missing = settings.missing_keys()
    if missing:
        raise KeysNotConfigured(missing)


def project_root() -> Path:
    """Where alembic.ini and migrations/ are: the source tree this package runs from, or TANDEM_HOME when the
    package is installed elsewhere (the container installs it into site-packages, the tree stays in
    /opt/tandem)."""
    return Path(os.environ.get("TANDEM_HOME") or Path(__file__).resolve().parents[2])


@lru_cache
def get_settings() -> Settings:
    return Settings()
