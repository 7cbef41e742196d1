"""Whose webhook endpoints and deliveries a caller manages: its own agency's only."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from app.auth.principal import Principal
from app.core.errors import Forbidden
from app.outbox.models import WebhookEndpoint


def ensure_endpoint_owner(principal: Principal) -> uuid.UUID:
    """Webhooks belong to an agency (403 for an account of none); returns the caller's agency."""
    if principal.agency_id is None:
        raise Forbidden("Webhooks belong to an agency; this account has none.")
    return principal.agency_id


def webhook_endpoint_visible_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """Webhook endpoints of the caller's own agency only."""
    if principal.agency_id is None:
        return sa.false()
    return WebhookEndpoint.agency_id == principal.agency_id
