"""The `assessments` category for the disclosure rule: the assessments the person's own agency holds, filed
under the person, newest first (result levels only; no item-by-item answers exist to release). The rule has
already decided; this only reads."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessments.models import Assessment
from app.assessments.service import assessment_read
from app.cases.models import Person
from app.consent.disclosures import Sourced, register_category_source
from app.core.sql import any_of
from app.core.vocab import DataCategory
from app.identity.models import User

# Built once; the person's record and agency (and the recorders' ids) are bound at each read.
_ASSESSMENTS = (sa.select(Assessment)
                .where(Assessment.person_id == sa.bindparam("person_id"),
                       Assessment.agency_id == sa.bindparam("agency_id"))
                .order_by(Assessment.administered_at.desc(), Assessment.id))
_RECORDERS = sa.select(User.id, User.full_name).where(any_of(User.id, "ids"))


async def assessments(session: AsyncSession, person: Person, payload: dict[str, Any]) -> Sourced | None:
    """{"assessments": [{id, instrument, administered_at, result_level, assessor, determined_person_id, basis},
    ...]}; `assessor` is the named assessor or else the name of the staff member who recorded it. None when
    none is on file."""
    rows = (await session.execute(_ASSESSMENTS, {"person_id": person.id, "agency_id": person.agency_id})
            ).scalars().all()
    if not rows:
        return None
    user_ids = {a.recorded_by for a in rows if a.recorded_by is not None}
    names: dict[Any, str] = {uid: name for uid, name in (await session.execute(
        _RECORDERS, {"ids": list(user_ids)})).tuples()} if user_ids else {}
    out = []
    for a in rows:
        read = assessment_read(a)
        out.append({
            "id": str(a.id), "instrument": a.instrument,
            "administered_at": a.administered_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "result_level": a.result_level,
            "assessor": read["assessor_name"] or (names.get(a.recorded_by) if a.recorded_by else None),
            "determined_person_id": str(a.determined_person_id) if a.determined_person_id else None,
            "basis": read["basis"],
        })
    return Sourced({"assessments": out}, max(a.updated_at or a.created_at for a in rows))


def register() -> None:
    register_category_source(DataCategory.assessments, assessments)
