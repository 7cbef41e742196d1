"""Rules for checklists on cases: start one, change and annotate its items, complete it, and read it as the
caller may see it (advocates' notes released through the disclosure rule).
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases import access as cases_access
from app.cases.models import Person
from app.checklists import access as checklists_access
from app.checklists.models import (
    Checklist,
    ChecklistItem,
    ChecklistItemEvent,
    ChecklistTemplate,
    event_note_aad,
    item_note_aad,
)
from app.checklists.schemas import (
    ChecklistCreate,
    ChecklistNoteCreate,
    ItemStatus,
    ItemUpdate,
)
from app.checklists.templates import latest_template
from app.consent import rules
from app.consent.disclosures import disclose_held
from app.consent.rules import Reason
from app.core.clock import utcnow
from app.core.crypto import decrypt_json, encrypt_json
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.core.vocab import CaseRole, DataCategory, Purpose
from app.outbox.events import emit
from app.referrals import access as referrals_access
from app.trail.recorder import record


async def _next_seq(session: AsyncSession, checklist: Checklist) -> int:
    """The next position in the checklist's change history (changes to one checklist are serialised by
    its version, so two changes never share a position)."""
    last = (await session.execute(sa.select(sa.func.max(ChecklistItemEvent.seq)).where(
        ChecklistItemEvent.checklist_id == checklist.id))).scalar_one_or_none()
    return (last or 0) + 1


async def start_checklist(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, data: ChecklistCreate
) -> Checklist:
    """A checklist for a juncture from the newest template version of the case's agency (else the default)."""
    case = await cases_access.get_visible_case(session, principal, case_id)
    juncture = data.juncture.value
    template = await latest_template(session, case.agency_id, juncture) \
        or await latest_template(session, None, juncture)
    if template is None:
        raise Conflict("No template is published for this juncture.")
    checklist = Checklist(case_id=case.id, agency_id=case.agency_id, juncture=juncture, template_id=template.id,
                          started_by=str(principal.id))
    session.add(checklist)
    await session.flush()
    for pos, item in enumerate(template.items):
        session.add(ChecklistItem(checklist_id=checklist.id, position=pos, key=item["key"], text=item["text"],
                                  guidance=item.get("guidance", ""),
                                  safety_critical=bool(item.get("safety_critical"))))
    await session.flush()
    await record(session, principal, "checklist.start", "checklist", checklist.id, agency_id=case.agency_id)
    return checklist


async def list_case_checklists(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, page: PageParams
) -> tuple[list[Checklist], str | None]:
    if await checklists_access.checklist_access(session, principal, case_id) is None:
        raise NotFound("case")
    stmt = sa.select(Checklist).where(Checklist.case_id == case_id)
    return await paginate(session, stmt, Checklist, page)


async def get_checklist(
    session: AsyncSession, principal: Principal, checklist_id: uuid.UUID
) -> tuple[Checklist, checklists_access.ChecklistAccess]:
    """The checklist and how the caller may use it (staff or a linked advocate); 404 when they may not see it."""
    checklist = await session.get(Checklist, checklist_id)
    access = await checklists_access.checklist_access(session, principal, checklist.case_id) if checklist else None
    if checklist is None or access is None:
        raise NotFound("checklist")
    return checklist, access


async def visible_checklist(session: AsyncSession, principal: Principal, checklist_id: uuid.UUID) -> Checklist:
    """The checklist if the caller may see it (404 otherwise)."""
    checklist, _ = await get_checklist(session, principal, checklist_id)
    return checklist


async def _items(session: AsyncSession, checklist_id: uuid.UUID) -> list[ChecklistItem]:
    rows = await session.execute(sa.select(ChecklistItem).where(ChecklistItem.checklist_id == checklist_id)
                                 .order_by(ChecklistItem.position))
    return list(rows.scalars().all())


async def _item(session: AsyncSession, checklist: Checklist, key: str) -> ChecklistItem:
    item = (await session.execute(sa.select(ChecklistItem).where(
        ChecklistItem.checklist_id == checklist.id, ChecklistItem.key == key))).scalar_one_or_none()
    if item is None:
        raise NotFound("checklist item")
    return item


def _ensure_open(checklist: Checklist) -> None:
    if checklist.status != "open":
        raise Conflict("This checklist is completed and can no longer be changed.")


def _touch(checklist: Checklist) -> None:
    """Every change to an item is a new version of the checklist (its ETag changes; racing writers get 409)."""
    checklist.updated_at = utcnow()


