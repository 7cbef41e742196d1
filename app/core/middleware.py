"""ASGI middleware: request id, body limits, access log and metrics."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import get_settings
from app.core.context import request_id_var
from app.core.errors import HTTP_SLUGS, TYPE_BASE
from app.core.metrics import metrics

log = logging.getLogger("tandem.access")
_RID = re.compile(r"^[A-Za-z0-9._:-]{1,80}$")
API_PREFIX = "/api/v1"


def _json_too_deep(body: bytes, limit: int) -> bool:
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    in_str = esc = False
    for ch in body:
        if in_str:
            if esc:
                esc = False
            elif ch == 0x5C:
                esc = True
            elif ch == 0x22:
                in_str = False
        elif ch == 0x22:
            in_str = True
        elif ch in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif ch in (0x5D, 0x7D):
            depth -= 1
    return False


async def _send_problem(send: Send, status: int, title: str, detail: str) -> None:
    body = json.dumps({"type": TYPE_BASE + HTTP_SLUGS[status], "title": title, "status": status,
                       "detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _is_api(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def response_headers(headers: list[tuple[bytes, bytes]], rid: str, api: bool) -> list[tuple[bytes, bytes]]:
    """The headers every response gets: its request id, no content sniffing, and for an API answer (per
    principal, often personal data) no storing in any cache. The JWKS and the health routes stay cacheable."""
    replaced = {b"x-content-type-options"} | ({b"cache-control", b"pragma"} if api else set())
    out = [(k, v) for k, v in headers if k.lower() not in replaced]
    out += [(b"x-request-id", rid.encode()), (b"x-content-type-options", b"nosniff")]
    if api:
        out += [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
    return out


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = get_settings()
        headers = dict(scope.get("headers") or [])
        rid = headers.get(b"x-request-id", b"").decode("latin-1")
        if not _RID.match(rid):
            rid = uuid.uuid4().hex
        token = request_id_var.set(rid)
        start = time.perf_counter()
        status_holder: dict[str, Any] = {"status": 500, "complete": False}
        api = _is_api(scope.get("path", ""))

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message["headers"] = response_headers(list(message.get("headers") or []), rid, api)
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                status_holder["complete"] = True
            await send(message)

        try:
            if scope["method"] in ("POST", "PUT", "PATCH"):
                declared = headers.get(b"content-length")
                if declared is not None and declared.isdigit() and int(declared) > settings.max_body_bytes:
                    status_holder["status"] = 413
                    await _send_problem(send_wrapper, 413, "Payload too large",
                                        f"Request bodies are limited to {settings.max_body_bytes} bytes.")
                    return
                chunks: list[bytes] = []
                size = 0
                more = True
                while more:
                    msg = await receive()
                    if msg["type"] == "http.disconnect":
                        return
                    chunk = msg.get("body", b"")
                    size += len(chunk)
                    if size > settings.max_body_bytes:
                        status_holder["status"] = 413
                        await _send_problem(send_wrapper, 413, "Payload too large",
                                            f"Request bodies are limited to {settings.max_body_bytes} bytes.")
                        return
                    chunks.append(chunk)
                    more = msg.get("more_body", False)
                body = b"".join(chunks)
                if b"json" in headers.get(b"content-type", b"") and _json_too_deep(body, settings.max_json_depth):
                    status_holder["status"] = 422
                    await _send_problem(send_wrapper, 422, "Invalid input",
                                        f"JSON nesting is limited to {settings.max_json_depth} levels.")
                    return
                sent = False

                async def replay() -> Message:
                    nonlocal sent
                    if not sent:
                        sent = True
                        return {"type": "http.request", "body": body, "more_body": False}
                    return await receive()

                await self.app(scope, replay, send_wrapper)
            else:
                await self.app(scope, receive, send_wrapper)
        except Exception:
            # The error handler has logged it (under this request id) and answered 500; re-raising would only
            # make the server log it a second time, outside any request. A response it could not finish
            # still propagates, so the server drops the connection.
            if not status_holder["complete"]:
                raise
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            metrics.observe(scope["method"], template, status_holder["status"], elapsed)
            log.info("request", extra={"method": scope["method"], "route": template,
                                       "status": status_holder["status"], "ms": round(elapsed * 1000, 2)})
            request_id_var.reset(token)
