"""HTTP routes of case notes."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from app.auth.dependencies import RequiresRecordRead, RequiresRecordWrite, current_principal
from app.core.db import SessionDep
from app.core.http import IdempotencyDep, tagged
from app.core.pagination import Page, PageParams, page_of
from app.core.vocab import DataCategory
from app.notes import service
from app.notes.dependencies import NoteForUpdate, NoteVisible
from app.notes.schemas import Audience, NoteCreate, NoteRead, NoteSummary, NoteUpdate

router = APIRouter(prefix="/api/v1", tags=["notes"], dependencies=[Depends(current_principal)])


@router.post("/cases/{case_id}/notes", status_code=status.HTTP_201_CREATED, response_model=NoteRead,
             description="Write a note on a case. `own_agency`: it never leaves your agency. `shared`: filed "
                         "under a data `category` and about a `person_id` of the case; it reaches another agency "
                         "only when the disclosure rule releases that category of that person.")
async def create_note(
    case_id: uuid.UUID, data: NoteCreate, session: SessionDep, idem: IdempotencyDep,
    principal: RequiresRecordWrite,
) -> dict[str, Any]:
    return await idem.create(principal.ref, lambda: service.create_note(session, principal, case_id, data),
                             lambda note_id: service.get_note(session, principal, note_id), service.note_read)


@router.get("/cases/{case_id}/notes", response_model=Page[NoteSummary],
            description="The case's notes: ids, audience, category, author and dates only (never the text).")
async def list_notes(
    case_id: uuid.UUID, session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresRecordRead, audience: Audience | None = None,
    category: DataCategory | None = Query(None),
) -> dict[str, Any]:
    items, cursor = await service.list_notes(session, principal, case_id, page, audience=audience,
                                             category=category.value if category else None)
    return page_of(items, cursor, NoteSummary)


@router.get("/notes/{note_id}", response_model=NoteRead)
async def get_note(principal: RequiresRecordRead, note: NoteVisible, response: Response) -> dict[str, Any]:
    return tagged(response, note, service.note_read(note))


@router.patch("/notes/{note_id}", response_model=NoteRead)
async def update_note(
    data: NoteUpdate, session: SessionDep, response: Response, principal: RequiresRecordWrite,
    note: NoteForUpdate,
) -> dict[str, Any]:
    note, body = await service.update_note(session, principal, note, data)
    return tagged(response, note, body)
