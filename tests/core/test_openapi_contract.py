"""The OpenAPI document is clean for client generators: stable `domain.action` operation ids (derived for
every route, so a router added later gets one), unique meaningful schema names, the constraints the server
enforces, and every webhook event in the 3.1 `webhooks` object."""

from __future__ import annotations

import re
import uuid
from collections import Counter

from fastapi import APIRouter

from app.core.openapi import OPERATION_ID, operation_id
from app.outbox.events import EVENTS


def _operations(spec):
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            yield f"{method.upper()} {path}", op
    for name, ops in spec.get("webhooks", {}).items():
        for method, op in ops.items():
            yield f"webhook {name} {method}", op


def test_every_operation_id_is_unique_and_domain_dot_action(app):
    ids = {where: op.get("operationId") for where, op in _operations(app.openapi())}
    bad = {where: i for where, i in ids.items() if not i or not OPERATION_ID.match(i)}
    assert bad == {}
    assert [i for i, n in Counter(ids.values()).items() if n > 1] == []
    assert ids["GET /api/v1/referrals"] == "referrals.list"
    assert ids["POST /api/v1/referrals/{referral_id}/accept"] == "referrals.accept"
    assert ids["GET /api/v1/me"] == "auth.me"


def test_a_router_added_later_gets_ids_without_edits():
    from app.main import Tandem

    router = APIRouter(prefix="/api/v1", tags=["protective-orders"])

    @router.get("/protective-orders")
    async def list_protective_orders() -> list[str]:
        return []

    @router.post("/protective-orders/{order_id}/serve")
    async def serve_order(order_id: uuid.UUID) -> dict[str, str]:
        return {}

    app = Tandem(generate_unique_id_function=operation_id)
    app.include_router(router)
    ids = sorted(op["operationId"] for _, op in _operations(app.openapi()))
    assert ids == ["protective_orders.list", "protective_orders.serve_order"]


def test_schema_names_are_unique_and_meaningful(app):
    schemas = app.openapi()["components"]["schemas"]
    assert [n for n in schemas if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", n)] == []  # no app__x__Box, Page_X_
    titles = Counter(s.get("title", n) for n, s in schemas.items())
    assert [t for t, n in titles.items() if n > 1] == []  # a shared title makes generators drop operations
    assert {"ReferralBox", "ConsultationBox", "ReferralUrgency", "ConsultationUrgency", "TokenRequest",
            "ReferralSummaryPage"} <= set(schemas)


def test_name_clash_is_an_error_not_a_module_path():
    import pytest

    from app.core.openapi import name_schemas_by_title

    spec = {"components": {"schemas": {"Page_A_": {"title": "APage"}, "APage": {"title": "APage"}}}}
    with pytest.raises(RuntimeError):
        name_schemas_by_title(spec)


def test_the_document_states_what_the_server_enforces(app):
    spec = app.openapi()
    schemas = spec["components"]["schemas"]
    cursor = next(p for p in spec["paths"]["/api/v1/referrals"]["get"]["parameters"] if p["name"] == "cursor")
    assert cursor["schema"]["anyOf"][0]["pattern"] == "^[A-Za-z0-9_-]+$"
    reference = schemas["CaseUpdate"]["properties"]["reference"]
    assert reference["type"] == "string" and "anyOf" not in reference and "default" not in reference
    assert "anyOf" not in schemas["PersonUpdate"]["properties"]["full_name"]
    assert schemas["CaseCreate"]["properties"]["dv_indicators"]["uniqueItems"] is True
    assert schemas["ReferralCreate"]["properties"]["person_ids"]["uniqueItems"] is True
    assert schemas["AgreementCreate"]["properties"]["categories"]["uniqueItems"] is True
    office = schemas["CaseUpdate"]["properties"]["office_id"]  # null is meaningful there: detach the office
    assert {"type": "null"} in office["anyOf"]


async def test_null_for_a_not_null_patch_field_is_422_and_changes_nothing(world):
    agency = await world.agency("cps")
    admin = await world.user(agency, "agency_admin")
    worker = await world.user(agency, "cps_worker")
    for body in ({"full_name": None}, {"roles": None}, {"password": None}):
        r = await world.patch(admin, f"/api/v1/users/{worker.id}", body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["errors"][0]["loc"] == ["body", next(iter(body))]
    assert (await world.get(admin, f"/api/v1/users/{worker.id}")).json()["full_name"] == worker.user.full_name


def test_every_webhook_event_is_documented(app):
    spec = app.openapi()
    assert set(spec["webhooks"]) == set(EVENTS)
    for event_type, ev in EVENTS.items():
        op = spec["webhooks"][event_type]["post"]
        headers = {p["name"] for p in op["parameters"] if p["in"] == "header"}
        assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature"}
        name = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        payload = spec["components"]["schemas"][name]
        assert payload["properties"]["type"]["const"] == event_type
        assert set(payload["properties"]["data"]["properties"]) == set(ev.fields)
        assert "HMAC-SHA256" in next(p for p in op["parameters"] if p["name"] == "webhook-signature")["description"]


def test_emit_refuses_an_event_or_field_outside_the_catalogue():
    import asyncio

    import pytest

    from app.outbox.events import emit

    with pytest.raises(ValueError):
        asyncio.run(emit(None, "referral.exploded", [], {"referral_id": str(uuid.uuid4())}))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        asyncio.run(emit(None, "referral.created", [], {"person_id": str(uuid.uuid4())}))  # type: ignore[arg-type]


def test_token_errors_are_documented_as_oauth_errors(app):
    op = app.openapi()["paths"]["/api/v1/auth/token"]["post"]
    for code in ("400", "401"):
        assert op["responses"][code]["content"]["application/json"]["schema"]["$ref"].endswith("/OAuthError")
