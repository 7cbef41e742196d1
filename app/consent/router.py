"""HTTP routes of the consent domain."""

from fastapi import APIRouter, Depends

from app.auth.dependencies import current_principal

router = APIRouter(prefix="/api/v1", tags=["consent"], dependencies=[Depends(current_principal)])
