"""Every APIRoute the app serves (included routers are nested in this FastAPI version)."""

from collections.abc import Iterator

from fastapi.routing import APIRoute


def api_routes(app) -> Iterator[APIRoute]:
    stack = list(app.routes)
    while stack:
        r = stack.pop(0)
        if isinstance(r, APIRoute):
            yield r
        elif hasattr(r, "original_router"):
            stack.extend(r.original_router.routes)
