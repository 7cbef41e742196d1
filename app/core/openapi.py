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
    return content.get("application/json", {}).get("schema", {}).get("$ref")


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
        ref = _schema_ref(post, "201") if post else None
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


def install_openapi(app: FastAPI) -> None:
    def custom_openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(title=app.title, version=app.version, description=app.description,
                               routes=app.routes)
            app.openapi_schema = add_links(spec)
        return app.openapi_schema

    app.openapi = custom_openapi  # type: ignore[method-assign]
