"""Emit a domain event into the outbox, in the caller's transaction."""

from __future__ import annotations

import fnmatch
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.sql import any_of
from app.outbox.models import WebhookDelivery, WebhookEndpoint, WebhookEvent


@dataclass(frozen=True)
class EventSpec:
    """One webhook event type: what happened, the fields of its `data` (ids, times and status codes only,
    see check_payload) and which of them names its subject: one subject's events reach an endpoint in the
    order they were emitted."""

    description: str
    fields: tuple[str, ...]
    subject: str


_REFERRAL = ("referral_id", "status", "at")
_CONSULTATION = ("consultation_id", "office_id")
_AGREEMENT = ("agreement_id", "status")

# The event catalogue: the OpenAPI document's `webhooks` and docs/integrating.md are written from it, and
# emit() refuses an event or a data field that is not in it.
EVENTS: dict[str, EventSpec] = {
    "referral.created": EventSpec("A referral was drafted (sent only to the referring agency).",
                                  ("referral_id",), "referral_id"),
    "referral.sent": EventSpec("A referral was sent to the receiving agency; its response clock runs.",
                               _REFERRAL, "referral_id"),
    "referral.acknowledged": EventSpec("The receiving agency acknowledged a referral.", _REFERRAL, "referral_id"),
    "referral.accepted": EventSpec("The receiving agency accepted a referral.", _REFERRAL, "referral_id"),
    "referral.declined": EventSpec("The receiving agency declined a referral.", _REFERRAL, "referral_id"),
    "referral.withdrawn": EventSpec("The referring agency withdrew a referral (a draft's withdrawal reaches the "
                                    "referring agency only).", _REFERRAL, "referral_id"),
    "referral.closed": EventSpec("A referral was closed with an outcome.", _REFERRAL, "referral_id"),
    "consent.revoked": EventSpec("A consent naming your agency (or recorded by it) was revoked: stop using what "
                                 "it released.", ("consent_id", "revoked_at"), "consent_id"),
    "case.closed": EventSpec("Your agency closed a case (its loose ends with other agencies are listed to the "
                             "worker who closed it).", ("case_id", "status", "at"), "case_id"),
    "person_link.ended": EventSpec("A link between your person record and another agency's record of the same "
                                   "person was ended (by either agency).", ("person_link_id", "ended_at"),
                                   "person_link_id"),
    "consultation.opened": EventSpec("A case consultation was opened in a CPS office.", _CONSULTATION,
                                     "consultation_id"),
    "consultation.routed": EventSpec("A consultation was routed to an on-duty advocate.",
                                     (*_CONSULTATION, "advocate_id"), "consultation_id"),
    "consultation.accepted": EventSpec("The advocate accepted a consultation.", _CONSULTATION, "consultation_id"),
    "consultation.responded": EventSpec("The advocate answered a consultation.", _CONSULTATION, "consultation_id"),
    "consultation.closed": EventSpec("A consultation was closed.", _CONSULTATION, "consultation_id"),
    "agreement.created": EventSpec("A data-sharing agreement naming your agency was drafted.", _AGREEMENT,
                                   "agreement_id"),
    "agreement.signed": EventSpec("A party signed a data-sharing agreement.", _AGREEMENT, "agreement_id"),
    "agreement.activated": EventSpec("Every party has signed (or a suspension ended): the agreement is active.",
                                     _AGREEMENT, "agreement_id"),
    "agreement.suspended": EventSpec("A data-sharing agreement was suspended.", _AGREEMENT, "agreement_id"),
    "agreement.terminated": EventSpec("A data-sharing agreement was terminated.", _AGREEMENT, "agreement_id"),
    # Casework records: announced to the agency that holds them only, by id (the data is read through the API).
    "protective_order.created": EventSpec("Your agency recorded a protective order.", ('protective_order_id', 'case_id', 'person_id'), "protective_order_id"),
    "protective_order.updated": EventSpec("Your agency changed a protective order.", ('protective_order_id', 'case_id', 'person_id'), "protective_order_id"),
    "court_event.created": EventSpec("Your agency recorded a court event (hearing) of a case.", ('court_event_id', 'case_id'), "court_event_id"),
    "court_event.updated": EventSpec("Your agency changed a court event (hearing) of a case.", ('court_event_id', 'case_id'), "court_event_id"),
    "assessment.created": EventSpec("Your agency recorded an assessment.", ('assessment_id', 'case_id', 'person_id'), "assessment_id"),
    "assessment.updated": EventSpec("Your agency changed an assessment.", ('assessment_id', 'case_id', 'person_id'), "assessment_id"),
    "service.created": EventSpec("Your agency recorded a service for a person.", ('service_id', 'person_id', 'case_id'), "service_id"),
    "service.updated": EventSpec("Your agency changed a service for a person.", ('service_id', 'person_id', 'case_id'), "service_id"),
    "treatment.created": EventSpec("Your agency recorded a treatment participation record.", ('treatment_id', 'person_id', 'case_id'), "treatment_id"),
    "treatment.updated": EventSpec("Your agency changed a treatment participation record.", ('treatment_id', 'person_id', 'case_id'), "treatment_id"),
    "safety_plan_summary.created": EventSpec("Your agency recorded a safety-plan summary.", ('safety_plan_summary_id', 'person_id'), "safety_plan_summary_id"),
    "safety_plan_summary.updated": EventSpec("Your agency changed a safety-plan summary.", ('safety_plan_summary_id', 'person_id'), "safety_plan_summary_id"),
    "child_details.created": EventSpec("Your agency recorded a child's details.", ('child_details_id', 'person_id'), "child_details_id"),
    "child_details.updated": EventSpec("Your agency changed a child's details.", ('child_details_id', 'person_id'), "child_details_id"),
    "contact_preferences.created": EventSpec("Your agency recorded a person's safe-contact preferences.", ('contact_preferences_id', 'person_id'), "contact_preferences_id"),
    "contact_preferences.updated": EventSpec("Your agency changed a person's safe-contact preferences.", ('contact_preferences_id', 'person_id'), "contact_preferences_id"),
    "note.created": EventSpec("Your agency recorded a case note.", ('note_id', 'case_id'), "note_id"),
    "note.updated": EventSpec("Your agency changed a case note.", ('note_id', 'case_id'), "note_id"),
    "contact_attempt.created": EventSpec("Your agency logged an attempt to contact a person.", ("contact_attempt_id", "person_id"), "contact_attempt_id"),
    # People told in time: each of these also opens a task in the inbox of the people concerned (GET /tasks).
    "referral.overdue": EventSpec(
        "A referral sent to (or by) your agency passed its response deadline unanswered (`due_at`); sent again "
        "with `escalated_at` when it is still unanswered after the escalation interval.",
        ("referral_id", "status", "due_at", "escalated_at", "task_id"), "referral_id"),
    "consent.expiring": EventSpec(
        "A consent recorded by (or naming) your agency expires within the warning window (`expires_at`); the "
        "owning agency's worker on the case has a task to renew it (POST /consents/{id}/renew).",
        ("consent_id", "case_id", "expires_at", "task_id"), "consent_id"),
    "juncture.scheduled": EventSpec(
        "A juncture of a case (a family meeting, a hearing, ...) was recorded for the time `at` (null: no time "
        "set); the DV advocates linked to the case have a task.",
        ("juncture_id", "case_id", "at"), "juncture_id"),
    "checklist.completed": EventSpec("A safety checklist of a case was completed.",
                                     ("checklist_id", "case_id", "at"), "checklist_id"),
    "notification_task.opened": EventSpec(
        "A task to tell a survivor of a legal mandate (or of a release under one) was opened at your agency.",
        ("notification_task_id", "case_id", "status"), "notification_task_id"),
    "notification_task.completed": EventSpec(
        "A task to tell a survivor of a legal mandate (or of a release under one) was completed.",
        ("notification_task_id", "case_id", "status"), "notification_task_id"),
}
EVENT_TYPES = tuple(EVENTS)


