"""OpenAPI document with links: create -> read -> transition, inferred from the routes' own schemas.

A POST that answers 201 with schema S links to every GET of a single `{param}` path answering S (the id
comes from the created body), and to every POST under that GET's path (its transitions and sub-creates).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

_PARAM = re.compile(r"\{([^}]+)\}$")


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
        "type": {"type": "string"},
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


def add_problem_responses(spec: dict[str, Any]) -> dict[str, Any]:
    """Document the errors the one error handler can answer on each operation, as problem+json."""
    spec.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, ops in spec.get("paths", {}).items():
        if path in _PUBLIC or path == "/readyz":
            continue
        for method, op in ops.items():
            codes = {401, 403, 404, 422, 503} if path != "/api/v1/auth/token" else {400, 422, 429, 503}
            if method in ("post", "put", "patch", "delete"):
                codes |= {409, 413} | ({412} if path != "/api/v1/auth/token" else set())
            if method == "put":
                codes |= {428}
            responses = op.setdefault("responses", {})
            for code in sorted(codes):
                responses[str(code)] = {"description": _DESCRIPTIONS[code],
                                        "content": {"application/problem+json": {"schema": ref}}}
    spec["components"]["schemas"].pop("HTTPValidationError", None)
    spec["components"]["schemas"].pop("ValidationError", None)
    return spec


def install_openapi(app: FastAPI) -> None:
    def custom_openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(title=app.title, version=app.version, description=app.description,
                               routes=app.routes)
            app.openapi_schema = add_problem_responses(add_links(spec))
        return app.openapi_schema

    app.openapi = custom_openapi  # type: ignore[method-assign]
