"""Whose work a caller's aggregate reports cover: its own agency's only."""

from __future__ import annotations

import uuid

from app.auth.permissions import P
from app.auth.principal import Principal
from app.core.errors import Forbidden


def report_agency_id(principal: Principal) -> uuid.UUID:
    """Aggregate reports cover the caller's own agency only; a caller outside any agency has none."""
    if not principal.can(P.report_read) or principal.agency_id is None:
        raise Forbidden("Reports cover an agency's own work; you are not reading for an agency.")
    return principal.agency_id
