"""HTTP routes of the audit domain: the own agency's trail, and verification of its hash chain."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from app.audit import service
from app.audit.schemas import AuditEventRead, ChainVerification
from app.auth.dependencies import RequiresAuditRead, current_principal
from app.auth.principal import Principal
from app.core.db import SessionDep, end_reads
from app.core.pagination import Page, PageParams, page_of
from app.core.types import Timestamp

router = APIRouter(prefix="/api/v1", tags=["audit"], dependencies=[Depends(current_principal)])


@router.get("/audit-events", response_model=Page[AuditEventRead])
async def list_audit_events(
    session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresAuditRead,
    actor_id: Annotated[str | None, Query(max_length=80)] = None,
    object_type: Annotated[str | None, Query(max_length=40)] = None,
    object_id: Annotated[str | None, Query(max_length=80)] = None,
    action: Annotated[str | None, Query(max_length=80)] = None,
    from_: Annotated[Timestamp | None, Query(alias="from", description="Events at or after this time.")] = None,
    to: Annotated[Timestamp | None, Query(description="Events before this time.")] = None,
) -> dict[str, Any]:
    filters = service.AuditFilters(actor_id=actor_id, object_type=object_type, object_id=object_id,
                                   action=action, from_=from_, to=to)
    items, cursor = await service.list_events(session, principal, page, filters)
    return page_of(items, cursor, AuditEventRead)


_TOO_MANY: dict[int | str, dict[str, Any]] = {429: {"description": "Verified moments ago, or another verification is running (see Retry-After)",
                   "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}


async def _verifier(
    principal: RequiresAuditRead, session: SessionDep,
) -> Principal:
    """The caller of a verification, with the token check's read transaction ended: the verification reads
    in short transactions of its own, and an open one would hold SQLite's database lock (every other
    request's) while it runs."""
    await end_reads(session)
    return principal


@router.get("/audit-events/verify", response_model=ChainVerification, response_model_exclude_none=True,
            responses=_TOO_MANY)
async def verify_audit_chain(principal: Annotated[Principal, Depends(_verifier)]) -> dict[str, Any]:
    """Whether the caller's own agency's hash chain is intact (verified from its last checkpoint; `tandem
    audit verify --full` starts over), with its count of events and newest hash."""
    return await service.verify_for(principal)
