"""HTTP routes of the checklists domain."""

from fastapi import APIRouter, Depends

from app.auth.dependencies import current_principal

router = APIRouter(prefix="/api/v1", tags=["checklists"], dependencies=[Depends(current_principal)])
