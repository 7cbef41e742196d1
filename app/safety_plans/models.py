"""The safety-plan summary of a person: one row per person, held by the DV agency that keeps her record.

The written plan never enters Tandem. The summary says that a plan exists, when it was last reviewed, and holds
the elements she chose to record, each marked shareable or not by her. Element keys and the shareable marks are
plain (coded); the texts are sealed at rest, bound to the row.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field

from app.core.crypto import register_sealed
from app.core.db import UTCDateTime, Versioned, created_field, id_field, json_field


class SafetyPlanSummary(Versioned, table=True):
    __tablename__ = "safety_plan_summaries"

    id: uuid.UUID = id_field()
    person_id: uuid.UUID = Field(foreign_key="people.id", unique=True)
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    plan_exists: bool = Field(nullable=False)
    last_reviewed_on: date | None = None
    # [{"key": ElementKey, "shareable": bool}, ...] in the order she gave them; the texts are in element_texts_enc
    elements: list[dict] = json_field()
    element_texts_enc: str | None = Field(default=None, sa_type=sa.Text)  # sealed {key: text}
    created_by: uuid.UUID | None = None
    updated_by: uuid.UUID | None = None
    created_at: datetime = created_field()
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def element_texts_aad(summary_id: object) -> bytes:
    return f"safety_plan_summary:{summary_id}:element_texts".encode()


register_sealed(SafetyPlanSummary, "element_texts_enc", lambda row: element_texts_aad(row.id))
