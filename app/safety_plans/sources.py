"""The safety-plan summary as a source of category `safety_plan`: that a plan exists, when it was last
reviewed, and only the elements she marked shareable (their keys are the elements released)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases.models import Person
from app.consent.disclosures import Sourced, register_category_source
from app.core.vocab import DataCategory
from app.safety_plans.models import SafetyPlanSummary
from app.safety_plans.service import element_texts

# Built once; the person's record and agency are bound at each read.
_SUMMARY = sa.select(SafetyPlanSummary).where(SafetyPlanSummary.person_id == sa.bindparam("person_id"),
                                              SafetyPlanSummary.agency_id == sa.bindparam("agency_id"))


async def safety_plan_source(session: AsyncSession, person: Person, payload: dict[str, Any]) -> Sourced | None:
    row = (await session.execute(_SUMMARY, {"person_id": person.id, "agency_id": person.agency_id})
           ).scalar_one_or_none()
    if row is None:
        return None
    texts = element_texts(row)
    shared = [{"key": e["key"], "text": texts.get(e["key"], "")} for e in row.elements if e["shareable"]]
    data = {"safety_plan_summary": {
        "exists": row.plan_exists,
        "last_reviewed_on": row.last_reviewed_on.isoformat() if row.last_reviewed_on else None,
        "elements": shared,
    }}
    return Sourced(data, row.updated_at or row.created_at, tuple(e["key"] for e in shared))


def register() -> None:
    register_category_source(DataCategory.safety_plan, safety_plan_source)
