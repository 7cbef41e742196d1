"""Logs are JSON lines with request ids and route templates, and never carry personal data."""

import json
import logging

from app.core.logging import JsonFormatter


async def test_request_logs_carry_no_personal_data(world, caplog):
    admin = await world.admin()
    caplog.set_level(logging.DEBUG)
    secret_name = "Zelda Quintessa Marlowe"
    r = await world.post(admin, "/api/v1/users", {"email": "zelda.marlowe@private.example", "full_name": secret_name,
                                                   "roles": ["cps_worker"], "password": "x"})
    assert r.status_code == 422
    r = await world.post(admin, "/api/v1/users", {"email": "zelda.marlowe@private.example",
                                                   "full_name": secret_name, "roles": ["platform_admin"],
                                                   "password": "a long enough password"})
    assert r.status_code == 201
    formatter = JsonFormatter()
    lines = [formatter.format(rec) for rec in caplog.records]
    assert any('"route": "/api/v1/users"' in ln for ln in lines)
    text = "\n".join(lines) + caplog.text
    assert secret_name not in text and "zelda.marlowe" not in text
    for ln in lines:
        json.loads(ln)


def test_exception_logs_keep_frames_but_not_messages():
    try:
        raise ValueError("address: 12 Hidden Lane")
    except ValueError:
        import sys

        rec = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    out = json.loads(JsonFormatter().format(rec))
    assert out["error_class"] == "ValueError" and out["frames"]
    assert "Hidden Lane" not in json.dumps(out)
