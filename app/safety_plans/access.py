"""Who may hold safety-plan summaries: staff of a DV agency, on people of cases they may see.

Which people they may see is the cases domain's visibility (another agency's person is 404); a CPS caller on
a person of its own agency is refused (403): safety plans stay with the survivor's DV advocate, and what she
approves reaches CPS only through the disclosure rule (category `safety_plan`).
"""

from __future__ import annotations

import sqlalchemy as sa

from app.auth.permissions import AgencyKind
from app.auth.principal import Principal
from app.cases.access import case_scoped_clause
from app.core.errors import Forbidden
from app.safety_plans.models import SafetyPlanSummary


def ensure_may_hold_safety_plans(principal: Principal) -> None:
    """403 unless the caller acts for a DV agency."""
    if principal.agency_kind is not AgencyKind.dv:
        raise Forbidden("Safety-plan summaries are kept by DV agencies; what a survivor approves reaches other "
                        "agencies only through a disclosure (category safety_plan).")


def summary_visible_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """Summaries the caller may see: those on cases it may see."""
    return case_scoped_clause(principal, SafetyPlanSummary.case_id)
