"""Loader dependencies of protective orders: the order a route names, found through the caller's visibility
(404 otherwise); the ForUpdate variant also applies If-Match (412)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import Caller
from app.core.db import SessionDep
from app.core.http import for_update
from app.protective_orders import service
from app.protective_orders.models import ProtectiveOrder


async def visible_order(order_id: uuid.UUID, session: SessionDep, principal: Caller) -> ProtectiveOrder:
    return await service.get_order(session, principal, order_id)


OrderVisible = Annotated[ProtectiveOrder, Depends(visible_order)]
OrderForUpdate = Annotated[ProtectiveOrder, Depends(for_update(visible_order))]
