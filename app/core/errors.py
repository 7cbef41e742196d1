"""One error hierarchy and one handler that renders RFC 9457 problem+json."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("tandem.errors")

PROBLEM = "application/problem+json"
TYPE_BASE = "https://tandem.example/problems/"

# Every problem `type` Tandem answers: TYPE_BASE + slug -> (status, when). docs/integrating.md lists them and
# tests/core/test_problem_types.py keeps the three (errors raised, this table, the guide) in step.
PROBLEM_TYPES: dict[str, tuple[int, str]] = {
    "invalid": (422, "The request did not pass validation: `errors` names each place (`loc`), never the value."),
    "unauthorized": (401, "No bearer token, or one that is invalid, expired or revoked."),
    "forbidden": (403, "You can see the object, but your role or agency may not do this."),
    "not-found": (404, "No such object, or not yours to see (the two are never told apart)."),
    "method-not-allowed": (405, "The path exists, the method does not."),
    "conflict": (409, "The object's state does not allow this (an illegal transition names `current_status` "
                      "and `allowed`), a safety gate is unmet, or a concurrent change won."),
    "precondition-failed": (412, "`If-Match` names another version: fetch the object again."),
    "precondition-required": (428, "A PUT that replaces what exists needs `If-Match` (the ETag of its GET)."),
    "payload-too-large": (413, "The body is over `TANDEM_MAX_BODY_BYTES`."),
    "too-many-requests": (429, "Slow down: `Retry-After` says when to try again (logins, audit verification)."),
    "internal": (500, "A bug: report the `X-Request-ID` of the response."),
    "unavailable": (503, "The database is unreachable: retry after `Retry-After` seconds."),
    "key-unavailable": (503, "The owning agency's data key cannot be used (its key-encryption key is unreachable, "
                             "e.g. its HSM is offline, or the key was destroyed): its sealed fields cannot be "
                             "read; nothing else is affected."),
    "oauth-invalid-request": (400, "Token endpoint: a parameter is missing, repeated or malformed."),
    "oauth-invalid-client": (401, "Token endpoint: client authentication failed."),
    "oauth-invalid-grant": (400, "Token endpoint: the username and password are not valid."),
    "oauth-unauthorized-client": (400, "Token endpoint: this client may not use this grant."),
    "oauth-unsupported-grant-type": (400, "Token endpoint: grant_type is neither password nor client_credentials."),
    "oauth-invalid-scope": (400, "Token endpoint: the scope is not valid."),
}
HTTP_SLUGS = {401: "unauthorized", 404: "not-found", 405: "method-not-allowed", 413: "payload-too-large",
              422: "invalid", 429: "too-many-requests"}


class AppError(Exception):
    status: int = 400
    title: str = "Bad request"
    slug: str = "bad-request"
    # True for a refusal that must stay on record (e.g. a refused disclosure, accounted for and audited):
    # the session dependency commits the request's writes before the error is answered, instead of rolling
    # them back. Raise such an error only after everything else the request wrote is meant to be kept.
    keep_writes: bool = False
    # The media type of the rendered error: problem+json, except where a standard fixes another (OAuth 2).
    media_type: str = PROBLEM

    def __init__(
        self,
        detail: str | None = None,
        *,
        title: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        if title:
            self.title = title
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra


class Unauthorized(AppError):
    status, title, slug = 401, "Not authenticated", "unauthorized"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail or "A valid bearer token is required.", **kw)


class Forbidden(AppError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(AppError):
    status, title, slug = 404, "Not found", "not-found"

    def __init__(self, what: str = "resource", **kw: Any) -> None:
        super().__init__(f"No {what} with that id is available to you.", **kw)


class Conflict(AppError):
    status, title, slug = 409, "Conflict", "conflict"


class PreconditionFailed(AppError):
    status, title, slug = 412, "Precondition failed", "precondition-failed"


class PreconditionRequired(AppError):
    status, title, slug = 428, "Precondition required", "precondition-required"


class KeyUnavailable(AppError):
    """A sealed value whose agency data key cannot be unwrapped (KEK unreachable or destroyed). Names no value."""

    status, title, slug = 503, "Data key unavailable", "key-unavailable"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        super().__init__(detail or "The data key of the agency that owns this data is unavailable; its sealed "
                         "fields cannot be read now.", headers={"Retry-After": "30"}, **kw)


class Invalid(AppError):
    status, title, slug = 422, "Invalid input", "invalid"

    def __init__(self, detail: str, *, loc: list[Any] | None = None, type: str = "value_error", **kw: Any):
        errors = kw.pop("errors", None) or [{"loc": loc or ["body"], "msg": detail, "type": type}]
        super().__init__(detail, errors=errors, **kw)


class TooManyRequests(AppError):
    status, title, slug = 429, "Too many requests", "too-many-requests"


OAUTH_ERRORS = {
    "invalid_request": (400, "Invalid token request"),
    "invalid_client": (401, "Client authentication failed"),
    "invalid_grant": (400, "Invalid credentials"),
    "unauthorized_client": (400, "Grant not allowed for this client"),
    "unsupported_grant_type": (400, "Unsupported grant type"),
    "invalid_scope": (400, "Invalid scope"),
}


class OAuthError(AppError):
    """An error of the token endpoint in RFC 6749 section 5.2 form: `application/json` with `error` and
    `error_description` (OAuth clients read these), beside the problem fields every other error carries. An
    `invalid_client` is a 401 with a `WWW-Authenticate: Basic` challenge."""

    media_type = "application/json"

    def __init__(self, error: str, description: str, **kw: Any) -> None:
        self.status, title = OAUTH_ERRORS[error]
        self.slug = "oauth-" + error.replace("_", "-")
        if error == "invalid_client":
            kw.setdefault("headers", {"WWW-Authenticate": 'Basic realm="tandem", charset="UTF-8"'})
        super().__init__(description, title=title, error=error, error_description=description, **kw)


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
    media_type: str = PROBLEM,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + (slug or str(status)),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=media_type)


def clean_validation_errors(errors: Any) -> list[dict[str, Any]]:
    """Keep loc, msg and type only: the offending input may be personal data and is never echoed."""
    out = []
    for e in errors:
        msg = str(e.get("msg", "invalid"))
        out.append({"loc": [str(p) if not isinstance(p, int) else p for p in e.get("loc", [])], "msg": msg,
                    "type": str(e.get("type", "value_error"))})
    return out


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, slug=exc.slug, errors=exc.errors,
                       headers=exc.headers, extra=exc.extra, media_type=exc.media_type)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = clean_validation_errors(exc.errors())
        return problem(422, "Invalid input", "The request did not pass validation; see errors.",
                       slug="invalid", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # the framework could not parse the body: that is invalid input
            return problem(422, "Invalid input", "The request body could not be parsed.", slug="invalid",
                           errors=[{"loc": ["body"], "msg": "could not be parsed", "type": "body_invalid"}])
        titles = {404: "Not found", 405: "Method not allowed", 401: "Not authenticated", 400: "Bad request"}
        detail = exc.detail if isinstance(exc.detail, str) else titles.get(exc.status_code, "Error")
        return problem(exc.status_code, titles.get(exc.status_code, "Error"), detail,
                       slug=HTTP_SLUGS.get(exc.status_code), headers=getattr(exc, "headers", None))

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> JSONResponse:
        return problem(409, "Conflict", "The resource was changed by another request; fetch it and retry.",
                       slug="conflict")

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity error", extra={"error_class": type(exc.orig).__name__})
        return problem(409, "Conflict", "The request conflicts with the current state of the data.",
                       slug="conflict")

    async def _db_down(request: Request, exc: Exception) -> JSONResponse:
        log.error("database unavailable", extra={"error_class": type(exc).__name__})
        return problem(503, "Service unavailable", "The database is unavailable; retry shortly.",
                       slug="unavailable", headers={"Retry-After": "5"})

    app.add_exception_handler(OperationalError, _db_down)
    app.add_exception_handler(PoolTimeout, _db_down)
    app.add_exception_handler(ConnectionError, _db_down)
    app.add_exception_handler(OSError, _db_down)

    @app.exception_handler(DBAPIError)
    async def _dbapi(request: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:
            return await _db_down(request, exc)
        log.error("database error", extra={"error_class": type(exc.orig).__name__})
        return problem(500, "Internal error", "An unexpected error occurred.", slug="internal")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"error_class": type(exc).__name__})
        return problem(500, "Internal error", "An unexpected error occurred.", slug="internal")
