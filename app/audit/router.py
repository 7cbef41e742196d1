"""HTTP routes of the audit domain."""

from fastapi import APIRouter, Depends

from app.auth.dependencies import current_principal

router = APIRouter(prefix="/api/v1", tags=["audit"], dependencies=[Depends(current_principal)])
