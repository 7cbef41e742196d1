"""HTTP routes of the referrals domain."""

from fastapi import APIRouter, Depends

from app.auth.dependencies import current_principal

router = APIRouter(prefix="/api/v1", tags=["referrals"], dependencies=[Depends(current_principal)])
