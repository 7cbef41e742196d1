"""A child's details as a source of category `children`. The disclosure is about the child person (the rule
takes a child's consent from a non-abusive parent). One select built once (`statement_source`): a request reads
it with its other category sources in one round trip."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.cases.models import Person
from app.children.models import ChildDetails
from app.children.service import details_data
from app.consent.disclosures import Sourced, register_category_source, statement_source
from app.core.sql import Prebuilt
from app.core.vocab import DataCategory

# Built once; the child's record and agency are bound at each read.
_DETAILS = Prebuilt(sa.select(*ChildDetails.__table__.c).where(
    ChildDetails.person_id == sa.bindparam("person_id"), ChildDetails.agency_id == sa.bindparam("agency_id")))


def _details(rows: list[Any], person: Person, payload: dict[str, Any]) -> Sourced | None:
    if not rows:
        return None
    # A read-only copy of the row, not in the session (its values are the database's own: not validated again);
    # `details_data` unseals the sealed parts from its id and sealed columns.
    row = ChildDetails.model_construct(**rows[0]._asdict())
    return Sourced({"child_details": details_data(row)}, row.updated_at or row.created_at)


child_details_source = statement_source(
    DataCategory.children, _DETAILS, lambda person: {"person_id": person.id, "agency_id": person.agency_id},
    _details, "child_details")


def register() -> None:
    register_category_source(DataCategory.children, child_details_source)
