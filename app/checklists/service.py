"""Rules for checklist templates, checklists on cases, and the junctures they gate."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases import access as cases_access
from app.cases.models import Person
from app.checklists import access as checklists_access
from app.checklists.defaults import critical_keys
from app.checklists.models import (
    Checklist,
    ChecklistItem,
    ChecklistItemEvent,
    ChecklistTemplate,
    JunctureRecord,
    event_note_aad,
    item_note_aad,
    override_reason_aad,
)
from app.checklists.schemas import (
    ChecklistCreate,
    ItemStatus,
    ItemUpdate,
    JunctureCreate,
    NoteCreate,
    TemplateCreate,
)
from app.consent.rules import Reason
from app.consent.service import disclose_held
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.crypto import decrypt_json, encrypt_json
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.core.vocab import CaseRole, DataCategory, Purpose
from app.trail.recorder import record

# ------------------------------------------------------------------ templates



async def _next_seq(session: AsyncSession, checklist: Checklist) -> int:
    """The next position in the checklist's change history (changes to one checklist are serialised by
    its version, so two changes never share a position)."""
    last = (await session.execute(sa.select(sa.func.max(ChecklistItemEvent.seq)).where(
        ChecklistItemEvent.checklist_id == checklist.id))).scalar_one_or_none()
    return (last or 0) + 1

async def _latest_template(
    session: AsyncSession, agency_id: uuid.UUID | None, juncture: str
) -> ChecklistTemplate | None:
    owner = ChecklistTemplate.agency_id.is_(None) if agency_id is None else ChecklistTemplate.agency_id == agency_id
    stmt = (sa.select(ChecklistTemplate).where(owner, ChecklistTemplate.juncture == juncture)
            .order_by(ChecklistTemplate.revision.desc()).limit(1))
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_templates(
    session: AsyncSession, principal: Principal, page: PageParams, juncture: str | None
) -> tuple[list[ChecklistTemplate], str | None]:
    """The default versions and the caller's agency's versions, newest first."""
    checklists_access.ensure_may_read_templates(principal)
    stmt = sa.select(ChecklistTemplate).where(checklists_access.template_visible_clause(principal))
    if juncture is not None:
        stmt = stmt.where(ChecklistTemplate.juncture == juncture)
    return await paginate(session, stmt, ChecklistTemplate, page)


async def get_template(session: AsyncSession, principal: Principal, template_id: uuid.UUID) -> ChecklistTemplate:
    """A default template version or one of the caller's agency's; 404 otherwise."""
    checklists_access.ensure_may_read_templates(principal)
    template = await session.get(ChecklistTemplate, template_id)
    if template is None or not checklists_access.template_visible(principal, template):
        raise NotFound("checklist template")
    return template


async def publish_template(session: AsyncSession, principal: Principal, data: TemplateCreate) -> ChecklistTemplate:
    """A new version of the juncture's template for the caller's agency. Every safety-critical item of the
    default stays, under the same key, and stays safety-critical (422 naming the keys otherwise)."""
    agency_id = checklists_access.ensure_may_publish_template(principal)
    keys = [i.key for i in data.items]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise Invalid(f"Item keys must be unique; repeated: {', '.join(duplicates)}.", loc=["body", "items"],
                      type="duplicate_keys", duplicate_keys=duplicates)
    default = await _latest_template(session, None, data.juncture.value)
    required = critical_keys(default.items) if default is not None else []
    given = {i.key: i for i in data.items}
    missing = [k for k in required if k not in given]
    downgraded = [k for k in required if k in given and not given[k].safety_critical]
    if missing or downgraded:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if downgraded:
            parts.append(f"no longer safety-critical {', '.join(downgraded)}")
        errors: list[dict[str, Any]] = [{"loc": ["body", "items"], "msg": f"safety-critical item {k} is missing",
                   "type": "safety_critical_missing"} for k in missing]
        errors += [{"loc": ["body", "items", keys.index(k), "safety_critical"],
                    "msg": f"item {k} must stay safety-critical", "type": "safety_critical_downgraded"}
                   for k in downgraded]
        raise Invalid("Every safety-critical item of the default template must stay, under the same key, and "
                      f"stay safety-critical: {'; '.join(parts)}.", errors=errors,
                      missing_keys=missing, downgraded_keys=downgraded)
    latest = await _latest_template(session, agency_id, data.juncture.value)
    template = ChecklistTemplate(
        agency_id=agency_id, juncture=data.juncture.value,
        revision=(latest.revision + 1) if latest is not None else 1,
        items=[i.model_dump() for i in data.items], published_by=str(principal.id),
    )
    session.add(template)
    await session.flush()
    await record(session, principal, "template.publish", "checklist_template", template.id)
    return template


def template_read(t: ChecklistTemplate) -> dict[str, Any]:
    return {"id": t.id, "agency_id": t.agency_id, "juncture": t.juncture, "version": t.revision,
            "items": t.items, "published_by": t.published_by, "created_at": t.created_at}


# ------------------------------------------------------------------ checklists


async def start_checklist(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, data: ChecklistCreate
) -> Checklist:
    """A checklist for a juncture from the newest template version of the case's agency (else the default)."""
    case = await cases_access.get_visible_case(session, principal, case_id)
    juncture = data.juncture.value
    template = await _latest_template(session, case.agency_id, juncture) \
        or await _latest_template(session, None, juncture)
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
    event.note_enc = encrypt_json(note, event_note_aad(event.id))
    session.add(event)
    item.status = data.status.value
    item.note_enc = encrypt_json(note, item_note_aad(item.id))
    item.updated_by = str(principal.id)
    item.updated_at = now
    _touch(checklist)
    await session.flush()
    await record(session, principal, "checklist.item_update", "checklist", checklist.id, agency_id=checklist.agency_id)
    return checklist


