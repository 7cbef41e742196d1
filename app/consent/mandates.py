"""Legal mandates (statute, court order; a subpoena waits in triage for a court order recorded by a second
supervisor; each expires and can be withdrawn) and the tasks to notify a survivor, through her safe-contact
instructions: a warning when a mandate comes into force (release waits for it) and a notice of each release."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases.service import get_person_for_owner
from app.consent import access
from app.consent.consents import recipient_errors
from app.consent.models import LegalMandate, NotificationTask, mandate_aad
from app.consent.rules import mandate_status
from app.consent.schemas import (
    CourtOrder,
    MandateBasis,
    MandateCreate,
    MandateRead,
    MandateSummary,
    MandateWithdraw,
    TaskComplete,
    TaskKind,
    TaskStatus,
)
from app.core.clock import utcnow
from app.core.crypto import decrypt_json, encrypt_json
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.identity.models import Agency
from app.outbox.events import emit
from app.trail.recorder import record

# ------------------------------------------------------------------ legal mandates

MANDATE_MAX_DAYS = 365


def _expiry_errors(expires_at: datetime, now: datetime) -> list[dict[str, Any]]:
    loc = ["body", "expires_at"]
    if expires_at <= now:
        return [{"loc": loc, "msg": "Must be in the future.", "type": "expires_in_past"}]
    if expires_at - now > timedelta(days=MANDATE_MAX_DAYS):
        return [{"loc": loc, "msg": f"A legal mandate lasts at most {MANDATE_MAX_DAYS} days from now.",
                 "type": "mandate_too_long"}]
    return []


def _immediate_errors(immediate: bool, reason: str | None, *, court_order: bool) -> list[dict[str, Any]]:
    """Immediate release is ordered by a court, with its reason; a reason alone orders nothing."""
    if immediate and not court_order:
        return [{"loc": ["body", "immediate_release"], "type": "immediate_release_not_ordered",
                 "msg": "Only a court order can require immediate release; a statute or subpoena waits for the "
                        "survivor to be warned."}]
    loc = ["body", "immediate_release_reason"]
    if immediate and reason is None:
        return [{"loc": loc, "msg": "Say why the court requires immediate release.", "type": "missing"}]
    if reason is not None and not immediate:
        return [{"loc": loc, "msg": "Only with immediate_release: true.", "type": "immediate_release_not_set"}]
    return []


def _order_immediate_release(mandate: LegalMandate, immediate: bool, reason: str | None) -> None:
    mandate.immediate_release = immediate
    mandate.immediate_release_reason_enc = (
        encrypt_json(reason, mandate_aad(mandate.id, "immediate_release_reason"), owner=mandate.agency_id)
        if immediate else None)


async def _open_notice_task(session: AsyncSession, principal: Principal, mandate: LegalMandate) -> NotificationTask:
    """The task to warn the survivor, opened when a mandate comes into force; release waits for it (or for the
    notice hours) unless the court ordered immediate release."""
    task = NotificationTask(kind=TaskKind.mandate_notice.value, person_id=mandate.person_id,
                            case_id=mandate.case_id, agency_id=mandate.agency_id, mandate_id=mandate.id,
                            requester_agency_id=mandate.recipient_agency_id, categories=list(mandate.categories),
                            mandate_ids=[str(mandate.id)])
    session.add(task)
    await session.flush()
    await record(session, principal, "notification_task.open", "notification_task", task.id,
                 agency_id=mandate.agency_id)
    await emit_task_event(session, "notification_task.opened", task)
    return task


async def emit_task_event(session: AsyncSession, event_type: str, task: NotificationTask) -> None:
    """Announce a notification task opened or completed to the owning agency (ids only); the task inbox
    listens (it opens, and closes, the inbox task of the people on the case)."""
    await emit(session, event_type, [task.agency_id], {"notification_task_id": str(task.id),
                                                       "case_id": str(task.case_id), "status": task.status})


def mandate_read(mandate: LegalMandate, *, full: bool = True) -> dict[str, Any]:
    """A mandate shaped as MandateRead (full) or MandateSummary, with its status computed now."""
    schema = MandateRead if full else MandateSummary
    out = {k: getattr(mandate, k) for k in schema.model_fields if hasattr(mandate, k)}
    out["status"] = mandate_status(mandate)
    if full:
        for name in ("withdrawal_reason", "immediate_release_reason"):
            out[name] = decrypt_json(getattr(mandate, f"{name}_enc"), mandate_aad(mandate.id, name))
    return out


async def create_mandate(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, data: MandateCreate
) -> LegalMandate:
    """A statute or court order is in force at once (its warning task opens); a subpoena waits in triage and
    releases nothing."""
    person = await get_person_for_owner(session, principal, person_id)
    now = utcnow()
    errors = recipient_errors(await session.get(Agency, data.recipient_agency_id), person.agency_id)
    errors += _expiry_errors(data.expires_at, now)
    errors += _immediate_errors(data.immediate_release, data.immediate_release_reason,
                                court_order=data.basis is MandateBasis.court_order)
    if errors:
        raise Invalid("The legal mandate has invalid elements; see errors.", errors=errors)
    active = data.basis is not MandateBasis.subpoena
    mandate = LegalMandate(
        person_id=person.id, case_id=person.case_id, agency_id=person.agency_id,
        recipient_agency_id=data.recipient_agency_id, basis=data.basis.value,
        status="active" if active else "triage", citation=data.citation,
        categories=[c.value for c in data.categories], document_sha256=data.document_sha256,
        expires_at=data.expires_at, recorded_by=principal.ref, activated_by=principal.ref if active else None,
        activated_at=now if active else None,
    )
    _order_immediate_release(mandate, data.immediate_release, data.immediate_release_reason)
    session.add(mandate)
    await session.flush()
    await record(session, principal, "legal_mandate.create", "legal_mandate", mandate.id, agency_id=mandate.agency_id)
    if active:
        await _open_notice_task(session, principal, mandate)
    return mandate


async def list_mandates(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, page: PageParams
) -> tuple[list[LegalMandate], str | None]:
    person = await get_person_for_owner(session, principal, person_id)
    return await paginate(session, sa.select(LegalMandate).where(LegalMandate.person_id == person.id),
                          LegalMandate, page)


async def get_mandate(session: AsyncSession, principal: Principal, mandate_id: uuid.UUID) -> LegalMandate:
    mandate = (await session.execute(sa.select(LegalMandate).where(
        LegalMandate.id == mandate_id, access.consent_visible_clause(principal, LegalMandate.case_id),
    ))).scalar_one_or_none()
    if mandate is None:
        raise NotFound("legal mandate")
    return mandate


async def record_court_order(
    session: AsyncSession, principal: Principal, mandate: LegalMandate, data: CourtOrder
) -> LegalMandate:
    """A court order for a subpoena in triage, recorded by a second supervisor (403 for the one who recorded the
    subpoena), puts the mandate in force and opens its warning task (409 for any other mandate)."""
    access.check_court_order_recorder(principal, mandate.recorded_by)
    if mandate.basis != MandateBasis.subpoena.value or mandate.status != "triage":
        raise Conflict("Only a subpoena waiting in triage takes a court order.")
    now = utcnow()
    if mandate_status(mandate, now) == "expired":
        raise Conflict("This subpoena has expired; record a new mandate.")
    errors = _immediate_errors(data.immediate_release, data.immediate_release_reason, court_order=True)
    if errors:
        raise Invalid("The court order has invalid elements; see errors.", errors=errors)
    _order_immediate_release(mandate, data.immediate_release, data.immediate_release_reason)
    mandate.court_order_citation = data.citation
    mandate.court_order_sha256 = data.document_sha256
    mandate.status = "active"
    mandate.activated_by = principal.ref
    mandate.activated_at = now
    mandate.updated_at = now
    await session.flush()
    await record(session, principal, "legal_mandate.court_order", "legal_mandate", mandate.id,
                 agency_id=mandate.agency_id)
    await _open_notice_task(session, principal, mandate)
    return mandate


async def withdraw_mandate(
    session: AsyncSession, principal: Principal, mandate: LegalMandate, data: MandateWithdraw
) -> LegalMandate:
    """Withdrawal takes effect on the very next request; who recorded it, when and why are kept (the reason
    sealed at rest)."""
    if mandate.status == "withdrawn":
        raise Conflict("This legal mandate is already withdrawn.")
    now = utcnow()
    mandate.status = "withdrawn"
    mandate.withdrawn_at = now
    mandate.withdrawn_by = principal.ref
    mandate.withdrawal_reason_enc = encrypt_json(data.reason, mandate_aad(mandate.id, "withdrawal_reason"),
                                                 owner=mandate.agency_id)
    mandate.updated_at = now
    await session.flush()
    await record(session, principal, "legal_mandate.withdraw", "legal_mandate", mandate.id,
                 agency_id=mandate.agency_id)
    return mandate


# ------------------------------------------------------------------ notification tasks


async def list_tasks(
    session: AsyncSession, principal: Principal, page: PageParams, *, status: TaskStatus | None = None,
    person_id: uuid.UUID | None = None, kind: TaskKind | None = None,
) -> tuple[list[NotificationTask], str | None]:
    """Tasks on cases the caller may see (the owning agency's staff)."""
    stmt = sa.select(NotificationTask).where(access.consent_visible_clause(principal, NotificationTask.case_id))
    if kind is not None:
        stmt = stmt.where(NotificationTask.kind == kind.value)
    if status is not None:
        stmt = stmt.where(NotificationTask.status == status.value)
    if person_id is not None:
        stmt = stmt.where(NotificationTask.person_id == person_id)
    return await paginate(session, stmt, NotificationTask, page)


async def get_task(session: AsyncSession, principal: Principal, task_id: uuid.UUID) -> NotificationTask:
    task = (await session.execute(sa.select(NotificationTask).where(
        NotificationTask.id == task_id, access.consent_visible_clause(principal, NotificationTask.case_id),
    ))).scalar_one_or_none()
    if task is None:
        raise NotFound("notification task")
    return task


async def complete_task(
    session: AsyncSession, principal: Principal, task: NotificationTask, data: TaskComplete
) -> NotificationTask:
    if task.status != TaskStatus.open.value:
        raise Conflict("This notification task is already complete.")
    now = utcnow()
    task.status = TaskStatus.done.value
    task.outcome = data.outcome.value
    task.completed_by = principal.ref
    task.completed_at = now
    task.updated_at = now
    await session.flush()
    await record(session, principal, "notification_task.complete", "notification_task", task.id,
                 agency_id=task.agency_id)
    await emit_task_event(session, "notification_task.completed", task)
    return task
