"""Input types shared by every domain."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict

_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)


def _rfc3339(value: Any) -> datetime | str:
    """Only RFC 3339: a date-time with a zone, or a full-date meaning its midnight UTC. No epoch numbers,
    no naive times."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _FULL_DATE.match(value):
        return value + "T00:00:00Z"
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("must be an RFC 3339 date-time with a time zone, such as 2026-11-22T09:30:00Z")
    return value


def _fits_in_utc(value: datetime) -> datetime:
    """Every stored time is UTC: a time whose UTC equivalent falls outside years 1-9999 (such as
    0001-01-01T00:00:00+14:00) cannot be compared or stored, so it is refused here."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("must fall between the years 1 and 9999 once converted to UTC") from None
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_fits_in_utc)]


class Input(BaseModel):
    """Base of every request body: unknown fields are refused (no mass assignment), strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
