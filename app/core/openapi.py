"""OpenAPI document with links: create -> read -> transition, inferred from the routes' own schemas.

A POST that answers 201 with schema S links to every GET of a single `{param}` path answering S (the id
comes from the created body), and to every POST under that GET's path (its transitions and sub-creates).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from app.core.errors import PROBLEM_TYPES, TYPE_BASE

_PARAM = re.compile(r"\{([^}]+)\}$")
OPERATION_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") else word


def operation_id(route: APIRoute) -> str:
    """A stable `domain.action` operation id for every route (the app's `generate_unique_id_function`, so a
    router added later gets ids without edits): the domain is the route's first tag, the action its endpoint's
    name without the domain's own word (`list_referrals` tagged `referrals` is `referrals.list`,
    `read_people` is `referrals.read_people`). A route may still set `operation_id=` itself.
    `tests/core/test_openapi_contract.py` checks that every id is unique and of this form."""
    tag = str(route.tags[0]) if route.tags else "service"
    domain = re.sub(r"[^a-z0-9]+", "_", tag.lower()).strip("_")
    action = route.name.lower()
    for word in (domain, _singular(domain)):  # whole words only: `list_protective_orders` -> `list`
        action = re.sub(rf"(^|_){re.escape(word)}(?=_|$)", "", action)
    action = re.sub(r"_+", "_", action).strip("_") or route.name.lower()
    return f"{domain}.{action}"


def _schema_ref(op: dict[str, Any], status: str) -> str | None:
    content = op.get("responses", {}).get(status, {}).get("content", {})
    ref = content.get("application/json", {}).get("schema", {}).get("$ref")
    return ref if isinstance(ref, str) else None


def add_links(spec: dict[str, Any]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = spec.get("paths", {})
    readers: dict[str, list[tuple[str, str, str]]] = {}  # schema ref -> [(path, param, operationId)]
    for path, ops in paths.items():
        get = ops.get("get")
        m = _PARAM.search(path)
        if get and m and path.count("{") == 1:
            ref = _schema_ref(get, "200")
            if ref:
                readers.setdefault(ref, []).append((path, m.group(1), get["operationId"]))
    for ops in paths.values():
        post = ops.get("post")
        if not post:
            continue
        ref = _schema_ref(post, "201")
        if not ref or ref not in readers:
            continue
        links: dict[str, Any] = {}
        for read_path, param, op_id in readers[ref]:
            links[f"Get{op_id}"] = {"operationId": op_id, "parameters": {param: "$response.body#/id"}}
            prefix = read_path + "/"
            for other, other_ops in paths.items():
                nxt = other_ops.get("post")
                if nxt and other.startswith(prefix) and other.count("{") == 1:
                    links[f"Then{nxt['operationId']}"] = {"operationId": nxt["operationId"],
                                                         "parameters": {param: "$response.body#/id"}}
        post["responses"]["201"]["links"] = links
    return spec


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "What went wrong, one of: " + ", ".join(
            f"`{TYPE_BASE}{slug}` ({status})" for slug, (status, _) in PROBLEM_TYPES.items())
            + ". docs/integrating.md says what each means."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
            "msg": {"type": "string"}, "type": {"type": "string"}}}},
    },
    "additionalProperties": True,
}
_DESCRIPTIONS = {
    400: "Bad request", 401: "Missing or invalid bearer token", 403: "Your role may not do this",
    404: "Not found, or not yours to see", 409: "Conflicts with the current state",
    412: "If-Match does not match", 428: "If-Match is required to replace what exists", 413: "Body too large", 422: "Invalid input",
    429: "Too many requests", 503: "Database unavailable; retry",
}
_PUBLIC = {"/healthz", "/metrics", "/.well-known/jwks.json"}
TOKEN_PATH = "/api/v1/auth/token"


def add_problem_responses(spec: dict[str, Any]) -> dict[str, Any]:
    """Document the errors the one error handler can answer on each operation, as problem+json."""
    spec.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, ops in spec.get("paths", {}).items():
        if path in _PUBLIC or path == "/readyz":
            continue
        for method, op in ops.items():
            if path == TOKEN_PATH:  # 400 and 401 are OAuth errors (document_token_errors)
                codes = {413, 422, 429, 503}
            else:
                codes = {401, 403, 404, 422, 503}
                if method in ("post", "put", "patch", "delete"):
                    codes |= {409, 412, 413}
                if method == "put":
                    codes |= {428}
            responses = op.setdefault("responses", {})
            for code in sorted(codes):
                responses[str(code)] = {"description": _DESCRIPTIONS[code],
                                        "content": {"application/problem+json": {"schema": ref}}}
    spec["components"]["schemas"].pop("HTTPValidationError", None)
    spec["components"]["schemas"].pop("ValidationError", None)
    return spec


def name_schemas_by_title(spec: dict[str, Any]) -> dict[str, Any]:
    """A component named otherwise than its title (a generic such as `Page_CaseRead_`, titled `CasePage`) is
    renamed to its title, and every reference follows; a clash of titles is an error, never a silent
    module-path name."""
    schemas: dict[str, Any] = spec.get("components", {}).get("schemas", {})
    renames = {k: v["title"] for k, v in schemas.items()
               if isinstance(v.get("title"), str) and v["title"] != k and re.fullmatch(r"[A-Z][A-Za-z0-9]*", v["title"])}
    taken = set(schemas) - set(renames)
    for new in renames.values():
        if new in taken:
            raise RuntimeError(f"two schemas are titled {new!r}: give one a distinct name")
        taken.add(new)
    if not renames:
        return spec
    spec["components"]["schemas"] = {renames.get(k, k): v for k, v in schemas.items()}
    old_refs = {f"#/components/schemas/{o}": f"#/components/schemas/{n}" for o, n in renames.items()}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref in old_refs:
                node["$ref"] = old_refs[ref]
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    return spec


OAUTH_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "OAuthError",
    "description": "A token endpoint error (RFC 6749 section 5.2), with the problem fields beside it.",
    "required": ["error", "error_description"],
    "properties": {
        "error": {"type": "string", "enum": ["invalid_request", "invalid_client", "invalid_grant",
                                             "unauthorized_client", "unsupported_grant_type", "invalid_scope"]},
        "error_description": {"type": "string"},
        **PROBLEM_SCHEMA["properties"],
    },
    "additionalProperties": True,
}


def document_token_errors(spec: dict[str, Any]) -> dict[str, Any]:
    """The token endpoint answers its refusals in RFC 6749 form, as `application/json`."""
    op = spec.get("paths", {}).get(TOKEN_PATH, {}).get("post")
    if op is None:
        return spec
    spec["components"]["schemas"]["OAuthError"] = OAUTH_ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/OAuthError"}
    op["responses"]["400"] = {"description": "invalid_request, invalid_grant or unsupported_grant_type",
                              "content": {"application/json": {"schema": ref}}}
    op["responses"]["401"] = {"description": "invalid_client (with `WWW-Authenticate: Basic`)",
                              "content": {"application/json": {"schema": ref}}}
    return spec


Extension = Callable[[dict[str, Any]], None]


def install_openapi(app: FastAPI, extensions: Sequence[Extension] = ()) -> None:
    """The document: FastAPI's, with links, problem responses, schemas named by their titles, the token
    endpoint's OAuth errors, and what higher layers add (`extensions`, e.g. the webhook catalogue)."""

    def custom_openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(title=app.title, version=app.version, description=app.description,
                               routes=app.routes)
            spec = document_token_errors(add_problem_responses(add_links(spec)))
            for extend in extensions:
                extend(spec)
            app.openapi_schema = name_schemas_by_title(spec)
        return app.openapi_schema

    app.openapi = custom_openapi  # type: ignore[method-assign]
