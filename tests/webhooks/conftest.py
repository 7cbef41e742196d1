"""A real HTTP receiver on a free 127.0.0.1 port, served by uvicorn inside the test process; a guard that
records (and stops) connections outside loopback; the opt-in to deliver to loopback."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

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


@pytest.fixture
def allow_private(monkeypatch) -> None:
    """Deliveries to the loopback receiver: TANDEM_WEBHOOK_ALLOW_PRIVATE_URLS=true for this test only."""
    from app.core.config import get_settings

    monkeypatch.setattr(get_settings(), "webhook_allow_private_urls", True)


@dataclass
class Egress:
    """What the process tried on the network during a test."""

    connects: list[tuple] = field(default_factory=list)  # every TCP connect: (host, port, ...)
    outside: list[tuple] = field(default_factory=list)  # connects to anything but loopback (stopped)
    lookups: list[str] = field(default_factory=list)  # every name handed to the resolver


def _is_loopback(host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


@pytest.fixture
def egress_guard(monkeypatch) -> Iterator[Egress]:
    """A socket-level guard: records every connect and name lookup of the process; a connect to anything but
    loopback is stopped before the system call (and fails the test). It changes nothing of the code under
    test: the connects asyncio and asyncpg make go through socket.socket.connect, lookups through
    socket.getaddrinfo."""
    seen = Egress()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(sock: socket.socket, address: object) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
            seen.connects.append(address)
            if not _is_loopback(str(address[0])):
                seen.outside.append(address)
                raise ConnectionRefusedError("the test guard stops connections outside loopback")

    def connect(self: socket.socket, address: object) -> None:
        check(self, address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        check(self, address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
        seen.lookups.append(host.decode() if isinstance(host, bytes) else str(host))
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield seen
    assert seen.outside == [], f"connections outside loopback were attempted: {seen.outside}"


@pytest.fixture
def fake_dns(egress_guard, monkeypatch) -> dict[str, list[str]]:
    """A stand-in for the system resolver: names put in the returned dict answer with those addresses (the
    lookup is still recorded by the guard); nothing reaches a DNS server for them."""
    answers: dict[str, list[str]] = {}
    recorded = socket.getaddrinfo  # the guard's recorder

    def getaddrinfo(host: object, port: object = None, *args: object, **kwargs: object) -> list:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in answers:
            return recorded(host, port, *args, **kwargs)
        egress_guard.lookups.append(name)
        out = []
        for ip in answers[name]:
            family = socket.AF_INET6 if ":" in ip else socket.AF_INET
            addr = (ip, int(port or 0), 0, 0) if family == socket.AF_INET6 else (ip, int(port or 0))
            out.append((family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", addr))
        return out

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers
