"""The OAuth 2 token endpoint's HTTP edge (RFC 6749): client authentication by HTTP Basic
(`client_secret_basic`) or in the form (`client_secret_post`), the form itself, and errors in the RFC's form.

Every refusal of the token endpoint, bad input included, is an `OAuthError` (400 `invalid_request`, 401
`invalid_client`, ...): OAuth clients (authlib, requests-oauthlib) read `error`, not a problem's `type`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import unquote_plus

from fastapi import Depends, Form, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security import HTTPBasic
from pydantic import BaseModel, ConfigDict, Field

from app.core.errors import Invalid, OAuthError, clean_validation_errors


class TokenRequest(BaseModel):
    """The form of `POST /auth/token`. Which fields a grant needs is checked by the grant (400
    `invalid_request` when one is missing), so every field is optional here."""

    model_config = ConfigDict(extra="ignore", title="TokenRequest")

    grant_type: str | None = Field(default=None, max_length=40,
                                   description="`password` (staff) or `client_credentials` (agency systems)")
    username: str | None = Field(default=None, max_length=320, description="password grant: the email")
    password: str | None = Field(default=None, max_length=1024, description="password grant")
    client_id: str | None = Field(default=None, max_length=64,
                                  description="client_credentials with `client_secret_post`")
    client_secret: str | None = Field(default=None, max_length=1024,
                                      description="client_credentials with `client_secret_post`")
    scope: str | None = Field(default=None, max_length=1024, description="accepted and ignored")


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str
    method: str  # "client_secret_basic" | "client_secret_post"


class _BasicClient(HTTPBasic):
    """HTTP Basic client authentication (RFC 6749 section 2.3.1): `client_id:client_secret`, each
    form-urlencoded, base64. Documented as the `clientBasic` security scheme; a bearer or no header is None."""

    async def __call__(self, request: Request) -> ClientCredentials | None:  # type: ignore[override]
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_client", "The Basic credentials could not be decoded.")
        client_id, sep, secret = decoded.partition(":")
        if not sep or not client_id:
            raise OAuthError("invalid_client", "The Basic credentials must be client_id:client_secret.")
        return ClientCredentials(unquote_plus(client_id), unquote_plus(secret), "client_secret_basic")


basic_client = _BasicClient(scheme_name="clientBasic", auto_error=False,
                            description="OAuth client authentication (`client_secret_basic`) at the token endpoint")


def client_credentials(form: TokenRequest, basic: ClientCredentials | None) -> ClientCredentials | None:
    """The client's credentials from exactly one method; both at once is `invalid_request` (RFC 6749 2.3)."""
    posted = form.client_id is not None or form.client_secret is not None
    if basic is not None and posted:
        raise OAuthError("invalid_request", "Authenticate the client with one method only: HTTP Basic or the form.")
    if basic is not None:
        return basic
    if form.client_id and form.client_secret:
        return ClientCredentials(form.client_id, form.client_secret, "client_secret_post")
    return None


TokenForm = Annotated[TokenRequest, Form()]
BasicClient = Annotated[ClientCredentials | None, Depends(basic_client)]


class OAuthRoute(APIRoute):
    """A route answering bad input as RFC 6749 `invalid_request` (400) instead of a 422 problem; the
    validation details (`errors`: where, never the value) are kept."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def oauth_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                raise OAuthError("invalid_request", "The token request did not pass validation; see errors.",
                                 errors=clean_validation_errors(exc.errors()))
            except Invalid as exc:
                raise OAuthError("invalid_request", exc.detail, errors=exc.errors)

        return oauth_handler
