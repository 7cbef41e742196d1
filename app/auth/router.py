"""Token endpoint, the caller's own identity, and the published signing keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from pydantic import BaseModel

from app.auth import service
from app.auth.dependencies import Caller
from app.auth.service import TokenGrant
from app.auth.tokens import jwks
from app.core.db import SessionDep


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Me(BaseModel):
    id: str
    email: str | None = None
    client_id: str | None = None
    agency_id: str | None
    agency_kind: str | None
    roles: list[str]


router = APIRouter(prefix="/api/v1", tags=["auth"])
public = APIRouter(tags=["auth"])


@router.post("/auth/token", response_model=TokenResponse, responses={400: {}, 422: {}, 429: {}})
async def token(
    session: SessionDep,
    grant_type: Annotated[str, Form(max_length=40)],
    username: Annotated[str | None, Form(max_length=320)] = None,
    password: Annotated[str | None, Form(max_length=1024)] = None,
    client_id: Annotated[str | None, Form(max_length=64)] = None,
    client_secret: Annotated[str | None, Form(max_length=1024)] = None,
) -> TokenGrant:
    """OAuth2 token endpoint: `password` for staff, `client_credentials` for agency systems."""
    # A refused attempt was counted in a transaction of its own, before the check.
    return await service.grant(session, grant_type, username=username, password=password, client_id=client_id,
                               client_secret=client_secret)


@router.get("/me", response_model=Me)
async def me(principal: Caller) -> Me:
    return Me(
        id=str(principal.id), email=principal.email, client_id=principal.client_id,
        agency_id=str(principal.agency_id) if principal.agency_id else None,
        agency_kind=principal.agency_kind.value if principal.agency_kind else None,
        roles=sorted(r.value for r in principal.roles),
    )


@public.get("/.well-known/jwks.json")
async def jwks_endpoint() -> dict[str, Any]:
    return jwks()
