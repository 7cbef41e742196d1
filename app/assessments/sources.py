"""The `assessments` category for the disclosure rule: the assessments the person's own agency holds, filed
under the person, newest first (result levels only; no item-by-item answers exist to release), each with the
name of the staff member who recorded it. The rule has already decided; this only reads, with one select built
once (`statement_source`: a request reads it with its other category sources in one round trip)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import sqlalchemy as sa

from app.assessments.models import Assessment
from app.assessments.service import assessment_read
from app.cases.models import Person
from app.consent.disclosures import Sourced, register_category_source, statement_source
from app.core.sql import Prebuilt
from app.core.vocab import DataCategory
from app.identity.models import User

# Built once; the person's record and agency are bound at each read. The recording user's name comes with each
# assessment (None when no user recorded it).
_TABLE = Assessment.__table__
_ASSESSMENTS = Prebuilt(
    sa.select(*_TABLE.c, User.full_name.label("recorder_name"))
    .select_from(_TABLE.outerjoin(User, User.id == _TABLE.c.recorded_by))
    .where(_TABLE.c.person_id == sa.bindparam("person_id"), _TABLE.c.agency_id == sa.bindparam("agency_id"))
    .order_by(_TABLE.c.administered_at.desc(), _TABLE.c.id))


def _assessments(rows: list[Any], person: Person, payload: dict[str, Any]) -> Sourced | None:
    """{"assessments": [{id, instrument, administered_at, result_level, assessor, determined_person_id, basis},
    ...]}; `assessor` is the named assessor or else the name of the staff member who recorded it. None when
    none is on file."""
    if not rows:
        return None
    out = []
    stamps = []
    for row in rows:
        values = row._asdict()
        recorder_name = values.pop("recorder_name")
        # A read-only copy of the row, not in the session (its values are the database's own: not validated
        # again); `assessment_read` unseals the sealed parts from its id and sealed columns.
        a = Assessment.model_construct(**values)
        read = assessment_read(a)
        out.append({
            "id": str(a.id), "instrument": a.instrument,
            "administered_at": a.administered_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "result_level": a.result_level,
            "assessor": read["assessor_name"] or recorder_name,
            "determined_person_id": str(a.determined_person_id) if a.determined_person_id else None,
            "basis": read["basis"],
        })
        stamps.append(a.updated_at or a.created_at)
    return Sourced({"assessments": out}, max(stamps))


assessments = statement_source(
    DataCategory.assessments, _ASSESSMENTS, lambda person: {"person_id": person.id, "agency_id": person.agency_id},
    _assessments, "assessments")


def register() -> None:
    register_category_source(DataCategory.assessments, assessments)
