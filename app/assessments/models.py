"""Assessments of a person: a danger or lethality screen, the CPS safety or risk assessment, or the
predominant-aggressor determination where both partners were accused. Only the instrument, when, by whom and
the result level are kept, never item-by-item answers. A named assessor and the basis of a determination are
sealed at rest."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from app.core.crypto import register_sealed
from app.core.db import UTCDateTime, Versioned, created_field, id_field


class Assessment(Versioned, table=True):
    __tablename__ = "assessments"
    __table_args__ = (
        sa.Index("ix_assessments_person_created", "person_id", "created_at"),
        sa.Index("ix_assessments_agency_instrument", "agency_id", "instrument"),
    )

    id: uuid.UUID = id_field()
    agency_id: uuid.UUID = Field(foreign_key="agencies.id")
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    person_id: uuid.UUID = Field(foreign_key="people.id")  # the person assessed (for a determination: filed under)
    instrument: str = Field(max_length=32)
    administered_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    result_level: str = Field(max_length=32)
    # predominant_aggressor only: the person determined to be the predominant aggressor (a person of the case)
    determined_person_id: uuid.UUID | None = Field(default=None, foreign_key="people.id")
    basis_enc: str | None = Field(default=None, sa_type=sa.Text)
    assessor_name_enc: str | None = Field(default=None, sa_type=sa.Text)
    recorded_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")  # the staff user who recorded it
    created_by: str | None = Field(default=None, max_length=300)
    created_at: datetime = created_field()
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def assessment_aad(assessment_id: object, field: str) -> bytes:
    """Binds a sealed value to its row and field."""
    return f"assessment:{assessment_id}:{field}".encode()


# field name in the aad -> column
ASSESSMENT_SEALED = {"basis": "basis_enc", "assessor_name": "assessor_name_enc"}

for _field, _column in ASSESSMENT_SEALED.items():
    register_sealed(Assessment, _column, lambda row, _f=_field: assessment_aad(row.id, _f))