_STATUS = re.compile(r"^[a-z_]{1,40}$")


def check_payload(data: dict[str, str]) -> None:
    """Refuse anything but ids and times, so no personal data can reach an agency system through a webhook.

    Allowed keys: "<name>_id" (a UUID), "at" or "<name>_at" (an ISO 8601 time), "status" (a lowercase code).
    """
    for key, value in data.items():
        if value is None:
            continue
        ok = isinstance(value, str)
        try:
            if ok and key.endswith("_id"):
                uuid.UUID(value)
            elif ok and (key == "at" or key.endswith("_at")):
                datetime.fromisoformat(value)
            elif ok and key == "status":
                ok = bool(_STATUS.match(value))
            else:
                ok = False
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"webhook payload field {key!r} is not an id, a time or a status code")


# async (session, event_type, data) -> None: what a higher domain does, in the same transaction, when an event
# is emitted (the task inbox opens and closes tasks this way), whether or not any endpoint subscribes.
Listener = Callable[[AsyncSession, str, dict[str, str]], Awaitable[None]]
LISTENERS: dict[str, dict[str, Listener]] = {}


def register_listener(event_type: str, name: str, listener: Listener) -> None:
    """Let a domain above the outbox act on an event (registered once per event and name) without the domain
    that emits it knowing it."""
    if event_type not in EVENTS:
        raise ValueError(f"webhook event {event_type!r} is not in the catalogue")
    LISTENERS.setdefault(event_type, {})[name] = listener


