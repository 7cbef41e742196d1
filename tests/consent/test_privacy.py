"""No response (other than a release the rule allowed), error, log line, audit row, accounting row, webhook
event or idempotency record carries the survivor's address or phone number."""

from __future__ import annotations

import json
import logging
import re
import uuid

import sqlalchemy as sa

from app.consent.models import Consent, Disclosure, LegalMandate, NotificationTask
from app.core.db import sessionmaker
from app.core.logging import JsonFormatter
from app.core.models import IdempotencyRecord
from app.outbox.models import WebhookEvent
from app.trail.models import AuditEvent
from tests.consent.helpers import SECRETS, build_scene, consent_body


def _leaks(text: str) -> list[str]:
    """Secrets found in `text`. An all-digit secret (postal code, bare phone) counts only as a token of its own,
    so it is not "found" by chance inside a random hash or UUID of the shared test database."""
    found = []
    for secret in SECRETS:
        if secret.isdigit():
            if re.search(rf"(?<![0-9A-Za-z]){secret}(?![0-9A-Za-z])", text):
                found.append(secret)
        elif secret in text:
            found.append(secret)
    return found


async def _dump(model, *where) -> str:
    async with sessionmaker()() as s:
        rows = (await s.execute(sa.select(model.__table__).where(*where))).mappings().all()
    return json.dumps([dict(r) for r in rows], default=str)


async def test_no_address_or_phone_outside_an_allowed_release(client, world, caplog):
    caplog.set_level(logging.DEBUG)
    s = await build_scene(world)
    await s.agreement()
    sid = s.survivor["id"]
    outside: list[str] = []  # every response body that is not an allowed release of contact or location

    async def keep(r):
        outside.append(r.text)
        return r

    body = consent_body(sid, s.cps.id, categories=["identity", "contact", "location"])
    c = (await keep(await s.post("advocate", f"/api/v1/people/{sid}/consents", body,
                                 headers={"Idempotency-Key": "priv-1"}))).json()
    await keep(await s.post("advocate", f"/api/v1/people/{sid}/consents", {"grantor": {}}))
    await keep(await s.post("advocate", f"/api/v1/people/{sid}/consents", {**body, "expires_at": "soon"}))
    await keep(await s.get("advocate", f"/api/v1/people/{sid}/consents"))
    await keep(await s.get("advocate", f"/api/v1/consents/{c['id']}"))

    # An allowed release carries the data; the rest of the flow must not.
    released = await s.disclose(categories=["identity", "contact", "location"])
    assert released.status_code == 201 and _leaks(released.text)
    await keep(await s.disclose(categories=["identity", "court"]))
    await keep(await s.disclose(actor="third_worker", categories=["contact", "location"]))
    await keep(await s.post("cps_worker", "/api/v1/disclosures",
                            {"person_id": sid, "purpose": "curiosity", "categories": ["location"]}))
    await keep(await s.post("cps_worker", "/api/v1/disclosures",
                            {"person_id": str(uuid.uuid4()), "purpose": "referral", "categories": ["location"]}))

    m = await s.mandate(["location"], basis="subpoena")
    await keep(await s.post("dv_supervisor_2", f"/api/v1/legal-mandates/{m['id']}/court-order",
                            {"citation": "Order 1", "document_sha256": "e" * 64}))
    mandated = await s.disclose(categories=["location"], purpose="court_proceedings")
    assert mandated.status_code == 201
    await keep(await s.post("advocate", f"/api/v1/consents/{c['id']}/revoke",
                            {"reason": "Moved; call the new number only.", "method": "written"}))
    after = await keep(await s.disclose(categories=["contact"]))
    assert after.json()["withheld"] == [{"category": "contact", "reason": "consent_revoked"}]
    await keep(await s.get("advocate", f"/api/v1/people/{sid}/disclosures"))
    await keep(await s.get("advocate", f"/api/v1/people/{sid}/legal-mandates"))
    await keep(await s.get("advocate", "/api/v1/notification-tasks"))
    await keep(await s.get("cps_worker", f"/api/v1/people/{sid}/disclosures"))

    assert outside and not _leaks("\n".join(outside))
    formatter = JsonFormatter()
    logs = "\n".join(formatter.format(rec) for rec in caplog.records) + caplog.text
    assert "/api/v1/disclosures" in logs and not _leaks(logs)

    person = uuid.UUID(sid)
    stored = "\n".join([
        await _dump(AuditEvent),
        await _dump(Disclosure, Disclosure.person_id == person),
        await _dump(Consent, Consent.person_id == person),
        await _dump(LegalMandate, LegalMandate.person_id == person),
        await _dump(NotificationTask, NotificationTask.person_id == person),
        await _dump(WebhookEvent),
        await _dump(IdempotencyRecord),
    ])
    assert sid in stored and not _leaks(stored)
    assert "call the new number" not in stored
