"""Who sees contact preferences and attempts: staff who see the person's case (another agency's is 404)."""

from __future__ import annotations

import sqlalchemy as sa

from app.auth.principal import Principal
from app.cases.access import case_scoped_clause
from app.contacts.models import ContactAttempt, ContactPreferences


def preferences_visible_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """Staff who see the case; a person in her own view sees her own preferences only."""
    if principal.person_id is not None:
        return ContactPreferences.person_id == principal.person_id
    return case_scoped_clause(principal, ContactPreferences.case_id)


def attempt_visible_clause(principal: Principal) -> sa.ColumnElement[bool]:
    return case_scoped_clause(principal, ContactAttempt.case_id)
