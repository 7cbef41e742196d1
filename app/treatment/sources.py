"""What the treatment domain supplies to the disclosure rule: a person's treatment participation held by the
person's own agency, under the category its `domain` names (key "treatment"), once the rule has released that
category. A substance_use release carries the redisclosure notice (the disclosure code adds it).

The two categories' sources form one batch (`StatementBatch`): one select of the domains of every category a
request releases, read with the request's other statement sources (`read_categories`)."""

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
from app.treatment.models import Treatment
from app.treatment.service import release_item

# Built once; the person's record, agency and the domains are bound at each read.
_HELD = Prebuilt(sa.select(*Treatment.__table__.c)
                 .where(Treatment.person_id == sa.bindparam("person_id"),
                        Treatment.agency_id == sa.bindparam("agency_id"), any_of(Treatment.domain, "domains"))
                 .order_by(Treatment.created_at, Treatment.id))


def _held_params(person: Person, categories: list[str]) -> dict[str, Any]:
    return {"person_id": person.id, "agency_id": person.agency_id, "domains": list(categories)}


def _by_domain(
    rows: list[Any], person: Person, payload: dict[str, Any], categories: list[str]
) -> dict[str, Sourced | None]:
    """The records released under each category asked ({"treatment": [...]}, oldest first; None when there are
    none)."""
    by_domain: dict[str, list[Treatment]] = {}
    for r in rows:
        # A read-only copy of the row, not in the session (its values are the database's own: not validated
        # again); `release_item` only reads its columns.
        record = Treatment.model_construct(**r._asdict())
        by_domain.setdefault(record.domain, []).append(record)
    return sourced_by_category(by_domain, categories, "treatment", release_item)


# The records of every category a request releases, in one statement.
held_treatment = StatementBatch(_HELD, _held_params, _by_domain)

substance_use_source = BatchedSource(held_treatment, DataCategory.substance_use.value, "substance_use_treatment")
mental_health_source = BatchedSource(held_treatment, DataCategory.mental_health.value, "mental_health_treatment")


def register() -> None:
    register_category_source(DataCategory.substance_use, substance_use_source)
    register_category_source(DataCategory.mental_health, mental_health_source)
