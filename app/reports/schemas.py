"""Shapes of the aggregate reports (documentation and validation of what leaves the service)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class CellRead(BaseModel):
    value: int | float | None = Field(description="null when suppressed")
    suppressed: bool


class RowRead(BaseModel):
    group: str
    cells: dict[str, CellRead]


class TableRead(BaseModel):
    columns: list[str]
    rows: list[RowRead]
    total: RowRead | None
    notes: list[str]


class _Report(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    report: str
    period: str = Field(description="The calendar period reported (UTC): YYYY, YYYY-Qn or YYYY-MM.",
                        examples=["2025-Q2"])
    from_: datetime = Field(alias="from", description="Start of the period (inclusive, UTC).")
    to: datetime = Field(description="End of the period (exclusive, UTC).")
    as_of: datetime = Field(description="Counts are as recorded by this moment: the end of the period's year "
                                        "(overdue referrals are counted at it).")
    threshold: int = Field(description="Counts under this are suppressed.")


class CaseloadRead(_Report):
    group_by: str
    columns: list[str]
    rows: list[RowRead]
    total: RowRead
    notes: list[str]


class CollaborationRead(_Report):
    notes: list[str]
    referrals: TableRead
    referrals_by_race_ethnicity: TableRead
    consultations_by_office: TableRead
    checklists_by_juncture: TableRead
    family_side_by_race_ethnicity: TableRead = Field(description="The family's side: portal access, consents "
                                                     "revoked by the person herself, goals met, parent-partner "
                                                     "invitations and feedback, by race/ethnicity")


class ServicesOnDayOneRead(_Report):
    notes: list[str]
    by_race_ethnicity: TableRead
    by_office: TableRead


class DvMeasuresRead(_Report):
    notes: list[str]
    by_race_ethnicity: TableRead
    protective_orders_by_juncture: TableRead
