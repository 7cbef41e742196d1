"""HTTP routes of protective orders."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status

from app.auth.dependencies import RequiresRecordRead, RequiresRecordWrite, current_principal
from app.core.db import SessionDep
from app.core.http import IdempotencyDep, tagged
from app.core.pagination import Page, PageParams, page_of
from app.protective_orders import service
from app.protective_orders.dependencies import OrderForUpdate, OrderVisible
from app.protective_orders.schemas import OrderCreate, OrderRead, OrderSummary, OrderUpdate

router = APIRouter(prefix="/api/v1", tags=["protective orders"], dependencies=[Depends(current_principal)])


@router.post("/people/{person_id}/protective-orders", status_code=status.HTTP_201_CREATED, response_model=OrderRead)
async def create_order(
    person_id: uuid.UUID, data: OrderCreate, session: SessionDep, idem: IdempotencyDep,
    principal: RequiresRecordWrite,
) -> dict[str, Any]:
    return await idem.create(principal.ref, lambda: service.create_order(session, principal, person_id, data),
                             lambda order_id: service.get_order(session, principal, order_id), service.order_read)


@router.get("/people/{person_id}/protective-orders", response_model=Page[OrderSummary])
async def list_orders(
    person_id: uuid.UUID, session: SessionDep, page: Annotated[PageParams, Depends()],
    principal: RequiresRecordRead,
) -> dict[str, Any]:
    items, cursor = await service.list_orders(session, principal, person_id, page)
    return page_of(items, cursor, OrderSummary)


@router.get("/protective-orders/{order_id}", response_model=OrderRead)
async def get_order(session: SessionDep, response: Response, principal: RequiresRecordRead, order: OrderVisible) -> dict[str, Any]:
    return tagged(response, order, await service.read_order(session, principal, order))


@router.patch("/protective-orders/{order_id}", response_model=OrderRead)
async def update_order(
    data: OrderUpdate, session: SessionDep, response: Response, principal: RequiresRecordWrite,
    order: OrderForUpdate,
) -> dict[str, Any]:
    return tagged(response, order, await service.update_order(session, principal, order, data))
