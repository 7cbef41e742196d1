"""Create / Read schemas for webhook endpoints and their deliveries."""

from __future__ import annotations

import fnmatch
import re
import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.config import get_settings
from app.outbox.events import EVENT_TYPES
from app.webhooks.egress import check_url

_PATTERN = re.compile(r"^(\*|[a-z_]+\.(\*|[a-z_]+))$")


EVENT_FAMILIES = list(dict.fromkeys(t.split(".", 1)[0] for t in EVENT_TYPES))

class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: str = Field(min_length=1, max_length=2000, examples=["https://cms.agency.example/tandem-events"])
    events: list[str] = Field(min_length=1, max_length=32, examples=[["referral.*", "consent.revoked"]])
    description: str | None = Field(None, max_length=500)

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        """An http(s) URL of a public receiver (see app/webhooks/egress.py; checked again at send time)."""
        check_url(v, allow_private=get_settings().webhook_allow_private_urls)
        return v

    @field_validator("events")
    @classmethod
    def _patterns(cls, v: list[str]) -> list[str]:
        out: list[str] = []
        for p in v:
            p = p.strip()
            if not _PATTERN.match(p) or not any(fnmatch.fnmatchcase(t, p) for t in EVENT_TYPES):
                raise ValueError("each entry must be an event type or a pattern such as referral.* "
                                 f"(known families: {', '.join(EVENT_FAMILIES)})")
            if p not in out:
                out.append(p)
        return out


class WebhookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    agency_id: uuid.UUID
    url: str
    events: list[str]
    description: str | None
    active: bool
    created_at: datetime
    disabled_at: datetime | None


class WebhookCreated(WebhookRead):
    secret: str = Field(description="The signing secret; shown only in this response.")


class DeliveryRead(BaseModel):
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
