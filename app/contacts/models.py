"""How a person may be contacted safely, and the log of attempts to reach them.

The preferences are one row per person. Channels and the yes/no choices are plain; the safe times (they say
when he is not around), the code word and who else may answer are sealed at rest, bound to the row and field.
The person's free-text safe-contact instructions stay where they always were, sealed on the person
(`people.safe_contact_enc`): the preferences read and write that one column, so nothing had to be copied (or
decrypted) when the preferences arrived.

An attempt records when, by which channel, whether she was reached, and by whom (the caller): no free text.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.crypto import register_sealed
from app.core.db import UTCDateTime, Versioned, created_field, id_field, json_field


class ContactPreferences(Versioned, table=True):
    __tablename__ = "contact_preferences"

    id: uuid.UUID = id_field()
    person_id: uuid.UUID = Field(foreign_key="people.id", unique=True)
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    channels: list[str] = json_field()
    safe_times_enc: str | None = Field(default=None, sa_type=sa.Text)
    timezone: str | None = Field(default=None, max_length=64)
    voicemail_ok: bool | None = None
    code_word_enc: str | None = Field(default=None, sa_type=sa.Text)
    others_may_answer_enc: str | None = Field(default=None, sa_type=sa.Text)
    ask_if_safe_first: bool = Field(default=True, nullable=False)
    created_by: uuid.UUID | None = None
    updated_by: uuid.UUID | None = None
    created_at: datetime = created_field()
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def preferences_aad(row_id: object, field: str) -> bytes:
    return f"contact_preferences:{row_id}:{field}".encode()


# field name in the aad -> column
PREFERENCES_SEALED = {"safe_times": "safe_times_enc", "code_word": "code_word_enc",
                      "others_may_answer": "others_may_answer_enc"}

for _field, _column in PREFERENCES_SEALED.items():
    register_sealed(ContactPreferences, _column, lambda row, _f=_field: preferences_aad(row.id, _f))


class ContactAttempt(SQLModel, table=True):
    """One attempt to reach a person (immutable: a log)."""

    __tablename__ = "contact_attempts"
    __table_args__ = (sa.Index("ix_contact_attempts_person_attempted", "person_id", "attempted_at"),)

    id: uuid.UUID = id_field()
    person_id: uuid.UUID = Field(foreign_key="people.id")
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    attempted_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    channel: str = Field(max_length=16)
    reached: bool = Field(nullable=False)
    by_user_id: uuid.UUID | None = None
    by_ref: str = Field(max_length=200)  # the caller (Principal.ref): a user, an agency system or a provider's user
    created_at: datetime = created_field()
