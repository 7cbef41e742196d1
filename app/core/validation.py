"""Request checks every route shares, applied app-wide as a dependency so no domain can forget them."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from app.core.errors import Invalid

NUL = "\x00"
MAX_REPORTED = 20
Loc = list[str | int]


def nul_locations(value: Any, loc: Loc) -> list[Loc]:
    """Where in a parsed JSON value a string, key or value, contains U+0000. A key is reported as "[key]" under
    its object: the key itself is never echoed."""
    found: list[Loc] = []
    stack: list[tuple[Any, Loc]] = [(value, loc)]
    while stack and len(found) < MAX_REPORTED:
        item, at = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                found.append(at)
        elif isinstance(item, dict):
            children: list[tuple[Any, Loc]] = []
            for k, v in item.items():
                if NUL in k:
                    found.append([*at, "[key]"])
                else:
                    children.append((v, [*at, k]))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(reversed([(v, [*at, i]) for i, v in enumerate(item)]))
    return found


def _pairs_with_nul(pairs: list[tuple[str, Any]], where: str) -> list[Loc]:
    found: list[Loc] = []
    for key, value in pairs:
        if NUL in key:
            found.append([where, "[key]"])
        elif isinstance(value, str) and NUL in value:
            found.append([where, key])
    return found


async def _body_nul_locations(request: Request) -> list[Loc]:
    """NUL characters in a JSON or form body, which the route has already read and parsed (both are cached on
    the request): a JSON body is parsed again only when its raw bytes hold an escaped NUL. A body that does not
    parse is the route's own 422 to give."""
    content_type = request.headers.get("content-type", "").lower()
    try:
        if "json" in content_type:
            body = await request.body()
            return nul_locations(await request.json(), ["body"]) if b"\\u0000" in body else []
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            return _pairs_with_nul([(k, v) for k, v in form.multi_items() if not isinstance(v, UploadFile)], "body")
    except Exception:  # malformed: the route refuses it with its own 422
        return []
    return []


async def refuse_nul(request: Request) -> None:
    """U+0000 in any path or query parameter, or any string of a JSON or form body (keys included), is a 422
    naming where it was. PostgreSQL cannot store the character, and no field of this API needs it."""
    found: list[Loc] = [["path", k] for k, v in request.path_params.items() if isinstance(v, str) and NUL in v]
    query = request.scope.get("query_string") or b""
    if b"%00" in query or b"\x00" in query:
        found += _pairs_with_nul(request.query_params.multi_items(), "query")
    if request.method in ("POST", "PUT", "PATCH"):
        found += await _body_nul_locations(request)
    if found:
        raise Invalid("The request did not pass validation; see errors.", errors=[
            {"loc": loc, "msg": "must not contain the NUL character (U+0000)", "type": "string_contains_nul"}
            for loc in found[:MAX_REPORTED]])