async def add_note(
    session: AsyncSession, principal: Principal, checklist: Checklist, access: checklists_access.ChecklistAccess, key: str, data: NoteCreate
) -> ChecklistItemEvent:
    """A note on an item, by staff on the case or a linked DV advocate; the item's status is unchanged."""
    checklists_access.ensure_may_note_checklist(principal, access)
    _ensure_open(checklist)
    item = await _item(session, checklist, key)
    event = ChecklistItemEvent(checklist_id=checklist.id, item_key=item.key, seq=await _next_seq(session, checklist),
                               kind="note",
                               actor_id=str(principal.id), actor_agency_id=principal.agency_id, at=utcnow())
    event.note_enc = encrypt_json(data.text, event_note_aad(event.id))
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
    released with nothing on file), else the reason code (withheld when the case records no survivor)."""
    survivors = (await session.execute(
        sa.select(Person).where(Person.case_id == checklist.case_id, Person.case_role == CaseRole.adult_survivor)
        .order_by(Person.created_at, Person.id))).scalars().all()
    if not survivors:
        await record(session, principal, "checklist.notes_read", "checklist", checklist.id, outcome="withheld",
                     agency_id=checklist.agency_id)
        return Reason.no_consent.value
    reason: str | None = None
    for person in survivors:
        result = await disclose_held(session, principal, person, NOTES_PURPOSE,
                                     {NOTES_CATEGORY: {"notes": held} if held else None},
                                     context={"checklist_id": str(checklist.id)})
        why = next((w.reason.value for w in result.withheld if w.reason is not Reason.no_data), None)
        reason = reason or why
    return reason


async def read_checklist(
    session: AsyncSession, principal: Principal, checklist_id: uuid.UUID
) -> tuple[Checklist, dict[str, Any]]:
    """GET of one checklist, shaped for the caller (404 when they may not see it)."""
    checklist, access = await get_checklist(session, principal, checklist_id)
    return checklist, await checklist_read(session, checklist, principal=principal, access=access)


# ------------------------------------------------------------------ junctures


async def record_juncture(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, data: JunctureCreate
) -> JunctureRecord:
    """409 unless a checklist for the juncture was completed on the case within checklist_valid_days; a
    supervisor may record it anyway with an override_reason (a worker's override is 403)."""
    case = await cases_access.get_visible_case(session, principal, case_id)
    if data.override_reason is not None:
        checklists_access.ensure_may_override_juncture(principal)
    now = utcnow()
    since = now - timedelta(days=get_settings().checklist_valid_days)
    checklist = (await session.execute(
        sa.select(Checklist).where(Checklist.case_id == case.id, Checklist.juncture == data.juncture.value,
                                   Checklist.status == "completed", Checklist.completed_at >= since)
        .order_by(Checklist.completed_at.desc()).limit(1))).scalar_one_or_none()
    overridden = checklist is None
    if overridden and data.override_reason is None:
        raise Conflict(f"No checklist for {data.juncture.value} was completed on this case in the last "
                       f"{get_settings().checklist_valid_days} days.", title="Safety checklist not completed",
                       juncture=data.juncture.value)
    rec = JunctureRecord(case_id=case.id, agency_id=case.agency_id, juncture=data.juncture.value,
                         scheduled_for=data.scheduled_for, checklist_id=checklist.id if checklist else None,
                         overridden=overridden, recorded_by=str(principal.id), recorded_at=now)
    if overridden:
        rec.override_reason_enc = encrypt_json(data.override_reason, override_reason_aad(rec.id))
    session.add(rec)
    await session.flush()
    await record(session, principal, "juncture.record", "juncture_record", rec.id, agency_id=case.agency_id)
    if overridden:
        await record(session, principal, "juncture.override", "juncture_record", rec.id, agency_id=case.agency_id)
    return rec


async def list_junctures(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, page: PageParams
) -> tuple[list[JunctureRecord], str | None]:
    case = await cases_access.get_visible_case(session, principal, case_id)
    return await paginate(session, sa.select(JunctureRecord).where(JunctureRecord.case_id == case.id),
                          JunctureRecord, page)


async def get_juncture(session: AsyncSession, principal: Principal, juncture_id: uuid.UUID) -> JunctureRecord:
    """A recorded juncture on a case the caller may see (404 otherwise)."""
    rec = (await session.execute(
        sa.select(JunctureRecord).where(JunctureRecord.id == juncture_id,
                                        cases_access.case_scoped_clause(principal, JunctureRecord.case_id))
    )).scalar_one_or_none()
    if rec is None:
        raise NotFound("juncture record")
    return rec


def juncture_read(r: JunctureRecord) -> dict[str, Any]:
    return {"id": r.id, "case_id": r.case_id, "agency_id": r.agency_id, "juncture": r.juncture,
            "scheduled_for": r.scheduled_for, "checklist_id": r.checklist_id, "overridden": r.overridden,
            "override_reason": decrypt_json(r.override_reason_enc, override_reason_aad(r.id)),
            "recorded_by": r.recorded_by, "recorded_at": r.recorded_at}
