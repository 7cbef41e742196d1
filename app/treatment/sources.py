"""What the treatment domain supplies to the disclosure rule: a person's treatment participation held by the
person's own agency, under the category its `domain` names (key "treatment"), once the rule has released that
category. A substance_use release carries the redisclosure notice (the disclosure code adds it)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases.models import Person
from app.consent.disclosures import Sourced, register_category_source
from app.core.vocab import DataCategory
from app.treatment.models import Treatment
from app.treatment.service import release_item

# Built once; the person's record, agency and the domain are bound at each read.
_HELD = (sa.select(Treatment)
         .where(Treatment.person_id == sa.bindparam("person_id"), Treatment.agency_id == sa.bindparam("agency_id"),
                Treatment.domain == sa.bindparam("domain"))
         .order_by(Treatment.created_at, Treatment.id))


async def _held(session: AsyncSession, person: Person, domain: DataCategory) -> Sourced | None:
    rows = list((await session.execute(_HELD, {"person_id": person.id, "agency_id": person.agency_id,
                                               "domain": domain.value})).scalars())
    if not rows:
        return None
    return Sourced({"treatment": [release_item(r) for r in rows]}, max(r.updated_at or r.created_at for r in rows))


async def substance_use_source(session: AsyncSession, person: Person, payload: dict[str, Any]) -> Sourced | None:
    return await _held(session, person, DataCategory.substance_use)


async def mental_health_source(session: AsyncSession, person: Person, payload: dict[str, Any]) -> Sourced | None:
    return await _held(session, person, DataCategory.mental_health)


def register() -> None:
    register_category_source(DataCategory.substance_use, substance_use_source)
    register_category_source(DataCategory.mental_health, mental_health_source)
