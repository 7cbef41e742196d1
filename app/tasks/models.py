"""Tasks for people: the inbox of work that needs someone's attention in time (an overdue referral, a consent
about to expire, a juncture to prepare for, a survivor to warn, a consultation to take).

A task names what it is about by ids only (never a name, an address or free text) and whom it is for: one
user, a role group of an agency (its supervisors), or the team of a case.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from app.core.db import UTCDateTime, Versioned, created_field, id_field, time_field


class Task(Versioned, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        sa.Index("ix_tasks_agency_status", "agency_id", "status", "created_at"),
        sa.Index("ix_tasks_subject", "subject_id", "kind"),
    )

    id: uuid.UUID = id_field()
    agency_id: uuid.UUID = Field(foreign_key="agencies.id")  # whose task it is
    kind: str = Field(max_length=32)  # schemas.InboxTaskKind
    priority: str = Field(default="normal", max_length=8)  # normal | high
    subject_type: str = Field(max_length=32)  # referral | consent | juncture | notification_task | consultation
    subject_id: uuid.UUID
    case_id: uuid.UUID | None = Field(default=None)  # the case it concerns (of the task's agency or a partner's)
    # Whom it is for: one user, or every holder of a role in the agency, or the team of a case of the agency.
    assignee_user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    assignee_role: str | None = Field(default=None, max_length=32)
    assignee_case_id: uuid.UUID | None = Field(default=None, foreign_key="cases.id", index=True)
    due_at: datetime | None = time_field()
    status: str = Field(default="open", max_length=16)  # open | done | snoozed (open again at snoozed_until)
    snoozed_until: datetime | None = time_field()
    done_at: datetime | None = time_field()
    done_by: str | None = Field(default=None, max_length=300)  # a principal ref, or "system" (closed by an event)
    # What opened it, once: a second detection of the same thing finds this key and opens nothing.
    source_key: str = Field(max_length=200, unique=True)
    created_at: datetime = created_field()
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
