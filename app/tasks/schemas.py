"""Read and action schemas of the task inbox. A task carries ids, kinds, times and action paths only."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from app.core.types import Input, Timestamp


class InboxTaskKind(StrEnum):
    referral_overdue = "referral_overdue"  # a referral to your agency passed its deadline unanswered (supervisors)
    referral_escalated = "referral_escalated"  # ... and is still unanswered after the escalation interval
    consent_expiring = "consent_expiring"  # a consent your agency recorded expires soon: renew it with her
    juncture_scheduled = "juncture_scheduled"  # a juncture of a case you work with as its linked advocate
    mandate_notice = "mandate_notice"  # warn the survivor of a legal mandate in force (before any release)
    release_notice = "release_notice"  # tell the survivor what was released under a legal mandate
    consultation_routed = "consultation_routed"  # a consultation was routed to you
    family_request = "family_request"  # a person asked, in her own view, for a separate meeting or an interpreter


class InboxTaskStatus(StrEnum):
    open = "open"
    done = "done"
    snoozed = "snoozed"


class TaskPriority(StrEnum):
    normal = "normal"
    high = "high"


class TaskSubject(StrEnum):
    referral = "referral"
    consent = "consent"
    juncture = "juncture"
    notification_task = "notification_task"
    consultation = "consultation"
    family_request = "family_request"  # a person's request for a separate meeting or an interpreter


class InboxTaskRead(BaseModel):
    """A task for the caller (or a group the caller belongs to): what it is about, by ids only."""

    id: uuid.UUID
    agency_id: uuid.UUID
    kind: InboxTaskKind
    priority: TaskPriority
    subject_type: TaskSubject
    subject_id: uuid.UUID
    case_id: uuid.UUID | None = None
    assignee_user_id: uuid.UUID | None = Field(None, description="The one user it is for, if any.")
    assignee_role: str | None = Field(None, description="The role group of the agency it is for (e.g. its "
                                                        "supervisors), if any.")
    assignee_case_id: uuid.UUID | None = Field(None, description="The case whose team it is for, if any.")
    due_at: datetime | None = None
    status: InboxTaskStatus = Field(description="A snoozed task is open again from `snoozed_until`.")
    snoozed_until: datetime | None = None
    done_at: datetime | None = None
    done_by: str | None = None
    action: str | None = Field(None, description="Where the work is done (a path of this API), if elsewhere.")
    created_at: datetime
    updated_at: datetime | None = None


class TaskSnooze(Input):
    until: Timestamp = Field(description="When the task opens again: in the future, at most 90 days ahead.")
