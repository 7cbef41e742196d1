"""Contact preferences as a source of category `contact` (under `preferences`, beside the person record's
contact details and instructions). Contact attempts are not released: when and how she could be reached is a
trace of where she was, and the recipient needs how to reach her safely, not that history."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.cases.models import Person
from app.consent.disclosures import Sourced, register_category_source, statement_source
from app.contacts.models import ContactPreferences
from app.contacts.service import preferences_data
from app.core.sql import Prebuilt
from app.core.vocab import DataCategory

# Built once; the person's record and agency are bound at each read.
_PREFERENCES = Prebuilt(sa.select(*ContactPreferences.__table__.c).where(
    ContactPreferences.person_id == sa.bindparam("person_id"), ContactPreferences.agency_id == sa.bindparam("agency_id")))


def _preferences(rows: list[Any], person: Person, payload: dict[str, Any]) -> Sourced | None:
    if not rows:
        return None
    # A read-only copy of the row, not in the session (its values are the database's own: not validated again).
    row = ContactPreferences.model_construct(**rows[0]._asdict())
    return Sourced({"preferences": preferences_data(row)}, row.updated_at or row.created_at)


contact_preferences_source = statement_source(
    DataCategory.contact, _PREFERENCES, lambda person: {"person_id": person.id, "agency_id": person.agency_id},
    _preferences, "contact_preferences")


def register() -> None:
    register_category_source(DataCategory.contact, contact_preferences_source)
