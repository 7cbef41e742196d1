"""HTTP routes of the reports domain: parse, call one service function, answer in JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from app.auth.dependencies import RequiresReportRead, current_principal
from app.core.db import SessionDep
from app.reports.caseload import GroupBy, dv_caseload
from app.reports.collaboration import collaboration
from app.reports.day_one import services_on_day_one
from app.reports.dv_measures import dv_measures
from app.reports.periods import FORMAT, Period, parse_period, refuse_window
from app.reports.schemas import CaseloadRead, CollaborationRead, DvMeasuresRead, ServicesOnDayOneRead
from app.reports.tables import to_csv

router = APIRouter(prefix="/api/v1", tags=["reports"], dependencies=[Depends(current_principal)])
PeriodParam = Query(
    None, description=f"The period reported: {FORMAT}. Default: the last calendar year that has ended.",
    examples=["2025", "2025-Q2", "2025-03"])
# A free window is no longer taken: named only to refuse it with a clear 422.
From = Query(None, alias="from", include_in_schema=False)
To = Query(None, include_in_schema=False)
PERIODS = (
    "Reports cover calendar periods in UTC only (`period=YYYY`, `YYYY-Qn` or `YYYY-MM`); a free window "
    "(`from`, `to`) is refused with 422, as is a malformed period. A period is reported once the calendar "
    "year that holds it has ended (409 before that): every answer about a year is read from one table of the "
    "whole year (months, quarters, the year; rows and total), suppressed once, so that no combination of "
    "answers about that year gives back a count under the threshold; a year still running would change as "
    "data arrives. Counts are as recorded by the end of the year (`as_of`)."
)
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}},
          "description": "JSON, or CSV (one row per group) when the request accepts text/csv."},
    409: {"description": "The period's year has not ended yet (problem+json)."},
}


async def asked_period(
    period: str | None = PeriodParam, from_: str | None = From, to: str | None = To,
) -> Period | None:
    """The period asked for (None: the default one); a free window is refused."""
    refuse_window(**{"from": from_, "to": to})
    return parse_period(period) if period is not None else None


AskedPeriod = Annotated[Period | None, Depends(asked_period)]


def _q(params: list[str]) -> float:
    for p in params:
        name, _, value = p.partition("=")
        if name.strip() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def wants_csv(request: Request) -> bool:
    """CSV when the Accept header prefers text/csv to JSON (by q, then by order); JSON otherwise."""
    best: tuple[float, int, str] | None = None
    for i, part in enumerate(request.headers.get("accept", "").split(",")):
        media, *params = (p.strip().lower() for p in part.split(";"))
        if media not in ("text/csv", "application/json"):
            continue
        rank = (_q(params), -i, media)
        if rank[0] > 0 and (best is None or rank > best):
            best = rank
    return best is not None and best[2] == "text/csv"


def csv_response(body: str, name: str) -> Response:
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@router.get("/reports/dv-caseload", response_model=CaseloadRead, responses=CSV_RESPONSE, description=PERIODS)
async def get_dv_caseload(
    request: Request, session: SessionDep, principal: RequiresReportRead, group_by: GroupBy, period: AskedPeriod,
) -> dict[str, Any] | Response:
    header, table = await dv_caseload(session, principal, group_by, period)
    if wants_csv(request):
        return csv_response(to_csv([(None, table)]), f"dv-caseload-{group_by.value}")
    return {**header, **table.as_dict()}


@router.get("/reports/collaboration", response_model=CollaborationRead, responses=CSV_RESPONSE,
            description=PERIODS)
async def get_collaboration(
    request: Request, session: SessionDep, principal: RequiresReportRead, period: AskedPeriod,
) -> dict[str, Any] | Response:
    header, tables = await collaboration(session, principal, period)
    if wants_csv(request):
        return csv_response(to_csv(list(tables.items())), "collaboration")
    return {**header, **{name: t.as_dict() for name, t in tables.items()}}


@router.get("/reports/services-on-day-one", response_model=ServicesOnDayOneRead, responses=CSV_RESPONSE,
            description="How soon families get a service going: days from a case's opening, and from a removal, "
                        "to the first service started; median and share within 2 days, by race/ethnicity and by "
                        "office. " + PERIODS)
async def get_services_on_day_one(
    request: Request, session: SessionDep, principal: RequiresReportRead, period: AskedPeriod,
) -> dict[str, Any] | Response:
    header, tables = await services_on_day_one(session, principal, period)
    if wants_csv(request):
        return csv_response(to_csv(list(tables.items())), "services-on-day-one")
    return {**header, **{name: t.as_dict() for name, t in tables.items()}}


@router.get("/reports/dv-measures", response_model=DvMeasuresRead, responses=CSV_RESPONSE,
            description="DV at the junctures of the agency's cases: removals, and those where domestic violence "
                        "was the only safety factor; failure-to-protect findings against survivors; junctures at "
                        "which a protective order was in force. By race/ethnicity, and protective orders by "
                        "juncture. " + PERIODS)
async def get_dv_measures(
    request: Request, session: SessionDep, principal: RequiresReportRead, period: AskedPeriod,
) -> dict[str, Any] | Response:
    header, tables = await dv_measures(session, principal, period)
    if wants_csv(request):
        return csv_response(to_csv(list(tables.items())), "dv-measures")
    return {**header, **{name: t.as_dict() for name, t in tables.items()}}
