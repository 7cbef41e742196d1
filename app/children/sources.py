"""A child's details as a source of category `children`. The disclosure is about the child person (the rule
takes a child's consent from a non-abusive parent)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases.models import Person
from app.children.models import ChildDetails
from app.children.service import details_data
from app.consent.disclosures import Sourced, register_category_source
from app.core.vocab import DataCategory

# Built once; the child's record and agency are bound at each read.
_DETAILS = sa.select(ChildDetails).where(ChildDetails.person_id == sa.bindparam("person_id"),
                                         ChildDetails.agency_id == sa.bindparam("agency_id"))


async def child_details_source(session: AsyncSession, person: Person, payload: dict[str, Any]) -> Sourced | None:
    row = (await session.execute(_DETAILS, {"person_id": person.id, "agency_id": person.agency_id})
           ).scalar_one_or_none()
    if row is None:
        return None
    return Sourced({"child_details": details_data(row)}, row.updated_at or row.created_at)


def register() -> None:
    register_category_source(DataCategory.children, child_details_source)
