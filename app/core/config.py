"""Settings, read once from the environment (every setting is listed in README.md)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///./var/tandem.db",
        validation_alias=AliasChoices("DATABASE_URL", "TANDEM_DATABASE_URL"),
    )
    db_pool_size: int = 10
    db_max_overflow: int = 20
    db_pool_timeout: float = 10.0
    db_pool_recycle: int = 1800
    db_echo: bool = False

    # Local state for the embedded default: generated signing and data keys live here.
    var_dir: Path = Path("var")

    # Tokens
    jwt_issuer: str = "tandem"
    jwt_audience: str = "tandem-api"
    access_token_ttl_seconds: int = 900
    jwt_leeway_seconds: int = 30
    # PEM of the current signing key; when empty a key pair is generated under var_dir/keys.
    jwt_private_key: str = ""
    # PEM of the previous public key, still published in JWKS so tokens it signed verify until they expire.
    jwt_previous_public_key: str = ""
    # JSON list of external identity providers:
    # [{"issuer","audience","jwks_url","agency_claim","roles_claim","email_claim","algorithms"}]
    external_idps: str = "[]"
    jwks_cache_seconds: int = 300

    # Login throttling
    login_max_failures: int = 5
    login_window_seconds: int = 900
    login_lockout_seconds: int = 900

    # Data encryption at rest: "kid:base64key,kid2:base64key"; the first is current. Empty: a local key file.
    data_keys: str = ""

    # Domain rules
    consent_max_days: int = 90
    referral_emergency_hours: int = 4
    referral_urgent_business_days: int = 1
    referral_routine_business_days: int = 3
    checklist_valid_days: int = 30

    # Limits
    max_body_bytes: int = 1_000_000
    max_json_depth: int = 32

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

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
