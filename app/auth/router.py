"""Token endpoint, the caller's own identity, and the published signing keys."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.auth import service
from app.auth.dependencies import Caller
from app.auth.oauth import BasicClient, OAuthRoute, TokenForm
from app.auth.service import Identity, TokenGrant
from app.auth.tokens import jwks
from app.core.db import SessionDep


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Me(BaseModel):
    """The caller: a staff user (`email`, `name`: the full name), an agency system (`client_id`, `name`: the
    system's name) or an external provider's user (`email` when the provider sends one), with the agency's
    name and kind."""

    id: str
    kind: str = Field(description="user | client | external")
    email: str | None = None
    client_id: str | None = None
    name: str | None = None
    agency_id: str | None
    agency_name: str | None = None
    agency_kind: str | None
    roles: list[str]


router = APIRouter(prefix="/api/v1", tags=["auth"])
token_router = APIRouter(prefix="/api/v1", tags=["auth"], route_class=OAuthRoute)
public = APIRouter(tags=["auth"])


@token_router.post("/auth/token", response_model=TokenResponse)
async def token(session: SessionDep, form: TokenForm, basic: BasicClient) -> TokenGrant:
    """OAuth 2 token endpoint (RFC 6749): `password` for staff, `client_credentials` for agency systems, the
    client authenticated by HTTP Basic (`client_secret_basic`) or in the form (`client_secret_post`). Errors
    are RFC 6749 `{"error", "error_description"}` (401 with `WWW-Authenticate` for `invalid_client`)."""
    # A refused attempt was counted in a transaction of its own, before the check.
    return await service.grant(session, form, basic)


@router.get("/me", response_model=Me)
async def me(session: SessionDep, principal: Caller) -> Identity:
    """Who you are: your name, your agency's name and kind, and your roles."""
    return await service.whoami(session, principal)


@public.get("/.well-known/jwks.json", operation_id="auth.jwks")
async def jwks_endpoint() -> dict[str, Any]:
    return jwks()
