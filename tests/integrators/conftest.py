"""The app served by uvicorn on a free 127.0.0.1 port, for clients that need a real socket (requests-based
clients, generated clients). It runs on the suite's event loop, like every test; a blocking client is called
from a worker thread (`asyncio.to_thread`), so the server keeps serving."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
import uvicorn


@pytest.fixture(scope="session")
async def live_url(app) -> AsyncIterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_config=None, access_log=False,
                                           log_level="warning"))
    sock.listen(128)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    yield url
    server.should_exit = True
    await task


@pytest.fixture
def insecure_transport(monkeypatch) -> None:
    """OAuth client libraries refuse plain http unless told: the live server is loopback-only, without TLS."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
