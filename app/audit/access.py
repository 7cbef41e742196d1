"""Whose audit events a caller reads: its own agency's only (no role sees another agency's trail)."""

from __future__ import annotations

import sqlalchemy as sa

from app.auth.principal import Principal
from app.trail.models import AuditEvent


def audit_event_visible_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """Audit events of the caller's own agency only."""
    if principal.agency_id is None:
        return sa.false()
    return AuditEvent.agency_id == principal.agency_id


def verification_scope_clause(principal: Principal) -> sa.ColumnElement[bool] | None:
    """The events a verification is reported in terms of: the caller's own agency's (the whole chain's head
    would reveal other agencies' activity). None for a caller of no agency (an operator): the whole chain."""
    if principal.agency_id is None:
        return None
    return AuditEvent.agency_id == principal.agency_id
