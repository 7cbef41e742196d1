"""Loader dependencies of case notes: the note a route names, found through the caller's visibility of its
case (404); the ForUpdate variant also applies If-Match (412)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Caller
from app.core.db import SessionDep
from app.core.http import for_update
from app.notes import service
from app.notes.models import CaseNote


async def visible_note(note_id: uuid.UUID, session: SessionDep, principal: Caller) -> CaseNote:
    return await service.get_note(session, principal, note_id)


NoteVisible = Annotated[CaseNote, Depends(visible_note)]
NoteForUpdate = Annotated[CaseNote, Depends(for_update(visible_note))]
