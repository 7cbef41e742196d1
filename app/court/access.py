"""Who sees court events: a court event is a case record, visible exactly when its case is (the owning agency's
staff on the case team, or its supervisors and systems); anyone else gets a 404. Nothing of it reaches another
agency except through the disclosure rule (sources.py)."""

from __future__ import annotations

import sqlalchemy as sa

from app.auth.principal import Principal
from app.cases.access import case_scoped_clause
from app.court.models import CourtEvent


def event_visible_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """Court events the caller may see, as a SQL condition: those of cases the caller may see."""
    return case_scoped_clause(principal, CourtEvent.case_id)
