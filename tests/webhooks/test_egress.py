"""Webhooks never reach internal addresses: refused at registration (422) in every spelling, and again at
send time after the name is resolved, before any connection is opened; the connection goes to the address
that was checked; delivery records keep a coarse error class that says nothing about the receiver's ports.

Only loopback is ever contacted (the egress_guard stops and reports anything else); public names are never
resolved (names under special-use domains are refused without a lookup)."""

from __future__ import annotations

import asyncio
import socket
import uuid
from datetime import UTC, datetime

import pytest

from app.webhooks import delivery as worker
from app.webhooks import egress
from tests.webhooks.test_delivery import deliveries, emit_one

INTERNAL_URLS = [
    "http://localhost/in",
    "http://LOCALHOST./in",
    "http://api.localhost:8080/in",
    "http://printer.local/in",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://router.home.arpa/",
    "http://127.0.0.1/in",
    "http://127.0.0.1.:8000/in",
    "http://127.1/in",
    "http://2130706433/in",
    "http://0x7f.1/in",
    "http://0x7f000001/in",
    "http://017700000001/in",
    "http://0/in",
    "http://0.0.0.0:9000/in",
    "http://10.0.0.5:8080/in",
    "http://172.16.0.1/in",
    "http://192.168.1.1/in",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/in",
    "http://198.18.0.1/in",
    "http://255.255.255.255/in",
    "http://224.0.0.1/in",
    "http://[::1]/in",
    "http://[::]/in",
    "http://[::ffff:127.0.0.1]/in",
    "http://[::ffff:a00:5]/in",
    "http://[fc00::1]/in",
    "http://[fd12:3456::1]/in",
    "http://[fe80::1]/in",
    "http://[fe80::1%25eth0]/in",
    "http://[ff02::1]/in",
    "http://[64:ff9b::a00:5]/in",  # NAT64 of 10.0.0.5
    "http://[2002:7f00:1::]/in",  # 6to4 of 127.0.0.1
    "http://1.2.3.999/in",  # ends in a number but is no address
    "http://cms.0x10/in",
    "https://user:secret@cms.agency.example/in",  # userinfo
    "https://cms.agency.example@127.0.0.1/in",
    "gopher://cms.agency.example/in",
    "file:///etc/passwd",
]


