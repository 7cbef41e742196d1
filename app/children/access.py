"""Who sees a child's details: staff who see the child's case (another agency's child is 404)."""

from __future__ import annotations

import sqlalchemy as sa

from app.auth.principal import Principal
from app.cases.access import case_scoped_clause
from app.children.models import ChildDetails


def child_details_visible_clause(principal: Principal) -> sa.ColumnElement[bool]:
    return case_scoped_clause(principal, ChildDetails.case_id)
