"""HTTP routes of the checklists domain: templates, checklists on cases, item changes, junctures."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status

from app.auth.dependencies import (
    Caller,
    RequiresCaseRead,
    RequiresCaseUpdate,
    RequiresChecklistRead,
    RequiresChecklistWork,
    RequiresJunctureRecord,
    RequiresTemplatePublish,
    current_principal,
)
from app.cases.dependencies import CaseVisible
from app.checklists import closure, junctures, service, templates
from app.checklists.defaults import Juncture
from app.checklists.dependencies import ChecklistForUpdate, ChecklistVisible, ItemKey
from app.checklists.schemas import (
    CaseClose,
    CaseClosureRead,
    ChecklistCreate,
    ChecklistNoteCreate,
    ChecklistRead,
    ChecklistSummary,
    ItemEventRead,
    ItemUpdate,
    JunctureCreate,
    JunctureRead,
    TemplateCreate,
    TemplateRead,
)
from app.core.db import SessionDep
from app.core.http import IdempotencyDep, IfMatch, tagged
from app.core.pagination import Page, PageParams

router = APIRouter(prefix="/api/v1", tags=["checklists"], dependencies=[Depends(current_principal)])


@router.get("/checklist-templates", response_model=Page[TemplateRead])
async def list_templates(
    session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: Caller, juncture: Juncture | None = None,
) -> dict[str, Any]:
    items, cursor = await templates.list_templates(session, principal, page, juncture.value if juncture else None)
    return {"items": [templates.template_read(t) for t in items], "next_cursor": cursor}


@router.post("/checklist-templates", status_code=status.HTTP_201_CREATED, response_model=TemplateRead)
async def publish_template(
    data: TemplateCreate, session: SessionDep, idem: IdempotencyDep,
    principal: RequiresTemplatePublish,
) -> dict[str, Any]:
    return await idem.create(principal.ref, lambda: templates.publish_template(session, principal, data),
                             lambda template_id: templates.get_template(session, principal, template_id),
                             templates.template_read)


@router.post("/cases/{case_id}/checklists", status_code=status.HTTP_201_CREATED, response_model=ChecklistRead)
async def start_checklist(
    case_id: uuid.UUID, data: ChecklistCreate, session: SessionDep,
    idem: IdempotencyDep,
    principal: RequiresChecklistWork,
) -> dict[str, Any]:
    return await idem.create(principal.ref, lambda: service.start_checklist(session, principal, case_id, data),
                             lambda checklist_id: service.visible_checklist(session, principal, checklist_id),
                             partial(service.checklist_read, session))


@router.get("/cases/{case_id}/checklists", response_model=Page[ChecklistSummary])
async def list_case_checklists(
    case_id: uuid.UUID, session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresChecklistRead,
) -> dict[str, Any]:
    items, cursor = await service.list_case_checklists(session, principal, case_id, page)
    return {"items": await service.checklist_summaries(session, items), "next_cursor": cursor}


@router.get("/checklists/{checklist_id}", response_model=ChecklistRead)
async def get_checklist(
    session: SessionDep, response: Response, principal: RequiresChecklistRead, loaded: ChecklistVisible,
) -> dict[str, Any]:
    checklist, access = loaded
    return tagged(response, checklist, await service.read_checklist(session, principal, checklist, access))


@router.patch("/checklists/{checklist_id}/items/{key}", response_model=ChecklistRead)
async def update_item(
    data: ItemUpdate, session: SessionDep, response: Response, principal: RequiresChecklistWork,
    loaded: ChecklistForUpdate, key: ItemKey,
) -> dict[str, Any]:
    checklist = await service.update_item(session, principal, *loaded, key, data)
    return tagged(response, checklist, await service.checklist_read(session, checklist))


@router.post("/checklists/{checklist_id}/items/{key}/notes", status_code=status.HTTP_201_CREATED,
             response_model=ItemEventRead)
async def add_note(
    checklist_id: uuid.UUID, key: ItemKey, data: ChecklistNoteCreate, session: SessionDep,
    idem: IdempotencyDep, principal: RequiresChecklistWork,
) -> dict[str, Any]:
    return await idem.create(principal.ref, lambda: service.add_note(session, principal, checklist_id, key, data),
                             lambda event_id: service.get_note(session, principal, checklist_id, key, event_id),
                             service.event_read)


@router.post("/checklists/{checklist_id}/complete", response_model=ChecklistRead)
async def complete_checklist(
    session: SessionDep, response: Response, principal: RequiresChecklistWork, loaded: ChecklistForUpdate,
) -> dict[str, Any]:
    checklist = await service.complete_checklist(session, principal, *loaded)
    return tagged(response, checklist, await service.checklist_read(session, checklist))


@router.post("/cases/{case_id}/junctures", status_code=status.HTTP_201_CREATED, response_model=JunctureRead)
async def record_juncture(
    case_id: uuid.UUID, data: JunctureCreate, session: SessionDep, idem: IdempotencyDep,
    principal: RequiresJunctureRecord,
) -> dict[str, Any]:
    return await idem.create(principal.ref, lambda: junctures.record_juncture(session, principal, case_id, data),
                             lambda juncture_id: junctures.get_juncture(session, principal, juncture_id),
                             junctures.juncture_read)


@router.get("/cases/{case_id}/junctures", response_model=Page[JunctureRead])
async def list_junctures(
    case_id: uuid.UUID, session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresCaseRead,
) -> dict[str, Any]:
    items, cursor = await junctures.list_junctures(session, principal, case_id, page)
    return {"items": [junctures.juncture_read(r) for r in items], "next_cursor": cursor}


@router.post("/cases/{case_id}/close", response_model=CaseClosureRead)
async def close_case(
    data: CaseClose, session: SessionDep, response: Response, principal: RequiresCaseUpdate, case: CaseVisible,
    if_match: str | None = IfMatch,
) -> dict[str, Any]:
    """Close a case: 409 unless a closure checklist was completed on it within the valid window, or a
    supervisor gives `override_reason` (a worker's override: 403). Records the coded reason and answers what
    stays open with other agencies (person links, consents naming them, referrals not closed), each to end
    through its own endpoint or keep."""
    out = await closure.close_case(session, principal, case, data, if_match=if_match)
    return tagged(response, out["case"], out)
