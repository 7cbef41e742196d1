"""PUT / Read schemas of contact preferences; Create / Read of contact attempts."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from app.core.types import Input, Timestamp


class Channel(StrEnum):
    call = "call"
    text = "text"
    email = "email"
    in_person = "in_person"


class Weekday(StrEnum):
    mon = "mon"
    tue = "tue"
    wed = "wed"
    thu = "thu"
    fri = "fri"
    sat = "sat"
    sun = "sun"


def _unique(values: list[Any]) -> list[Any]:
    if len(set(values)) != len(values):
        raise ValueError("values must not repeat")
    return values


class SafeTime(Input):
    """A window when contact is safe: on these weekdays, from `start` to `end` (local time of `timezone`)."""

    weekdays: list[Weekday] = Field(min_length=1, max_length=7)
    start: time
    end: time

    _u = field_validator("weekdays")(_unique)

    @model_validator(mode="after")
    def _order(self) -> SafeTime:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("start and end are local times (no offset): the zone is the preferences' timezone")
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class ContactPreferencesPut(Input):
    """The whole preferences (PUT replaces them). `instructions` is the person's free-text safe-contact
    instructions (the same value as the person's `safe_contact_instructions`): left out, it is kept as it is;
    null clears it."""

    channels: list[Channel] = Field(default_factory=list, max_length=len(Channel),
                                    description="The channels allowed; none listed: do not contact.")
    safe_times: list[SafeTime] = Field(default_factory=list, max_length=21, description="Sealed at rest.")
    timezone: str | None = Field(None, min_length=1, max_length=64, examples=["America/Los_Angeles"],
                                 description="IANA time zone of the safe times.")
    voicemail_ok: StrictBool | None = None
    code_word: str | None = Field(None, min_length=1, max_length=100, description="Sealed at rest.")
    others_may_answer: str | None = Field(None, min_length=1, max_length=500,
                                          description="Who else may answer (sealed at rest).")
    ask_if_safe_first: StrictBool = True
    instructions: str | None = Field(None, max_length=2000, description="Sealed at rest, on the person.")

    _u = field_validator("channels")(_unique)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                ZoneInfo(v)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError("must be an IANA time zone such as America/Chicago") from None
        return v


class ContactPreferencesRead(BaseModel):
    """`id` is null (and there is no ETag) while only the person's instructions are on file: the first PUT
    creates the preferences."""

    id: uuid.UUID | None
    person_id: uuid.UUID
    case_id: uuid.UUID
    agency_id: uuid.UUID
    channels: list[Channel]
    safe_times: list[SafeTime]
    timezone: str | None
    voicemail_ok: bool | None
    code_word: str | None
    others_may_answer: str | None
    ask_if_safe_first: bool
    instructions: str | None
    created_at: datetime | None
    updated_at: datetime | None = None


class ContactAttemptCreate(Input):
    attempted_at: Timestamp | None = Field(None, description="When (RFC 3339); now when left out.")
    channel: Channel
    reached: bool


class ContactAttemptRead(BaseModel):
    """An attempt to reach the person: when, how, whether reached, by whom. No free text."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    person_id: uuid.UUID
    attempted_at: datetime
    channel: Channel
    reached: bool
    by_user_id: uuid.UUID | None
    created_at: datetime
