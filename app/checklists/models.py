"""Checklist templates (versioned per agency or default, and juncture), checklists on cases, their items and
item history, and the record of junctures that took place.

Free text written by staff or advocates (item notes, override reasons) is sealed at rest.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.crypto import register_sealed
from app.core.db import UTCDateTime, Versioned, created_field, id_field, json_field, time_field


class ChecklistTemplate(SQLModel, table=True):
    """One published version of a juncture's template. `agency_id` None is the default. Never changed."""

    __tablename__ = "checklist_templates"
    __table_args__ = (
        sa.UniqueConstraint("agency_id", "juncture", "revision"),
        sa.Index("ix_checklist_templates_scope", "juncture", "agency_id", "revision"),
    )

    id: uuid.UUID = id_field()
    agency_id: uuid.UUID | None = Field(default=None, foreign_key="agencies.id", index=True)
    juncture: str = Field(max_length=32)
    revision: int = Field(nullable=False)
    # [{"key","text","guidance","safety_critical"}]
    items: list[dict[str, Any]] = json_field()
    published_by: str | None = Field(default=None, max_length=300)
    created_at: datetime = created_field()


class Checklist(Versioned, table=True):
    __tablename__ = "checklists"
    __table_args__ = (sa.Index("ix_checklists_case_juncture", "case_id", "juncture", "status"),)

    id: uuid.UUID = id_field()
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    juncture: str = Field(max_length=32)
    template_id: uuid.UUID = Field(foreign_key="checklist_templates.id", index=True)
    status: str = Field(default="open", max_length=16)  # open | completed
    started_by: str | None = Field(default=None, max_length=300)
    completed_by: str | None = Field(default=None, max_length=300)
    completed_at: datetime | None = time_field()
    created_at: datetime = created_field()
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ChecklistItem(SQLModel, table=True):
    """An item of a checklist, copied from its template version when the checklist started."""

    __tablename__ = "checklist_items"
    __table_args__ = (sa.UniqueConstraint("checklist_id", "key"),)

    id: uuid.UUID = id_field()
    checklist_id: uuid.UUID = Field(foreign_key="checklists.id", index=True)
    position: int = Field(nullable=False)
    key: str = Field(max_length=64)
    text: str = Field(max_length=500)
    guidance: str = Field(sa_type=sa.Text)
    safety_critical: bool = Field(default=False)
    status: str = Field(default="pending", max_length=16)  # pending | done | not_applicable
    note_enc: str | None = Field(default=None, sa_type=sa.Text)
    updated_by: str | None = Field(default=None, max_length=300)
    updated_at: datetime | None = time_field()
    created_at: datetime = created_field()


class ChecklistItemEvent(SQLModel, table=True):
    """One change to an item: a status change (with its note) or a note added by staff or an advocate."""

    __tablename__ = "checklist_item_events"

    id: uuid.UUID = id_field()
    checklist_id: uuid.UUID = Field(foreign_key="checklists.id", index=True)
    item_key: str = Field(max_length=64)
    seq: int = Field(default=0, nullable=False)  # order of the changes within the checklist
    kind: str = Field(max_length=16)  # status | note
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str | None = Field(default=None, max_length=16)
    note_enc: str | None = Field(default=None, sa_type=sa.Text)
    actor_id: str | None = Field(default=None, max_length=300)
    actor_agency_id: uuid.UUID | None = Field(default=None)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_at: datetime = created_field()


class JunctureRecord(SQLModel, table=True):
    """A juncture that took place (or is scheduled) on a case, and the checklist that cleared it, or the override."""

    __tablename__ = "juncture_records"
    __table_args__ = (
        sa.Index("ix_juncture_records_case_created", "case_id", "created_at"),
        sa.Index("ix_juncture_records_agency_juncture", "agency_id", "juncture"),
    )

    id: uuid.UUID = id_field()
    case_id: uuid.UUID = Field(foreign_key="cases.id")
    agency_id: uuid.UUID = Field(foreign_key="agencies.id")
    juncture: str = Field(max_length=32)
    scheduled_for: datetime = Field(sa_type=UTCDateTime, nullable=False)
    safety_factors: list[str] = json_field()  # SafetyFactor values; a removal's reasons
    checklist_id: uuid.UUID | None = Field(default=None, foreign_key="checklists.id", index=True)
    overridden: bool = Field(default=False)
    override_reason_enc: str | None = Field(default=None, sa_type=sa.Text)
    recorded_by: str | None = Field(default=None, max_length=300)
    recorded_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_at: datetime = created_field()


def item_note_aad(item_id: object) -> bytes:
    return f"checklist_item:{item_id}:note".encode()


def event_note_aad(event_id: object) -> bytes:
    return f"checklist_item_event:{event_id}:note".encode()


def override_reason_aad(record_id: object) -> bytes:
    return f"juncture_record:{record_id}:override_reason".encode()


def _checklist_agency(table: Any) -> Any:
    """An item's or event's agency: its checklist's."""
    checklists = Checklist.__table__
    return sa.select(checklists.c.agency_id).where(checklists.c.id == table.c.checklist_id).scalar_subquery()


register_sealed(ChecklistItem, "note_enc", lambda row: item_note_aad(row.id), _checklist_agency)
register_sealed(ChecklistItemEvent, "note_enc", lambda row: event_note_aad(row.id), _checklist_agency)
register_sealed(JunctureRecord, "override_reason_enc", lambda row: override_reason_aad(row.id))
