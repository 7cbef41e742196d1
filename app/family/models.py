"""Tables of the family's own view: invitations to it (her access itself is app.identity's PersonAccount,
which the token check reads)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.crypto import register_sealed
from app.core.db import UTCDateTime, Versioned, created_field, id_field, json_field, time_field


class PersonInvitation(SQLModel, table=True):
    """A one-time code a worker hands to a person through her safe channel. Only its SHA-256 is kept: the
    code itself is shown once, in the answer that creates it."""

    __tablename__ = "person_invitations"

    id: uuid.UUID = id_field()
    person_id: uuid.UUID = Field(foreign_key="people.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    code_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = time_field()
    revoked_at: datetime | None = time_field()  # the agency revoked her access before it was used
    created_by: str = Field(max_length=320)  # Principal.ref of the worker
    created_at: datetime = created_field()


class FamilyGoal(Versioned, table=True):
    """A goal in her own words (sealed), which the team of her agency sees. `status`: open | met. Every change
    is kept in `family_goal_events` (created, kept, changed, met)."""

    __tablename__ = "family_goals"

    id: uuid.UUID = id_field()
    person_id: uuid.UUID = Field(foreign_key="people.id", index=True)
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    text_enc: str = Field(sa_type=sa.Text)
    status: str = Field(default="open", max_length=8)  # open | met
    met_at: datetime | None = time_field()
    created_at: datetime = created_field()
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FamilyGoalEvent(SQLModel, table=True):
    """One step of a goal's history: created, kept (reviewed, still hers), changed (her new words, sealed), met."""

    __tablename__ = "family_goal_events"

    id: uuid.UUID = id_field()
    goal_id: uuid.UUID = Field(foreign_key="family_goals.id", index=True)
    kind: str = Field(max_length=8)  # created | kept | changed | met
    text_enc: str | None = Field(default=None, sa_type=sa.Text)  # the words at that step (created, changed)
    created_at: datetime = created_field()


class FamilyCarePlan(Versioned, table=True):
    """Her own plan for who would care for her children if she could not, and what she could still offer
    (sealed: names and ways to reach the people she chose)."""

    __tablename__ = "family_care_plans"

    id: uuid.UUID = id_field()
    person_id: uuid.UUID = Field(foreign_key="people.id", sa_column_kwargs={"unique": True})
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    plan_enc: str = Field(sa_type=sa.Text)
    created_at: datetime = created_field()
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FamilyRequest(SQLModel, table=True):
    """Her request for a separate meeting or an interpreter: a task for her worker (its subject)."""

    __tablename__ = "family_requests"

    id: uuid.UUID = id_field()
    person_id: uuid.UUID = Field(foreign_key="people.id", index=True)
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)
    kind: str = Field(max_length=24)  # separate_meeting | interpreter
    meeting_id: uuid.UUID | None = Field(default=None)  # the juncture or court event it is about, if any
    language: str | None = Field(default=None, max_length=40)
    note_enc: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = created_field()


class FamilyFeedback(SQLModel, table=True):
    """How the agencies worked with her, scored 1-5: counted in the collaboration report only, never shown one
    by one. Not linked to her record: the agency it is about, her agency, and her race/ethnicity (the report's
    only breakdown), nothing else."""

    __tablename__ = "family_feedback"

    id: uuid.UUID = id_field()
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)  # the agency the feedback is about
    holder_agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)  # the agency of her record
    respect: int
    listened: int
    safety: int
    race_ethnicity: list[str] = json_field()
    created_at: datetime = created_field()


def goal_aad(goal_id: object) -> bytes:
    return f"family_goal:{goal_id}:text".encode()


def goal_event_aad(event_id: object) -> bytes:
    return f"family_goal_event:{event_id}:text".encode()


def care_plan_aad(plan_id: object) -> bytes:
    return f"family_care_plan:{plan_id}:plan".encode()


def request_aad(request_id: object) -> bytes:
    return f"family_request:{request_id}:note".encode()


register_sealed(FamilyGoal, "text_enc", lambda row: goal_aad(row.id))


def _goal_agency(table: Any) -> Any:
    """A goal step's agency: its goal's."""
    goals = FamilyGoal.__table__
    return sa.select(goals.c.agency_id).where(goals.c.id == table.c.goal_id).scalar_subquery()


register_sealed(FamilyGoalEvent, "text_enc", lambda row: goal_event_aad(row.id), _goal_agency)
register_sealed(FamilyCarePlan, "plan_enc", lambda row: care_plan_aad(row.id))
register_sealed(FamilyRequest, "note_enc", lambda row: request_aad(row.id))


class FamilyPartnerLink(SQLModel, table=True):
    """A parent partner the person invited from her own view: the partner then sees what she shares (her goals,
    her meetings), never her case records. `ended_at` set: no longer."""

    __tablename__ = "family_partner_links"

    id: uuid.UUID = id_field()
    person_id: uuid.UUID = Field(foreign_key="people.id", index=True)
    agency_id: uuid.UUID = Field(foreign_key="agencies.id", index=True)  # the agency of her record
    parent_partner_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    ended_at: datetime | None = time_field()
    created_at: datetime = created_field()
