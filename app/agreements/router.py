"""HTTP routes of the agreements domain."""

from fastapi import APIRouter, Depends

from app.auth.dependencies import current_principal

router = APIRouter(prefix="/api/v1", tags=["agreements"], dependencies=[Depends(current_principal)])
