"""What the services domain supplies to the disclosure rule: a person's services held by the person's own
agency, once the rule has released the category (the rule decides; a source never does).

Treatment services are released only under their own categories: substance use treatment under
`substance_use` (whose release carries the redisclosure notice), mental health treatment under
`mental_health`; every other kind under `services`. Each goes under the key "services".

The three categories' sources form one batch (`StatementBatch`): one select of the kinds of every category a
request releases, read with the request's other statement sources (`read_categories`), so a request releasing
services and substance_use reads services once.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.cases.models import Person
from app.consent.disclosures import (
    BatchedSource,
    Sourced,
    StatementBatch,
    register_category_source,
    sourced_by_category,
)
from app.core.sql import Prebuilt, any_of
from app.core.vocab import DataCategory
from app.services.models import Service
from app.services.schemas import ServiceKind
from app.services.service import release_item

TREATMENT_KINDS = {DataCategory.substance_use: ServiceKind.substance_use_treatment,
                   DataCategory.mental_health: ServiceKind.mental_health_treatment}
GENERAL_KINDS = [k for k in ServiceKind if k not in TREATMENT_KINDS.values()]
# The kinds released under each category, and the category each kind is released under.
KINDS: dict[str, list[ServiceKind]] = {DataCategory.services.value: GENERAL_KINDS,
                                       **{c.value: [k] for c, k in TREATMENT_KINDS.items()}}
CATEGORY_OF_KIND = {k.value: c for c, kinds in KINDS.items() for k in kinds}


# Built once; the person's record, agency and the kinds are bound at each read.
_HELD = Prebuilt(sa.select(*Service.__table__.c)
                 .where(Service.person_id == sa.bindparam("person_id"), Service.agency_id == sa.bindparam("agency_id"),
                        any_of(Service.kind, "kinds"))
                 .order_by(Service.created_at, Service.id))


def _held_params(person: Person, categories: list[str]) -> dict[str, Any]:
    return {"person_id": person.id, "agency_id": person.agency_id,
            "kinds": [k.value for c in categories for k in KINDS[c]]}


def _by_category(
    rows: list[Any], person: Person, payload: dict[str, Any], categories: list[str]
) -> dict[str, Sourced | None]:
    """The services released under each category asked ({"services": [...]}, oldest first; None when there
    are none)."""
    by_category: dict[str, list[Service]] = {}
    for r in rows:
        # A read-only copy of the row, not in the session (its values are the database's own: not validated
        # again); `release_item` only reads its columns.
        service = Service.model_construct(**r._asdict())
        by_category.setdefault(CATEGORY_OF_KIND[service.kind], []).append(service)
    return sourced_by_category(by_category, categories, "services", release_item)


# The services of every category a request releases, in one statement.
held_services = StatementBatch(_HELD, _held_params, _by_category)

services_source = BatchedSource(held_services, DataCategory.services.value, "services")
substance_use_services_source = BatchedSource(held_services, DataCategory.substance_use.value,
                                              "substance_use_services")
mental_health_services_source = BatchedSource(held_services, DataCategory.mental_health.value,
                                              "mental_health_services")


def register() -> None:
    register_category_source(DataCategory.services, services_source)
    register_category_source(DataCategory.substance_use, substance_use_services_source)
    register_category_source(DataCategory.mental_health, mental_health_services_source)
