"""How a caller may use a case's checklists, which templates it reads, and who works, notes and overrides.

Staff who see the case work its checklists; a DV advocate linked to the case (through an accepted referral
or consultation) reads them and adds notes, and reads the notes the case's agency wrote only through the
disclosure rule.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.advocates.access import answers_consultation_on_case
from app.auth.permissions import P
from app.auth.principal import Principal
from app.cases.access import case_is_visible
from app.checklists.models import ChecklistTemplate
from app.core.errors import Forbidden, Invalid
from app.referrals.access import works_referral_on_case


class ChecklistAccess(StrEnum):
    """How a caller may use a case's checklists."""

    staff = "staff"  # sees the case: reads, works and completes them
    advocate = "advocate"  # a DV advocate linked to the case: reads them and adds notes


async def advocate_linked_to_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> bool:
    """Whether the caller personally works with this family from a DV agency: she is the worker of her agency
    on an accepted referral about the case (the one who accepted it), or the advocate an accepted or answered
    consultation about it was routed to. The link ends when the referral is closed or the consultation closed;
    her colleagues, supervisors and her agency's systems are not linked. A linked advocate reads the case's
    checklists (the notes the case's agency wrote only through the disclosure rule) and adds notes to their
    items, and sees nothing else of the case."""
    return (await works_referral_on_case(session, principal, case_id)
            or await answers_consultation_on_case(session, principal, case_id))


async def checklist_access(session: AsyncSession, principal: Principal,
                           case_id: uuid.UUID) -> ChecklistAccess | None:
    """How the caller may use a case's checklists: staff (sees the case: reads, works and completes
    them), advocate (linked to the case: reads them and adds notes), or None (404)."""
    if not principal.can(P.checklist_read):
        return None
    if await case_is_visible(session, principal, case_id):
        return ChecklistAccess.staff
    if await advocate_linked_to_case(session, principal, case_id):
        return ChecklistAccess.advocate
    return None


def note_needs_disclosure(principal: Principal, access: ChecklistAccess | None, writer_agency_id: uuid.UUID | None) -> bool:
    """Whether a checklist note reaches the caller only through the disclosure rule: a linked advocate reads
    the notes she and her own agency wrote; free text the case's agency (or anyone else) wrote crosses a
    boundary. Staff of the case's agency read every note."""
    return access is not ChecklistAccess.staff and (writer_agency_id is None or writer_agency_id != principal.agency_id)


def ensure_may_work_checklist(principal: Principal, access: ChecklistAccess | None) -> None:
    """Changing item status and completing are for staff who see the case (a linked advocate: 403)."""
    if access is not ChecklistAccess.staff or not principal.can(P.checklist_work):
        raise Forbidden("Only staff working the case can change this checklist.")


def ensure_may_note_checklist(principal: Principal, access: ChecklistAccess | None) -> None:
    """Notes on items: staff who see the case and linked DV advocates."""
    if access is None or not principal.can(P.checklist_work):
        raise Forbidden("You cannot add notes to this checklist.")


def ensure_may_read_templates(principal: Principal) -> None:
    """Templates are guidance, not case data: staff who work checklists and those who publish them read them."""
    if not (principal.can(P.checklist_read) or principal.can(P.template_publish)):
        raise Forbidden("Your role does not allow this action (checklist:read).")
    if principal.agency_id is None:
        raise Forbidden("Templates are read by agency staff.")


def template_visible_clause(principal: Principal) -> sa.ColumnElement[bool]:
    """Templates the caller reads: the default versions and its own agency's versions."""
    return sa.or_(ChecklistTemplate.agency_id.is_(None), ChecklistTemplate.agency_id == principal.agency_id)


def template_visible(principal: Principal, template: ChecklistTemplate | None) -> bool:
    """Whether one template version is a default or the caller's agency's."""
    return template is not None and template.agency_id in (None, principal.agency_id)


def ensure_may_publish_template(principal: Principal) -> uuid.UUID:
    """Templates are published for the caller's own agency (422 for a caller outside any agency); returns it."""
    if principal.agency_id is None:
        raise Invalid("Templates are published for an agency.", loc=["body"])
    return principal.agency_id


def ensure_may_override_juncture(principal: Principal) -> None:
    """Recording a juncture without a current completed checklist is a supervisor's decision."""
    if not principal.can(P.juncture_override):
        raise Forbidden("Only a supervisor can record a juncture without a completed checklist.")


def ensure_may_override_closure(principal: Principal) -> None:
    """Closing a case without a current completed closure checklist is a supervisor's decision."""
    if not principal.can(P.case_close_override):
        raise Forbidden("Only a supervisor can close a case without a completed closure checklist.")
