"""Who sees case notes: staff who see the note's case (another agency's note is 404, whatever its audience:
a shared note reaches another agency only through the disclosure rule)."""

from __future__ import annotations

import sqlalchemy as sa

from app.auth.principal import Principal
from app.cases.access import case_scoped_clause
from app.notes.models import CaseNote


def note_visible_clause(principal: Principal) -> sa.ColumnElement[bool]:
    return case_scoped_clause(principal, CaseNote.case_id)
