"""The one source of "now", so tests can move time without sleeping."""

from __future__ import annotations

from datetime import UTC, date, datetime

_frozen: datetime | None = None


def utcnow() -> datetime:
    return _frozen if _frozen is not None else datetime.now(UTC)


def today() -> date:
    return utcnow().date()


def set_now(value: datetime | None) -> None:
    """Freeze the clock at `value` (aware UTC), or release it with None."""
    global _frozen
    _frozen = value.astimezone(UTC) if value is not None else None
