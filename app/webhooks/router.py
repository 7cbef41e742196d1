"""HTTP routes of the webhooks domain."""

from fastapi import APIRouter, Depends

from app.auth.dependencies import current_principal

router = APIRouter(prefix="/api/v1", tags=["webhooks"], dependencies=[Depends(current_principal)])
