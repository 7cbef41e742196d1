"""HTTP routes of the cases domain."""

from fastapi import APIRouter, Depends

from app.auth.dependencies import current_principal

router = APIRouter(prefix="/api/v1", tags=["cases"], dependencies=[Depends(current_principal)])