async def test_registration_refuses_internal_addresses_in_every_spelling(world):
    a = await world.agency("dv")
    admin = await world.user(a, "agency_admin")
    for url in INTERNAL_URLS:
        r = await world.post(admin, "/api/v1/webhooks", {"url": url, "events": ["referral.*"]})
        assert r.status_code == 422, (url, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        [err] = r.json()["errors"]
        assert err["loc"] == ["body", "url"]
        assert "secret" not in r.text and url not in r.text  # the input is not echoed
    assert (await world.get(admin, "/api/v1/webhooks")).json()["items"] == []

    # Public addresses and names are accepted (nothing is resolved or contacted at registration).
    for url in ("https://cms.agency.example/tandem", "https://203.0.114.7:8443/in", "http://[2606:4700::1]/in",
                "https://hooks.example.org./in"):
        r = await world.post(admin, "/api/v1/webhooks", {"url": url, "events": ["referral.*"]})
        assert r.status_code == 201, (url, r.text)


async def test_send_time_refuses_internal_addresses_after_resolving_without_connecting(
    world, receiver, clock, egress_guard, fake_dns,
):
    """Endpoints stored before registration checked addresses, or whose name has since come to resolve
    inward, point at a live receiver on loopback; none of them gets a connection, each delivery records
    address_not_allowed."""
    clock.set(datetime.now(UTC))  # a retry's backoff keeps it out of this pass
    a = await world.agency("cps")
    admin = await world.user(a, "agency_admin")
    port = int(receiver.base.rsplit(":", 1)[1])
    tag = uuid.uuid4().hex
    fake_dns["inward.agency-receiver.org"] = ["127.0.0.1"]
    fake_dns["mixed.agency-receiver.org"] = ["::ffff:7f00:1", "127.0.0.1"]
    urls = {
        "literal": f"http://127.0.0.1:{port}/{tag}/literal",
        "decimal": f"http://2130706433:{port}/{tag}/decimal",
        "hex": f"http://0x7f.1:{port}/{tag}/hex",
        "mapped": f"http://[::ffff:127.0.0.1]:{port}/{tag}/mapped",
        "v6": f"http://[::1]:{port}/{tag}/v6",
        "localhost": f"http://localhost:{port}/{tag}/localhost",
        "special": f"https://receiver.agency.example/{tag}/special",
        "resolved": f"http://inward.agency-receiver.org:{port}/{tag}/resolved",
        "resolved-mapped": f"http://mixed.agency-receiver.org:{port}/{tag}/resolved-mapped",
        "userinfo": f"http://tandem:secret@127.0.0.1:{port}/{tag}/userinfo",
    }
    hooks = {k: await world.webhook(a, "consent.*", url=u) for k, u in urls.items()}
    await emit_one("consent.revoked", a.id, {"consent_id": str(uuid.uuid4())})

    await worker.run_until_idle()
    assert [r for r in receiver.requests if r.path.startswith(f"/{tag}/")] == []
    for kind, hook in hooks.items():
        [d] = await deliveries(world, admin, hook.id)
        assert (kind, d["last_error"], d["last_status_code"]) == (kind, "address_not_allowed", None)
        assert d["status"] == "pending" and d["attempts"] == 1
    assert [c for c in egress_guard.connects if c[1] == port] == []  # not a single connection was opened
    # Names were refused after resolving them; special-use names without a lookup at all.
    assert {"inward.agency-receiver.org", "mixed.agency-receiver.org"} <= set(egress_guard.lookups)
    assert not {"localhost", "receiver.agency.example"} & set(egress_guard.lookups)


async def test_a_name_is_refused_when_any_of_its_addresses_is_internal(fake_dns):
    """The transport's own check, resolution only (nothing connects here): one public answer does not vouch
    for an internal one; literals in any spelling are refused without a lookup."""
    fake_dns["split.agency-receiver.org"] = ["203.0.114.7", "10.1.2.3"]
    fake_dns["public.agency-receiver.org"] = ["203.0.114.7", "2606:4700::1"]
    for host in ("split.agency-receiver.org", "2130706433", "0x7f.1", "::ffff:a01:203", "64:ff9b::a01:203",
                 "1.2.3.999", "hooks.example", "localhost"):
        with pytest.raises(egress.AddressNotAllowed):
            await egress.resolve(host, 443, allow_private=False)
    assert [str(ip) for ip in await egress.resolve("public.agency-receiver.org", 443, allow_private=False)] == [
        "203.0.114.7", "2606:4700::1"]


async def test_the_connection_goes_to_the_address_that_was_checked(world, receiver, allow_private, egress_guard,
                                                                   monkeypatch):
    """A name is resolved once; the connection is opened to that vetted address (so a second answer of the
    resolver, as in DNS rebinding, cannot redirect it) and Host still names the endpoint."""
    a = await world.agency("dv")
    admin = await world.user(a, "agency_admin")
    port = int(receiver.base.rsplit(":", 1)[1])
    answers = iter(["127.0.0.1"])  # the first answer is the receiver; any later one, 127.0.0.2, is not
    real = socket.getaddrinfo  # (the guard's recorder)

    def resolver(host, *args, **kwargs):
        if host == "rebind.test":
            ip = next(answers, "127.0.0.2")
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    path = f"/pin/{uuid.uuid4().hex}"
    r = await world.post(admin, "/api/v1/webhooks", {"url": f"http://rebind.test:{port}{path}",
                                                      "events": ["referral.*"]})
    assert r.status_code == 201, r.text
    await emit_one("referral.sent", a.id, {"referral_id": str(uuid.uuid4())})
    await worker.run_until_idle()
    [req] = receiver.at(path)
    assert req.headers["host"] == f"rebind.test:{port}"
    [d] = await deliveries(world, admin, r.json()["id"])
    assert d["status"] == "delivered"
    assert ("127.0.0.1", port) in egress_guard.connects and ("127.0.0.2", port) not in egress_guard.connects


async def test_allow_private_lets_a_loopback_name_through(world, receiver, allow_private, egress_guard):
    a = await world.agency("dv")
    admin = await world.user(a, "agency_admin")
    port = int(receiver.base.rsplit(":", 1)[1])
    path = f"/local/{uuid.uuid4().hex}"
    r = await world.post(admin, "/api/v1/webhooks", {"url": f"http://localhost:{port}{path}",
                                                      "events": ["referral.*"]})
    assert r.status_code == 201, r.text
    await emit_one("referral.sent", a.id, {"referral_id": str(uuid.uuid4())})
    await worker.run_until_idle()
    assert len(receiver.at(path)) == 1
    assert receiver.at(path)[0].headers["host"] == f"localhost:{port}"


async def test_failures_record_a_coarse_class_that_does_not_tell_ports_apart(world, receiver, allow_private,
                                                                             egress_guard):
    """A closed port and a port whose listener hangs up without speaking HTTP look the same."""
    a = await world.agency("cps")
    admin = await world.user(a, "agency_admin")

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()  # nothing listens here now

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    open_port = server.sockets[0].getsockname()[1]
    path = f"/status/{uuid.uuid4().hex}"
    receiver.plans[path] = [503] * 50  # every attempt: a retry whose jittered backoff is ~0 may run in this pass
    try:
        hooks = {}
        for kind, url in (("closed", f"http://127.0.0.1:{closed_port}/in"),
                          ("open", f"http://127.0.0.1:{open_port}/in"), ("status", receiver.url(path))):
            r = await world.post(admin, "/api/v1/webhooks", {"url": url, "events": ["agreement.*"]})
            assert r.status_code == 201, r.text
            hooks[kind] = r.json()["id"]
        await emit_one("agreement.signed", a.id, {"agreement_id": str(uuid.uuid4())})
        await worker.run_until_idle()
    finally:
        server.close()
        await server.wait_closed()
    errors = {kind: (await deliveries(world, admin, hid))[0]["last_error"] for kind, hid in hooks.items()}
    assert errors == {"closed": "connection_failed", "open": "connection_failed", "status": "http_503"}

