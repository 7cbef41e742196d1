"""An unexpected error is a bare 500 problem, and its log line carries the request id the response carried,
so an operator can find the one from the other."""

import json
import logging

import httpx
import pytest

from app.core.logging import JsonFormatter

PROBLEM = "application/problem+json"


@pytest.fixture
def failing_app():
    """A fresh app with one test-only route that fails the way a bug would."""
    from app.main import create_app

    app = create_app()

    @app.get("/test-only/boom")
    async def boom() -> None:
        raise RuntimeError("survivor lives at 12 Hidden Lane")

    return app


async def _get(app, **headers: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)  # nothing escapes to the server once the 500 is sent
    async with httpx.AsyncClient(transport=transport, base_url="http://tandem.test") as c:
        return await c.get("/test-only/boom", headers=headers)


def _unhandled(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "tandem.errors" and r.levelno >= logging.ERROR]


@pytest.mark.parametrize("given", [None, "trace-500-abc"])
async def test_a_500_log_line_carries_the_request_id_of_the_response(failing_app, caplog, given):
    caplog.set_level(logging.INFO)
    r = await _get(failing_app, **({"X-Request-ID": given} if given else {}))
    assert r.status_code == 500 and r.headers["content-type"].startswith(PROBLEM)
    rid = r.headers.get("x-request-id")
    assert rid and (given is None or rid == given)
    records = _unhandled(caplog)
    assert len(records) == 1
    assert records[0].request_id == rid
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["request_id"] == rid and line["error_class"] == "RuntimeError"
    # and the access log line of the same request says 500 under the same id
    access = [r for r in caplog.records if r.name == "tandem.access"]
    assert [(a.status, a.request_id) for a in access] == [(500, rid)]


async def test_a_500_body_carries_no_exception_text(failing_app, caplog):
    r = await _get(failing_app)
    assert r.json() == {"type": "https://tandem.example/problems/internal", "title": "Internal error",
                        "status": 500, "detail": "An unexpected error occurred."}
    assert "Hidden Lane" not in r.text and "RuntimeError" not in r.text
    text = "\n".join(JsonFormatter().format(rec) for rec in caplog.records)
    assert "Hidden Lane" not in text


async def test_under_a_real_server_every_error_line_of_a_500_names_its_request_id(failing_app, caplog):
    """Served by uvicorn over a socket: the server logs nothing of its own about the failure (which would
    carry no request id), and every error line carries the id the response carried."""
    import asyncio
    import socket

    import uvicorn

    caplog.set_level(logging.INFO)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    server = uvicorn.Server(uvicorn.Config(failing_app, lifespan="off", log_config=None, access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}") as c:
            r = await c.get("/test-only/boom")
    finally:
        server.should_exit = True
        await task
    assert r.status_code == 500
    rid = r.headers["x-request-id"]
    errors = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    assert errors and all(rec.request_id == rid for rec in errors), [(e.name, e.getMessage()) for e in errors]
