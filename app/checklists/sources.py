"""What checklists add to a released `case_status`: the next juncture scheduled on the person's case."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.cases.models import Person
from app.checklists.models import JunctureRecord
from app.consent.disclosures import Sourced, register_category_source, statement_source
from app.core.clock import utcnow
from app.core.sql import Prebuilt
from app.core.vocab import DataCategory

# Built once; the case, its agency and the moment are bound at each read.
_NEXT_JUNCTURE = Prebuilt(
    sa.select(JunctureRecord.juncture, JunctureRecord.scheduled_for, JunctureRecord.recorded_at)
    .where(JunctureRecord.case_id == sa.bindparam("case_id"), JunctureRecord.agency_id == sa.bindparam("agency_id"),
           JunctureRecord.scheduled_for >= sa.bindparam("now"))
    .order_by(JunctureRecord.scheduled_for, JunctureRecord.id).limit(1)
)


def _next_juncture(rows: list[Any], person: Person, payload: dict[str, Any]) -> Sourced | None:
    """The earliest juncture scheduled from now on, on the person's case (`next_juncture: null` when none is:
    a partner learns there is nothing scheduled)."""
    if not rows:
        return Sourced({"next_juncture": None})
    juncture, scheduled_for, recorded_at = rows[0]
    return Sourced({"next_juncture": {"juncture": juncture, "scheduled_for": scheduled_for}},
                   recorded_at)


next_juncture = statement_source(
    DataCategory.case_status, _NEXT_JUNCTURE,
    lambda person: {"case_id": person.case_id, "agency_id": person.agency_id, "now": utcnow()},
    _next_juncture, "next_juncture")


def register() -> None:
    register_category_source(DataCategory.case_status, next_juncture)