_ACTIVE_ENDPOINTS = select(WebhookEndpoint.id, WebhookEndpoint.agency_id, WebhookEndpoint.events).where(
    any_of(WebhookEndpoint.agency_id, "agency_ids"), WebhookEndpoint.active)


async def emit(
    session: AsyncSession, event_type: str, agency_ids: Iterable[uuid.UUID | None], data: dict[str, str]
) -> None:
    """Queue `event_type` for each agency's subscribed endpoints. `data` holds ids and times only
    (see check_payload; anything else raises ValueError), and only the fields the catalogue lists."""
    spec = EVENTS.get(event_type)
    if spec is None or not set(data) <= set(spec.fields):
        raise ValueError(f"webhook event {event_type!r} or its fields are not in the catalogue")
    check_payload(data)
    now = utcnow()
    subject = f"{spec.subject.removesuffix('_id')}:{data[spec.subject]}"
    agencies = list(dict.fromkeys(a for a in agency_ids if a is not None))
    # Every agency's active endpoints in one statement, as rows (id, agency, patterns): no ORM objects.
    endpoints = (await session.execute(_ACTIVE_ENDPOINTS, {"agency_ids": agencies})).all() if agencies else []
    for agency_id in agencies:
        targets = [ep_id for ep_id, owner, patterns in endpoints
                   if owner == agency_id and any(fnmatch.fnmatchcase(event_type, p) for p in patterns)]
        if not targets:
            continue
        last = (await session.execute(
            select(func.max(WebhookEvent.subject_seq))
            .where(WebhookEvent.agency_id == agency_id, WebhookEvent.subject == subject)
        )).scalar_one()
        ev = WebhookEvent(agency_id=agency_id, type=event_type, data=data, created_at=now, subject=subject,
                          subject_seq=(last or 0) + 1)
        session.add(ev)
        await session.flush()  # the event before its deliveries (the unit of work does not order them by key)
        session.add_all([WebhookDelivery(event_id=ev.id, endpoint_id=ep_id, next_attempt_at=now) for ep_id in targets])
    await session.flush()
    for listener in LISTENERS.get(event_type, {}).values():
        await listener(session, event_type, data)
