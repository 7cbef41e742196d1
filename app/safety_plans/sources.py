"""The safety-plan summary as a source of category `safety_plan`: that a plan exists, when it was last
reviewed, and only the elements she marked shareable (their keys are the elements released). One select built
once (`statement_source`): a request reads it with its other category sources in one round trip."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.cases.models import Person
from app.consent.disclosures import Sourced, register_category_source, statement_source
from app.core.sql import Prebuilt
from app.core.vocab import DataCategory
from app.safety_plans.models import SafetyPlanSummary
from app.safety_plans.service import element_texts

# Built once; the person's record and agency are bound at each read.
_SUMMARY = Prebuilt(sa.select(*SafetyPlanSummary.__table__.c).where(
    SafetyPlanSummary.person_id == sa.bindparam("person_id"), SafetyPlanSummary.agency_id == sa.bindparam("agency_id")))


def _summary(rows: list[Any], person: Person, payload: dict[str, Any]) -> Sourced | None:
    if not rows:
        return None
    # A read-only copy of the row, not in the session (its values are the database's own: not validated again);
    # `element_texts` unseals the texts from its id and sealed column.
    row = SafetyPlanSummary.model_construct(**rows[0]._asdict())
    texts = element_texts(row)
    shared = [{"key": e["key"], "text": texts.get(e["key"], "")} for e in row.elements if e["shareable"]]
    data = {"safety_plan_summary": {
        "exists": row.plan_exists,
        "last_reviewed_on": row.last_reviewed_on.isoformat() if row.last_reviewed_on else None,
        "elements": shared,
    }}
    return Sourced(data, row.updated_at or row.created_at, tuple(e["key"] for e in shared))


safety_plan_source = statement_source(
    DataCategory.safety_plan, _SUMMARY, lambda person: {"person_id": person.id, "agency_id": person.agency_id},
    _summary, "safety_plan")


def register() -> None:
    register_category_source(DataCategory.safety_plan, safety_plan_source)
