"""Logs are JSON lines with request ids and route templates, and never carry personal data."""

import json
import logging
import re

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


def _documented_fields() -> set[str]:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "operating.md").read_text()
    section = doc.split("## Logs", 1)[1].split("\n## ", 1)[0]
    return {f for row in section.splitlines() if row.startswith("| `")
            for f in re.findall(r"`([a-z_]+)`", row.split("|")[1])}


def test_every_json_log_field_is_documented():
    """The fields every line has (the formatter's own) and every `extra=` field the app logs are in the table
    of docs/operating.md: an operator can rely on what a field means."""
    import ast
    from pathlib import Path

    used = set(json.loads(JsonFormatter().format(logging.LogRecord("t", logging.INFO, "", 1, "m", None, None))))
    used |= {"error_class", "frames"}  # what the formatter adds for a record with an exception
    for path in (Path(__file__).resolve().parents[2] / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "extra" and isinstance(node.value, ast.Dict):
                used |= {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
    assert "request_id" in used and "route" in used and "delivery_id" in used
    assert used - _documented_fields() == set()
