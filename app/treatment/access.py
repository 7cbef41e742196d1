"""Who sees which treatment records: those of cases the caller may see (the case team, or every case of the
agency for supervisors and agency systems). Another agency's record is not found (404); nothing of it crosses
an agency boundary except through the disclosure rule."""

from __future__ import annotations

import sqlalchemy as sa

from app.auth.principal import Principal
from app.cases.access import case_scoped_clause
from app.treatment.models import Treatment


def treatment_visible_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """Treatment records the caller may see, as a SQL condition: those of cases it may see."""
    return case_scoped_clause(principal, Treatment.case_id)
