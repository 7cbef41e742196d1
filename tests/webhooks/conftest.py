"""A real HTTP receiver on a free 127.0.0.1 port, served by uvicorn inside the test process."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import uvicorn


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """Records every request; answers with the status codes planned for a path (then 200)."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.plans: dict[str, list[int]] = {}
        self.base = ""
        self.arrived = asyncio.Event()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            msg = await receive()
            body += msg.get("body", b"")
            more = msg.get("more_body", False)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.requests.append(Received(scope["path"], headers, body))
        self.arrived.set()
        plan = self.plans.get(scope["path"])
        status = plan.pop(0) if plan else 200
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"receiver says: not for the sender's logs"})

    def url(self, path: str) -> str:
        return self.base + path

    def at(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]


@pytest.fixture(scope="session")
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    rec.base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(rec, lifespan="off", log_config=None, access_log=False,
                                           log_level="warning"))
    sock.listen(128)  # connections queue from now on, before the server's first accept
    task = asyncio.create_task(server.serve(sockets=[sock]))
    yield rec
    server.should_exit = True
    await task
