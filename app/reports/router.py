"""HTTP routes of the reports domain."""

from fastapi import APIRouter, Depends

from app.auth.dependencies import current_principal

router = APIRouter(prefix="/api/v1", tags=["reports"], dependencies=[Depends(current_principal)])
