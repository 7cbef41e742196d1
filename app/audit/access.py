"""Whose audit events a caller reads: its own agency's only (no role sees another agency's trail)."""

from __future__ import annotations

import sqlalchemy as sa

from app.auth.principal import Principal
from app.trail.models import AuditEvent, chain_of


def audit_event_visible_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """Audit events of the caller's own agency only."""
    if principal.agency_id is None:
        return sa.false()
    return AuditEvent.agency_id == principal.agency_id


def verification_chain(principal: Principal) -> str:
    """The chain a verification through the API covers: the caller's own agency's (no agency is told of
    another's chain; a caller of no agency, the platform's)."""
    return chain_of(principal.agency_id)
