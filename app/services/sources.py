"""What the services domain supplies to the disclosure rule: a person's services held by the person's own
agency, once the rule has released the category (the rule decides; a source never does).

Treatment services are released only under their own categories: substance use treatment under
`substance_use` (whose release carries the redisclosure notice), mental health treatment under
`mental_health`; every other kind under `services`. Each goes under the key "services".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases.models import Person
from app.consent.disclosures import Sourced, register_category_source
from app.core.sql import any_of
from app.core.vocab import DataCategory
from app.services.models import Service
from app.services.schemas import ServiceKind
from app.services.service import release_item

TREATMENT_KINDS = {DataCategory.substance_use: ServiceKind.substance_use_treatment,
                   DataCategory.mental_health: ServiceKind.mental_health_treatment}
GENERAL_KINDS = [k for k in ServiceKind if k not in TREATMENT_KINDS.values()]


# Built once; the person's record, agency and the kinds are bound at each read.
_HELD = (sa.select(Service)
         .where(Service.person_id == sa.bindparam("person_id"), Service.agency_id == sa.bindparam("agency_id"),
                any_of(Service.kind, "kinds"))
         .order_by(Service.created_at, Service.id))


async def _held(session: AsyncSession, person: Person, kinds: Iterable[ServiceKind]) -> Sourced | None:
    rows = list((await session.execute(_HELD, {"person_id": person.id, "agency_id": person.agency_id,
                                               "kinds": [k.value for k in kinds]})).scalars())
    if not rows:
        return None
    return Sourced({"services": [release_item(r) for r in rows]}, max(r.updated_at or r.created_at for r in rows))


async def services_source(session: AsyncSession, person: Person, payload: dict[str, Any]) -> Sourced | None:
    return await _held(session, person, GENERAL_KINDS)


async def substance_use_services_source(
    session: AsyncSession, person: Person, payload: dict[str, Any]
) -> Sourced | None:
    return await _held(session, person, [ServiceKind.substance_use_treatment])


async def mental_health_services_source(
    session: AsyncSession, person: Person, payload: dict[str, Any]
) -> Sourced | None:
    return await _held(session, person, [ServiceKind.mental_health_treatment])


def register() -> None:
    register_category_source(DataCategory.services, services_source)
    register_category_source(DataCategory.substance_use, substance_use_services_source)
    register_category_source(DataCategory.mental_health, mental_health_services_source)
