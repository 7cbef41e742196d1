"""HTTP routes of the advocates domain."""

from fastapi import APIRouter, Depends

from app.auth.dependencies import current_principal

router = APIRouter(prefix="/api/v1", tags=["advocates"], dependencies=[Depends(current_principal)])