async def update_item(
    session: AsyncSession, principal: Principal, checklist: Checklist, access: checklists_access.ChecklistAccess, key: str, data: ItemUpdate
) -> Checklist:
    checklists_access.ensure_may_work_checklist(principal, access)
    _ensure_open(checklist)
    item = await _item(session, checklist, key)
    note = data.note or None
    if data.status is ItemStatus.not_applicable and note is None:
        raise Invalid("Marking an item not applicable needs a note saying why.", loc=["body", "note"],
                      type="note_required")
    now = utcnow()
    event = ChecklistItemEvent(checklist_id=checklist.id, item_key=item.key, seq=await _next_seq(session, checklist),
                               kind="status",
                               from_status=item.status, to_status=data.status.value, actor_id=str(principal.id),
                               actor_agency_id=principal.agency_id, at=now)
    event.note_enc = encrypt_json(note, event_note_aad(event.id), owner=checklist.agency_id)
    session.add(event)
    item.status = data.status.value
    item.note_enc = encrypt_json(note, item_note_aad(item.id), owner=checklist.agency_id)
    item.updated_by = str(principal.id)
    item.updated_at = now
    _touch(checklist)
    await session.flush()
    await record(session, principal, "checklist.item_update", "checklist", checklist.id, agency_id=checklist.agency_id)
    return checklist


async def add_note(
    session: AsyncSession, principal: Principal, checklist_id: uuid.UUID, key: str, data: ChecklistNoteCreate
) -> ChecklistItemEvent:
    """A note on an item, by staff on the case or a linked DV advocate; the item's status is unchanged. Loads
    the checklist itself (404 when hidden): it runs inside an idempotent create, which a retry replays."""
    checklist, access = await get_checklist(session, principal, checklist_id)
    checklists_access.ensure_may_note_checklist(principal, access)
    _ensure_open(checklist)
    item = await _item(session, checklist, key)
    event = ChecklistItemEvent(checklist_id=checklist.id, item_key=item.key, seq=await _next_seq(session, checklist),
                               kind="note",
                               actor_id=str(principal.id), actor_agency_id=principal.agency_id, at=utcnow())
    event.note_enc = encrypt_json(data.text, event_note_aad(event.id), owner=checklist.agency_id)
    session.add(event)
    _touch(checklist)
    await session.flush()
    await record(session, principal, "checklist.item_note", "checklist", checklist.id,
                 agency_id=principal.agency_id)
    return event


async def get_note(
    session: AsyncSession, principal: Principal, checklist_id: uuid.UUID, key: str, event_id: uuid.UUID
) -> ChecklistItemEvent:
    """A note on an item of a checklist the caller may see (404 otherwise)."""
    checklist, _ = await get_checklist(session, principal, checklist_id)
    event = await session.get(ChecklistItemEvent, event_id)
    if event is None or event.checklist_id != checklist.id or event.item_key != key or event.kind != "note":
        raise NotFound("note")
    return event


async def complete_checklist(
    session: AsyncSession, principal: Principal, checklist: Checklist, access: checklists_access.ChecklistAccess
) -> Checklist:
    """409 listing every pending safety-critical item; a completed checklist is read-only."""
    checklists_access.ensure_may_work_checklist(principal, access)
    _ensure_open(checklist)
    items = await _items(session, checklist.id)
    open_items = [i.key for i in items if i.safety_critical and i.status == ItemStatus.pending.value]
    if open_items:
        raise Conflict(f"Safety-critical items are still open: {', '.join(open_items)}.",
                       title="Safety-critical items open", open_items=open_items)
    checklist.status = "completed"
    checklist.completed_at = utcnow()
    checklist.completed_by = str(principal.id)
    _touch(checklist)
    await session.flush()
    await record(session, principal, "checklist.complete", "checklist", checklist.id, agency_id=checklist.agency_id)
    linked = await referrals_access.linked_advocates(session, checklist.case_id)
    await emit(session, "checklist.completed", [checklist.agency_id, *(agency for _, agency in linked)],
               {"checklist_id": str(checklist.id), "case_id": str(checklist.case_id),
                "at": checklist.completed_at.isoformat()})
    return checklist


def event_read(e: ChecklistItemEvent) -> dict[str, Any]:
    return {"id": e.id, "kind": e.kind, "from_status": e.from_status, "to_status": e.to_status,
            "note": decrypt_json(e.note_enc, event_note_aad(e.id)), "by": e.actor_id,
            "agency_id": e.actor_agency_id, "at": e.at}


