"""HTTP routes of the advocates domain: assignments, the on-duty lookup, consultations."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from app.advocates import consultations, service
from app.advocates.dependencies import (
    AssignmentForUpdate,
    AssignmentVisible,
    ConsultationForUpdate,
    ConsultationVisible,
)
from app.advocates.models import AdvocateAssignment
from app.advocates.schemas import (
    AssignmentCreate,
    AssignmentRead,
    AssignmentStatus,
    ConsultationCreate,
    ConsultationRead,
    ConsultationRespond,
    ConsultationRoute,
    ConsultationStatus,
    ConsultationSummary,
    OnDutyRead,
)
from app.auth.dependencies import (
    RequiresAssignmentManage,
    RequiresAssignmentRead,
    RequiresConsultationAnswer,
    RequiresConsultationOpen,
    RequiresConsultationRead,
    RequiresConsultationRoute,
    RequiresOndutyRead,
    current_principal,
)
from app.core.db import SessionDep
from app.core.http import IdempotencyDep, tagged
from app.core.pagination import Page, PageParams, page_of
from app.core.types import Timestamp

router = APIRouter(prefix="/api/v1", tags=["advocates"], dependencies=[Depends(current_principal)])


class ConsultationBox(StrEnum):
    """Which consultations a list shows: all you may see, or only yours."""

    all = "all"
    mine = "mine"


Box = ConsultationBox  # the name the domain uses; ConsultationBox is its name in the OpenAPI document


# ------------------------------------------------------------------ assignments


@router.post("/advocate-assignments", status_code=status.HTTP_201_CREATED, response_model=AssignmentRead)
async def create_assignment(
    data: AssignmentCreate, session: SessionDep, idem: IdempotencyDep,
    principal: RequiresAssignmentManage,
) -> AdvocateAssignment:
    return await idem.create(principal.ref, lambda: service.create_assignment(session, principal, data),
                             lambda assignment_id: service.get_assignment(session, principal, assignment_id))


@router.get("/advocate-assignments", response_model=Page[AssignmentRead])
async def list_assignments(
    session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresAssignmentRead,
    office_id: uuid.UUID | None = None, advocate_id: uuid.UUID | None = None,
    status: AssignmentStatus | None = None,
) -> dict[str, Any]:
    items, cursor = await service.list_assignments(session, principal, page, office_id=office_id,
                                                   advocate_id=advocate_id, status=status)
    return page_of(items, cursor, AssignmentRead)


@router.get("/advocate-assignments/{assignment_id}", response_model=AssignmentRead)
async def get_assignment(principal: RequiresAssignmentRead, assignment: AssignmentVisible, response: Response) -> AssignmentRead:
    return tagged(response, assignment, AssignmentRead.model_validate(assignment))


@router.post("/advocate-assignments/{assignment_id}/end", response_model=AssignmentRead)
async def end_assignment(
    session: SessionDep, response: Response, principal: RequiresAssignmentManage, assignment: AssignmentForUpdate,
) -> AssignmentRead:
    assignment = await service.end_assignment(session, principal, assignment)
    return tagged(response, assignment, AssignmentRead.model_validate(assignment))


@router.get("/offices/{office_id}/on-duty", response_model=OnDutyRead)
async def on_duty(
    office_id: uuid.UUID, session: SessionDep, principal: RequiresOndutyRead,
    at: Timestamp | None = Query(None, description="RFC 3339 instant (default now)."),
) -> dict[str, Any]:
    return await service.get_on_duty(session, principal, office_id, at)


# ------------------------------------------------------------------ consultations


@router.post("/consultations", status_code=status.HTTP_201_CREATED, response_model=ConsultationRead)
async def open_consultation(
    data: ConsultationCreate, session: SessionDep, idem: IdempotencyDep,
    principal: RequiresConsultationOpen,
) -> dict[str, Any]:
    return await idem.create(principal.ref, lambda: consultations.open_consultation(session, principal, data),
                             lambda consultation_id: consultations.get_consultation(session, principal, consultation_id),
                             lambda made: consultations.detail(*made))


@router.get("/consultations", response_model=Page[ConsultationSummary])
async def list_consultations(
    session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresConsultationRead,
    status: ConsultationStatus | None = None, office_id: uuid.UUID | None = None,
    box: Box = Query(Box.all, description="mine: those you opened or that are routed to you."),
) -> dict[str, Any]:
    items, cursor = await consultations.list_consultations(session, principal, page, status=status,
                                                           office_id=office_id, mine=box is Box.mine)
    return {"items": items, "next_cursor": cursor}


@router.get("/consultations/{consultation_id}", response_model=ConsultationRead)
async def get_consultation(
    session: SessionDep, response: Response, principal: RequiresConsultationRead, consultation: ConsultationVisible,
) -> dict[str, Any]:
    c, ref = await consultations.read_consultation(session, principal, consultation)
    return tagged(response, c, consultations.detail(c, ref))


@router.post("/consultations/{consultation_id}/route", response_model=ConsultationRead)
async def route_consultation(
    data: ConsultationRoute, session: SessionDep, response: Response, principal: RequiresConsultationRoute,
    consultation: ConsultationForUpdate,
) -> dict[str, Any]:
    c = await consultations.route_to(session, principal, consultation, data)
    return tagged(response, c, await consultations.consultation_read(session, c))


@router.post("/consultations/{consultation_id}/accept", response_model=ConsultationRead)
async def accept_consultation(
    session: SessionDep, response: Response, principal: RequiresConsultationAnswer,
    consultation: ConsultationForUpdate,
) -> dict[str, Any]:
    c = await consultations.accept(session, principal, consultation)
    return tagged(response, c, await consultations.consultation_read(session, c))


@router.post("/consultations/{consultation_id}/respond", response_model=ConsultationRead)
async def respond_consultation(
    data: ConsultationRespond, session: SessionDep, response: Response, principal: RequiresConsultationAnswer,
    consultation: ConsultationForUpdate,
) -> dict[str, Any]:
    c = await consultations.respond(session, principal, consultation, data)
    return tagged(response, c, await consultations.consultation_read(session, c))


@router.post("/consultations/{consultation_id}/close", response_model=ConsultationRead)
async def close_consultation(
    session: SessionDep, response: Response, principal: RequiresConsultationRead,
    consultation: ConsultationForUpdate,
) -> dict[str, Any]:
    c = await consultations.close(session, principal, consultation)
    return tagged(response, c, await consultations.consultation_read(session, c))
