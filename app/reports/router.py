"""HTTP routes of the reports domain: parse, call one service function, answer in JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.dependencies import current_principal, require
from app.auth.permissions import P
from app.auth.principal import Principal
from app.core.db import get_session
from app.core.types import Timestamp
from app.reports.caseload import GroupBy, dv_caseload
from app.reports.collaboration import collaboration
from app.reports.schemas import CaseloadRead, CollaborationRead
from app.reports.tables import to_csv

router = APIRouter(prefix="/api/v1", tags=["reports"], dependencies=[Depends(current_principal)])
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
Reader = Annotated[Principal, Depends(require(P.report_read))]
From = Query(None, alias="from", description="Start of the window (inclusive); default 365 days before `to`.")
To = Query(None, description="End of the window (exclusive); default now.")
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}},
          "description": "JSON, or CSV (one row per group) when the request accepts text/csv."}
}


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


@router.get("/reports/dv-caseload", response_model=CaseloadRead, responses=CSV_RESPONSE)
async def get_dv_caseload(
    request: Request, session: Session, principal: Reader, group_by: GroupBy,
    from_: Timestamp | None = From, to: Timestamp | None = To,
) -> Any:
    header, table = await dv_caseload(session, principal, group_by, from_, to)
    if wants_csv(request):
        return csv_response(to_csv([(None, table)]), f"dv-caseload-{group_by.value}")
    return {**header, **table.as_dict()}


@router.get("/reports/collaboration", response_model=CollaborationRead, responses=CSV_RESPONSE)
async def get_collaboration(
    request: Request, session: Session, principal: Reader,
    from_: Timestamp | None = From, to: Timestamp | None = To,
) -> Any:
    header, tables = await collaboration(session, principal, from_, to)
    if wants_csv(request):
        return csv_response(to_csv(list(tables.items())), "collaboration")
    return {**header, **{name: t.as_dict() for name, t in tables.items()}}
