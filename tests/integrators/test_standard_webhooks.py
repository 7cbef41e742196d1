"""Webhooks as a Standard Webhooks receiver sees them: real deliveries from the worker to a receiver on
127.0.0.1 verify with the `standardwebhooks` package, through the very function docs/integrating.md gives,
and a tampered body or a wrong secret does not."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from app.core.errors import PROBLEM_TYPES, TYPE_BASE
from app.outbox.events import EVENTS
from app.webhooks import delivery as worker
from tests.referrals.scene import build_scene
from tests.webhooks.conftest import allow_private, receiver  # noqa: F401  (the loopback receiver)

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "integrating.md"


def _guide_receive():
    """The `receive` function of the guide's verification example, run as written."""
    block = re.search(r"```python verify\n(.*?)```", GUIDE.read_text(), re.S)
    assert block, "docs/integrating.md lost its verification example"
    namespace: dict = {}
    exec(compile(block.group(1), str(GUIDE), "exec"), namespace)
    return namespace["receive"]


async def test_deliveries_verify_with_standardwebhooks(world, receiver, allow_private):  # noqa: F811
    s = await build_scene(world)
    r = await world.post(s["dv_admin"], "/api/v1/webhooks", {"url": receiver.url("/std-hooks"),
                                                             "events": ["referral.*"]})
    assert r.status_code == 201, r.text
    secret = r.json()["secret"]
    ref = await s.referral("acknowledged")
    await worker.run_until_idle()
    got = receiver.at("/std-hooks")
    assert [json.loads(g.body)["type"] for g in got] == ["referral.sent", "referral.acknowledged"]

    receive = _guide_receive()
    for req in got:
        event = Webhook(secret).verify(req.body, req.headers)
        assert event["data"]["referral_id"] == ref["id"]
        assert receive(secret, req.body, req.headers) == event
        assert receive(secret, req.body.replace(b"referral", b"Referral"), req.headers) is None
        with pytest.raises(WebhookVerificationError):
            Webhook("whsec_" + "A" * 43 + "=").verify(req.body, req.headers)


def test_the_guide_documents_every_problem_type_and_event():
    text = GUIDE.read_text()
    assert [s for s in PROBLEM_TYPES if f"`{TYPE_BASE}{s}`" not in text] == []
    assert [e for e in EVENTS if f"| `{e}` |" not in text] == []