async def checklist_summaries(session: AsyncSession, checklists: list[Checklist]) -> list[dict[str, Any]]:
    ids = {c.template_id for c in checklists}
    templates = {}
    if ids:
        rows = await session.execute(sa.select(ChecklistTemplate).where(ChecklistTemplate.id.in_(ids)))
        templates = {t.id: t for t in rows.scalars()}
    out = []
    for c in checklists:
        t = templates[c.template_id]
        out.append({"id": c.id, "case_id": c.case_id, "agency_id": c.agency_id, "juncture": c.juncture,
                    "status": c.status, "template_id": c.template_id, "template_version": t.revision,
                    "template_agency_id": t.agency_id, "started_by": c.started_by, "created_at": c.created_at,
                    "completed_by": c.completed_by, "completed_at": c.completed_at})
    return out


async def checklist_read(
    session: AsyncSession, checklist: Checklist, *, principal: Principal | None = None,
    access: checklists_access.ChecklistAccess = checklists_access.ChecklistAccess.staff
) -> dict[str, Any]:
    """The checklist with its items and each item's history, shaped as ChecklistRead. For a linked advocate
    (`access` "advocate") the notes another agency wrote are released only through the disclosure rule."""
    (out,) = await checklist_summaries(session, [checklist])
    events = (await session.execute(
        sa.select(ChecklistItemEvent).where(ChecklistItemEvent.checklist_id == checklist.id)
        .order_by(ChecklistItemEvent.seq))).scalars().all()
    gated: list[dict[str, Any]] = []  # entries whose note reaches the caller only through the rule

    def gate(entry: dict[str, Any], writer_agency_id: uuid.UUID | None) -> dict[str, Any]:
        if principal is not None and checklists_access.note_needs_disclosure(principal, access, writer_agency_id):
            gated.append(entry)
        return entry

    history: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        history.setdefault(e.item_key, []).append(gate(event_read(e), e.actor_agency_id))
    items = await _items(session, checklist.id)
    out["items"] = [
        # An item's own note is set with its status, by staff of the case's agency.
        gate({"key": i.key, "text": i.text, "guidance": i.guidance, "safety_critical": i.safety_critical,
              "status": i.status, "note": decrypt_json(i.note_enc, item_note_aad(i.id)),
              "updated_by": i.updated_by, "updated_at": i.updated_at, "history": history.get(i.key, [])},
             checklist.agency_id)
        for i in items
    ]
    out["open_safety_critical"] = [i.key for i in items if i.safety_critical and i.status == ItemStatus.pending.value]
    out["notes_withheld"] = None
    if principal is not None and access is not checklists_access.ChecklistAccess.staff:
        held = sum(1 for entry in gated if entry["note"] is not None)
        out["notes_withheld"] = await _release_notes(session, principal, checklist, held)
        if out["notes_withheld"] is not None:
            for entry in gated:
                entry["note"] = None
    return out


# Notes on a case's checklist say how the family's safety is handled at a juncture (what he does, where she
# goes, what is planned for her and the children): that is her safety plan, so they cross to a linked advocate
# as category safety_plan, never as case_status (which names only the state of the case and is shared far more
# readily), and for the purpose the advocate reads them for: planning safety with her.
NOTES_CATEGORY = DataCategory.safety_plan.value
NOTES_PURPOSE = Purpose.safety_planning.value


async def _release_notes(
    session: AsyncSession, principal: Principal, checklist: Checklist, held: int
) -> str | None:
    """Apply the disclosure rule, now, for each adult survivor of the case to the notes the case's agency wrote
    on this checklist; each decision is accounted for and audited. None when released for every survivor (or
    released with nothing on file), else the reason code. A case that records no survivor has no one whose
    consent could release them: withheld (`no_subject`), audited, with no accounting row (no one to account to)."""
    survivors = (await session.execute(
        sa.select(Person).where(Person.case_id == checklist.case_id, Person.case_role == CaseRole.adult_survivor)
        .order_by(Person.created_at, Person.id))).scalars().all()
    if not survivors:
        await record(session, principal, "checklist.notes_read", "checklist", checklist.id, outcome="withheld",
                     agency_id=checklist.agency_id)
        (decision,) = rules.without_subject([NOTES_CATEGORY])
        return decision.reason
    reason: str | None = None
    for person in survivors:
        result = await disclose_held(session, principal, person, NOTES_PURPOSE,
                                     {NOTES_CATEGORY: {"notes": held} if held else None},
                                     context={"checklist_id": str(checklist.id)})
        why = next((w.reason.value for w in result.withheld if w.reason is not Reason.no_data), None)
        reason = reason or why
    return reason


async def read_checklist(
    session: AsyncSession, principal: Principal, checklist: Checklist, access: checklists_access.ChecklistAccess
) -> dict[str, Any]:
    """GET of one checklist (found by `get_checklist`), shaped for the caller."""
    return await checklist_read(session, checklist, principal=principal, access=access)
