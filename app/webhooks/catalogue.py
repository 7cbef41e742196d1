"""The webhook events as the OpenAPI 3.1 `webhooks` object: one entry per event type of the catalogue
(app/outbox/events.py), with its payload schema, the Standard Webhooks headers and how to check the
signature. app/main.py hands `document_webhooks` to the OpenAPI document."""

from __future__ import annotations

from typing import Any

from app.outbox.events import EVENTS

SIGNATURE = (
    "Standard Webhooks signature: `v1,` + base64 HMAC-SHA256, keyed with the base64 part of the endpoint's "
    "`whsec_` secret, of `{webhook-id}.{webhook-timestamp}.{raw body}`. Several space-separated signatures may "
    "appear (key rotation); accept the delivery when one matches, and refuse a timestamp more than 5 minutes "
    "off. `standardwebhooks.Webhook(secret).verify(body, headers)` does all of it."
)
HEADERS = [
    {"name": "webhook-id", "in": "header", "required": True, "schema": {"type": "string", "format": "uuid"},
     "description": "The event id: the same on every retry of the event. Deduplicate on it."},
    {"name": "webhook-timestamp", "in": "header", "required": True, "schema": {"type": "string",
                                                                                "pattern": "^[0-9]+$"},
     "description": "Unix seconds when this attempt was signed."},
    {"name": "webhook-signature", "in": "header", "required": True,
     "schema": {"type": "string", "pattern": "^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$"},
     "description": SIGNATURE},
]


def _field_schema(name: str) -> dict[str, Any]:
    if name.endswith("_id"):
        return {"type": "string", "format": "uuid"}
    if name == "at" or name.endswith("_at"):
        return {"type": "string", "format": "date-time"}
    return {"type": "string", "pattern": "^[a-z_]{1,40}$", "description": "the object's new status"}


def _schema_name(event_type: str) -> str:
    return "".join(part.capitalize() for part in event_type.replace("_", ".").split(".")) + "Event"


def document_webhooks(spec: dict[str, Any]) -> None:
    """Add `webhooks` (one POST per event type) and an `<Type>Event` payload schema per event."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    hooks: dict[str, Any] = {}
    for event_type, ev in EVENTS.items():
        name = _schema_name(event_type)
        schemas[name] = {
            "type": "object", "title": name,
            "description": f"`{event_type}`: {ev.description} Ids, times and status codes only, never personal "
                           "data: read the objects through the API with your own token.",
            "required": ["type", "timestamp", "data"],
            "properties": {
                "type": {"type": "string", "const": event_type},
                "timestamp": {"type": "string", "format": "date-time", "description": "when it happened"},
                "data": {"type": "object", "title": f"{name}Data",
                         "required": [ev.subject],
                         "properties": {f: _field_schema(f) for f in ev.fields},
                         "additionalProperties": False},
            },
        }
        hooks[event_type] = {"post": {
            "operationId": "events." + event_type.replace(".", "_"),
            "tags": ["webhooks"],
            "summary": ev.description,
            "description": f"Sent to each active endpoint of an agency concerned that subscribed to "
                           f"`{event_type}` (or a pattern such as `{event_type.split('.')[0]}.*`). Events of one "
                           f"subject (`data.{ev.subject}`) arrive in the order they happened; a failed "
                           "delivery is retried with backoff and holds back that subject's later events.",
            "parameters": HEADERS,
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{name}"}}}},
            "responses": {"2XX": {"description": "Received. Any other answer (or none within the timeout) is "
                                                 "retried."}},
        }}
    spec["webhooks"] = hooks
