"""The one place that decides "may this principal do A to this object".

Routes declare a permission (app.auth.permissions); the functions here add the object-level rules:
which agency's rows a principal may see (applied inside queries), and what it may do to one object.
An object outside what the caller may see is reported as 404, never 403.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from app.auth.permissions import CASEWORK_ROLES, AgencyKind, P, Role, role_fits_agency
from app.auth.principal import Principal
from app.core.errors import Forbidden, Invalid, NotFound

# ---------------------------------------------------------------- agencies, offices, users, clients


def is_platform_admin(principal: Principal) -> bool:
    return Role.platform_admin in principal.roles


def own_agency_clause(principal: Principal, agency_col: Any) -> Any:
    """Rows of the caller's own agency; a platform admin administers every agency."""
    if is_platform_admin(principal):
        return sa.true()
    if principal.agency_id is None:
        return sa.false()
    return agency_col == principal.agency_id


def ensure_own_agency(principal: Principal, agency_id: uuid.UUID | None, what: str) -> None:
    """404 unless the object belongs to the caller's agency (or the caller is a platform admin)."""
    if is_platform_admin(principal):
        return
    if agency_id is None or agency_id != principal.agency_id:
        raise NotFound(what)


def ensure_may_update_agency(principal: Principal, agency_id: uuid.UUID) -> None:
    if is_platform_admin(principal):
        return
    if principal.agency_id != agency_id:
        raise Forbidden("Only your own agency can be changed.")


def check_assignable_roles(principal: Principal, roles: list[Role], agency_kind: AgencyKind | None) -> None:
    """Roles must fit the agency kind (422); only a platform admin grants platform_admin (403)."""
    if not roles:
        raise Invalid("At least one role is required.", loc=["body", "roles"])
    for r in roles:
        if r is Role.platform_admin and not is_platform_admin(principal):
            raise Forbidden("Only a platform admin can grant platform_admin.")
        if not role_fits_agency(r, agency_kind):
            where = f"a {agency_kind.value.upper()} agency" if agency_kind else "no agency"
            raise Invalid(f"Role {r.value} cannot be held in {where}.", loc=["body", "roles"],
                          type="role_agency_kind")


def ensure_not_own_roles(principal: Principal, user_id: uuid.UUID) -> None:
    """Nobody changes their own roles (403), not even a platform admin."""
    if principal.user_id == user_id:
        raise Forbidden("Nobody changes their own roles; another admin must do it.")


def role_change_needs_second_admin(principal: Principal, before: list[str], after: list[Role]) -> bool:
    """An agency admin who adds a casework role to an admin-role holder, or agency_admin to a caseworker, asks a
    second admin to approve; a platform admin's change applies at once."""
    if is_platform_admin(principal):
        return False
    old = {Role(r) for r in before}
    held = old | set(after)
    added = set(after) - old
    return (bool(added & (CASEWORK_ROLES | {Role.agency_admin}))
            and Role.agency_admin in held and bool(held & CASEWORK_ROLES))


def ensure_may_create_with_roles(principal: Principal, roles: list[Role]) -> None:
    """A new account holding admin and casework roles together is a grant that needs a second admin: an agency
    admin creates it with one kind and asks for the other (a platform admin may create it directly)."""
    if role_change_needs_second_admin(principal, [], roles):
        raise Forbidden("An account holding agency_admin and a casework role needs a second admin: create it "
                        "with one of them, then change its roles for another admin to approve.")


def ensure_may_decide_role_change(principal: Principal, requested_by: str, user_id: uuid.UUID) -> None:
    """A pending role change is approved by a second admin: not the one who asked, not the one it concerns."""
    if principal.ref == requested_by:
        raise Forbidden("A second admin must approve a role change you asked for.")
    ensure_not_own_roles(principal, user_id)


def ensure_user_visible(principal: Principal, user_agency_id: uuid.UUID | None, user_id: uuid.UUID) -> None:
    """A user sees themself; staff with user:read see their own agency's users."""
    if principal.user_id == user_id:
        return
    if not principal.can(P.user_read):
        raise NotFound("user")
    ensure_own_agency(principal, user_agency_id, "user")


def office_visible_clause(principal: Principal) -> Any:
    """Offices of the caller's own agency (every office for a platform admin); DV staff also see the offices
    of CPS agencies their agency has an agreement in force with today (where its advocates may work)."""
    from app.identity.models import Office

    own = own_agency_clause(principal, Office.agency_id)
    if principal.agency_kind is AgencyKind.dv and principal.agency_id is not None:
        return sa.or_(own, partner_agency_clause(principal.agency_id, Office.agency_id))
    return own


# ---------------------------------------------------------------- cases


def case_visible_clause(principal: Principal) -> Any:
    """Cases the caller may see, as a SQL condition: own agency only; supervisors (case:read_all) and
    agency systems see all of it, other staff only cases whose team they are on. Admin roles: none."""
    from app.cases.models import Case, CaseTeamMember

    if principal.agency_id is None or not principal.can(P.case_read):
        return sa.false()
    own = Case.agency_id == principal.agency_id
    if principal.can(P.case_read_all) or principal.kind == "client":
        return own
    if principal.user_id is None:
        return sa.false()
    on_team = sa.exists().where(CaseTeamMember.case_id == Case.id, CaseTeamMember.user_id == principal.user_id)
    return sa.and_(own, on_team)


async def get_visible_case(session: Any, principal: Principal, case_id: uuid.UUID) -> Any:
    """The case if the caller may see it, else 404."""
    from app.cases.models import Case

    case = (
        await session.execute(sa.select(Case).where(Case.id == case_id, case_visible_clause(principal)))
    ).scalar_one_or_none()
    if case is None:
        raise NotFound("case")
    return case


def may_work_cases(roles: Any) -> bool:
    """Whether a set of role names includes a casework role (one that may read cases)."""
    from app.auth.permissions import permissions_for

    try:
        parsed = frozenset(Role(r) for r in roles)
    except ValueError:
        return False
    return P.case_read in permissions_for(parsed)


def ensure_may_join_case_team(case: Any, user: Any) -> None:
    """Only active staff of the case's own agency who hold a casework role join its team.

    A user of another agency is reported as 404 (the caller may not see them); an admin-only user is 422.
    """
    if user is None or user.agency_id != case.agency_id:
        raise NotFound("user")
    if not user.active:
        raise Invalid("This user is deactivated.", loc=["path", "user_id"], type="user_inactive")
    if not may_work_cases(user.roles):
        raise Invalid("Only staff holding a casework role can join a case team.", loc=["path", "user_id"],
                      type="not_casework_role")


def person_visible_clause(principal: Principal) -> Any:
    """People the caller may see: those in cases the caller may see."""
    from app.cases.models import Case, Person

    return sa.exists().where(Case.id == Person.case_id, case_visible_clause(principal))


# ---------------------------------------------------------------- agreements


def active_agreement_clause(agency_a: uuid.UUID, agency_b: uuid.UUID, on: Any) -> Any:
    """SQL condition: an agreement that is active on date `on` and names both agencies as parties."""
    from app.agreements.models import Agreement, AgreementParty

    def party(agency_id: uuid.UUID) -> Any:
        return sa.exists().where(AgreementParty.agreement_id == Agreement.id, AgreementParty.agency_id == agency_id)

    return sa.and_(
        Agreement.status == "active", Agreement.effective_from <= on, Agreement.expires_on >= on,
        party(agency_a), party(agency_b),
    )


async def active_agreements_between(session: Any, agency_a: uuid.UUID, agency_b: uuid.UUID) -> list[Any]:
    """Agreements in force today between two agencies (re-read at every call; nothing is cached)."""
    from app.agreements.models import Agreement
    from app.core.clock import today

    rows = await session.execute(sa.select(Agreement).where(active_agreement_clause(agency_a, agency_b, today())))
    return list(rows.scalars().all())


def agreement_visible_clause(principal: Principal) -> Any:
    """Agreements the caller's agency is a party to (others see none of them)."""
    from app.agreements.models import Agreement, AgreementParty

    if principal.agency_id is None:
        return sa.false()
    return sa.exists().where(AgreementParty.agreement_id == Agreement.id,
                             AgreementParty.agency_id == principal.agency_id)


def ensure_may_create_agreement(principal: Principal, party_agency_ids: list[uuid.UUID]) -> None:
    """An agency admin creates agreements only for their own agency (422 if it is not among the parties)."""
    if principal.agency_id is None or principal.agency_id not in party_agency_ids:
        raise Invalid("Your own agency must be one of the parties.", loc=["body", "party_agency_ids"],
                      type="own_agency_not_party")


def ensure_may_resume_agreement(principal: Principal, agreement: Any) -> None:
    """Only the party that suspended an agreement may resume it."""
    if agreement.suspended_by_agency_id is not None and agreement.suspended_by_agency_id != principal.agency_id:
        raise Forbidden("Only the agency that suspended this agreement can resume it.")


# ---------------------------------------------------------------- referrals

# Which side of a referral may perform each transition.
REFERRAL_ACTION_SIDE = {
    "send": "sender", "withdraw": "sender", "close": "sender",
    "acknowledge": "receiver", "accept": "receiver", "decline": "receiver",
}
_REFERRAL_SIDE_PERMISSION = {"sender": P.referral_write, "receiver": P.referral_respond}


def referral_outgoing_clause(principal: Principal) -> Any:
    """Referrals the caller's agency sent (or drafted) on a case the caller may see (supervisors: every case)."""
    from app.cases.models import Case
    from app.referrals.models import Referral

    if principal.agency_id is None or not principal.can(P.referral_read):
        return sa.false()
    sent_by_own = Referral.from_agency_id == principal.agency_id
    if principal.can(P.case_read) and (principal.can(P.case_read_all) or principal.kind == "client"):
        # These callers see every case of their agency (case_visible_clause), and a referral's case is always
        # the sending agency's (cases never change agency): the case check is true for every row, and asking
        # it made the database hash all of the agency's cases on every list.
        return sent_by_own
    return sa.and_(sent_by_own, sa.exists().where(Case.id == Referral.case_id, case_visible_clause(principal)))


def referral_incoming_clause(principal: Principal) -> Any:
    """Referrals sent to the caller's agency; one never sent (a draft, or a draft withdrawn) is never visible
    to the receiving agency."""
    from app.referrals.models import Referral

    if principal.agency_id is None or not principal.can(P.referral_read):
        return sa.false()
    return sa.and_(Referral.to_agency_id == principal.agency_id, Referral.sent_at.is_not(None))


def referral_visible_clause(principal: Principal) -> Any:
    """Referrals the caller may see: its agency's outgoing box and incoming box. Any third agency: none."""
    return sa.or_(referral_outgoing_clause(principal), referral_incoming_clause(principal))


def referral_side(principal: Principal, referral: Any) -> str:
    """"sender" or "receiver": which side of a referral (already known to be visible) the caller is on."""
    return "sender" if referral.from_agency_id == principal.agency_id else "receiver"


def referral_actions_for(principal: Principal, referral: Any, legal: list[str]) -> list[str]:
    """Of the transitions legal in the referral's state, those the caller may perform."""
    side = referral_side(principal, referral)
    return [a for a in legal
            if REFERRAL_ACTION_SIDE[a] == side and principal.can(_REFERRAL_SIDE_PERMISSION[side])]


def ensure_may_act_on_referral(principal: Principal, referral: Any, action: str) -> None:
    """403 unless the caller's agency is the side that performs `action` (sending agency: send, withdraw,
    close; receiving agency: acknowledge, accept, decline) and the caller's role allows it."""
    side = REFERRAL_ACTION_SIDE[action]
    if referral_side(principal, referral) != side:
        who = "sending" if side == "sender" else "receiving"
        raise Forbidden(f"Only the {who} agency can {action} this referral.")
    if not principal.can(_REFERRAL_SIDE_PERMISSION[side]):
        raise Forbidden(f"Your role does not allow this action ({_REFERRAL_SIDE_PERMISSION[side].value}).")


async def person_in_sent_referral_to(session: Any, person_id: uuid.UUID, agency_id: uuid.UUID) -> bool:
    """Whether a referral that has been sent to `agency_id` names the person (a link for the disclosure rule)."""
    from app.referrals.models import Referral, ReferralPerson

    found = await session.execute(
        sa.select(ReferralPerson.id).join(Referral, Referral.id == ReferralPerson.referral_id).where(
            ReferralPerson.person_id == person_id, Referral.to_agency_id == agency_id,
            Referral.sent_at.is_not(None)).limit(1))
    return found.first() is not None


# ---------------------------------------------------------------- audit and webhooks (oversight)


def audit_event_visible_clause(principal: Principal) -> Any:
    """Audit events of the caller's own agency only (no role sees another agency's trail)."""
    from app.trail.models import AuditEvent

    if principal.agency_id is None:
        return sa.false()
    return AuditEvent.agency_id == principal.agency_id


def webhook_endpoint_visible_clause(principal: Principal) -> Any:
    """Webhook endpoints of the caller's own agency only."""
    from app.outbox.models import WebhookEndpoint

    if principal.agency_id is None:
        return sa.false()
    return WebhookEndpoint.agency_id == principal.agency_id


# ---------------------------------------------------------------- advocates (assignments, on-duty, consultations)


def partner_agency_clause(agency_a: Any, agency_b: Any, on: Any = None) -> Any:
    """SQL condition: an agreement active on `on` (default today) names both agencies. Either may be an id
    or a column of the enclosing query (correlated through every level)."""
    from app.agreements.models import Agreement, AgreementParty
    from app.core.clock import today

    day = on or today()

    def party(agency: Any) -> Any:
        return sa.exists(sa.select(AgreementParty.id).where(
            AgreementParty.agreement_id == Agreement.id, AgreementParty.agency_id == agency,
        ).correlate_except(AgreementParty))

    return sa.exists(sa.select(Agreement.id).where(
        Agreement.status == "active", Agreement.effective_from <= day, Agreement.expires_on >= day,
        party(agency_a), party(agency_b),
    ).correlate_except(Agreement))


def ensure_may_manage_assignments(principal: Principal) -> None:
    """Only a DV agency places its advocates in CPS offices."""
    if principal.agency_kind is not AgencyKind.dv or principal.agency_id is None:
        raise Forbidden("Only a DV agency assigns advocates to offices.")


def assignment_visible_clause(principal: Principal) -> Any:
    """Assignments of the caller's own DV agency, or into the offices of the caller's own CPS agency."""
    from app.advocates.models import AdvocateAssignment as A

    if principal.agency_id is None:
        return sa.false()
    return sa.or_(A.dv_agency_id == principal.agency_id, A.cps_agency_id == principal.agency_id)


def assignment_in_force_clause(on: Any) -> Any:
    """SQL condition: the assignment is not ended and its two agencies have an agreement in force on `on`.

    Evaluated at every request, so a suspended or ended agreement stops the assignment at once."""
    from app.advocates.models import AdvocateAssignment as A

    return sa.and_(A.status == "active", partner_agency_clause(A.dv_agency_id, A.cps_agency_id, on))


async def ensure_may_read_on_duty(session: Any, principal: Principal, office: Any) -> None:
    """CPS staff of the office's agency, and staff of a DV agency with an assignment there; others 404."""
    from app.advocates.models import AdvocateAssignment as A

    if principal.agency_id is None:
        raise NotFound("office")
    if office.agency_id == principal.agency_id:
        return
    if principal.agency_kind is AgencyKind.dv:
        found = await session.execute(sa.select(A.id).where(
            A.office_id == office.id, A.dv_agency_id == principal.agency_id, assignment_in_force_clause(None),
        ).limit(1))
        if found.first() is not None:
            return
    raise NotFound("office")


def on_duty_visible_to(principal: Principal, dv_agency_id: uuid.UUID) -> bool:
    """Which advocates on duty a caller is shown: all of them to the office's CPS agency (the caller got here
    only if it may read the office), only its own to a DV agency."""
    return principal.agency_kind is not AgencyKind.dv or dv_agency_id == principal.agency_id


def consultation_visible_clause(principal: Principal) -> Any:
    """Consultations the caller may see, as a SQL condition.

    CPS staff: those about cases they can see. The advocate: those routed to her; DV supervisors and agency
    systems (case:read_all): those routed to their agency's advocates. The DV side sees a consultation only
    while the two agencies have an agreement in force."""
    from app.advocates.models import Consultation as C
    from app.cases.models import Case

    if principal.agency_id is None or not principal.can(P.consultation_read):
        return sa.false()
    about_visible_case = sa.exists().where(Case.id == C.case_id, case_visible_clause(principal))
    if principal.can(P.case_read_all) or principal.kind == "client":
        dv_side: Any = C.dv_agency_id == principal.agency_id
    elif principal.user_id is not None:
        dv_side = sa.and_(C.advocate_id == principal.user_id, C.dv_agency_id == principal.agency_id)
    else:
        dv_side = sa.false()
    in_force = partner_agency_clause(C.dv_agency_id, C.cps_agency_id)
    return sa.or_(about_visible_case, sa.and_(dv_side, in_force))


def ensure_consultation_advocate(principal: Principal, consultation: Any) -> None:
    """Accepting and answering is for the advocate the consultation is routed to (403 for anyone else)."""
    if not principal.can(P.consultation_answer) or consultation.advocate_id is None \
            or consultation.advocate_id != principal.user_id:
        raise Forbidden("Only the advocate this consultation is routed to can do this.")


def ensure_may_close_consultation(principal: Principal, consultation: Any) -> None:
    """The advocate it is routed to, a DV supervisor of her agency, or CPS staff who may open consultations
    on the case (the caller already sees it) may close a consultation."""
    if principal.can(P.consultation_answer) and consultation.advocate_id == principal.user_id \
            and principal.user_id is not None:
        return
    if principal.can(P.consultation_answer) and principal.can(P.case_read_all) \
            and consultation.dv_agency_id == principal.agency_id:
        return
    if principal.can(P.consultation_open) and consultation.cps_agency_id == principal.agency_id:
        return
    raise Forbidden("You cannot close this consultation.")


def ensure_may_route_consultation(principal: Principal, consultation: Any) -> None:
    """A CPS supervisor of the case's agency names the advocate (the route declares consultation:route)."""
    if consultation.cps_agency_id != principal.agency_id:
        raise Forbidden("Only the case's agency can route this consultation.")


# ---------------------------------------------------------------- checklists


async def advocate_linked_to_case(session: Any, principal: Principal, case_id: uuid.UUID) -> bool:
    """Whether the caller personally works with this family from a DV agency: she is the worker of her agency
    on an accepted referral about the case (the one who accepted it), or the advocate an accepted or answered
    consultation about it was routed to. The link ends when the referral is closed or the consultation closed;
    her colleagues, supervisors and her agency's systems are not linked. A linked advocate reads the case's
    checklists (the notes the case's agency wrote only through the disclosure rule) and adds notes to their
    items, and sees nothing else of the case."""
    from app.advocates.models import Consultation
    from app.referrals.models import Referral

    if principal.agency_id is None or principal.user_id is None or principal.agency_kind is not AgencyKind.dv:
        return False
    referral = await session.execute(
        sa.select(Referral.id).where(Referral.case_id == case_id, Referral.to_agency_id == principal.agency_id,
                                     Referral.assigned_to == principal.user_id,
                                     Referral.status == "accepted").limit(1))
    if referral.first() is not None:
        return True
    consultation = await session.execute(
        sa.select(Consultation.id).where(Consultation.case_id == case_id,
                                         Consultation.advocate_id == principal.user_id,
                                         Consultation.dv_agency_id == principal.agency_id,
                                         Consultation.status.in_(("accepted", "responded"))).limit(1))
    return consultation.first() is not None


async def checklist_access(session: Any, principal: Principal, case_id: uuid.UUID) -> str | None:
    """How the caller may use a case's checklists: "staff" (sees the case: reads, works and completes
    them), "advocate" (linked to the case: reads them and adds notes), or None (404)."""
    from app.cases.models import Case

    if not principal.can(P.checklist_read):
        return None
    visible = await session.execute(sa.select(Case.id).where(Case.id == case_id, case_visible_clause(principal)))
    if visible.first() is not None:
        return "staff"
    if await advocate_linked_to_case(session, principal, case_id):
        return "advocate"
    return None


def note_needs_disclosure(principal: Principal, access: str | None, writer_agency_id: uuid.UUID | None) -> bool:
    """Whether a checklist note reaches the caller only through the disclosure rule: a linked advocate reads
    the notes she and her own agency wrote; free text the case's agency (or anyone else) wrote crosses a
    boundary. Staff of the case's agency read every note."""
    return access != "staff" and (writer_agency_id is None or writer_agency_id != principal.agency_id)


def ensure_may_work_checklist(principal: Principal, access: str | None) -> None:
    """Changing item status and completing are for staff who see the case (a linked advocate: 403)."""
    if access != "staff" or not principal.can(P.checklist_work):
        raise Forbidden("Only staff working the case can change this checklist.")


def ensure_may_note_checklist(principal: Principal, access: str | None) -> None:
    """Notes on items: staff who see the case and linked DV advocates."""
    if access is None or not principal.can(P.checklist_work):
        raise Forbidden("You cannot add notes to this checklist.")


def ensure_may_read_templates(principal: Principal) -> None:
    """Templates are guidance, not case data: staff who work checklists and those who publish them read them."""
    if not (principal.can(P.checklist_read) or principal.can(P.template_publish)):
        raise Forbidden("Your role does not allow this action (checklist:read).")
    if principal.agency_id is None:
        raise Forbidden("Templates are read by agency staff.")


def ensure_may_override_juncture(principal: Principal) -> None:
    """Recording a juncture without a current completed checklist is a supervisor's decision."""
    if not principal.can(P.juncture_override):
        raise Forbidden("Only a supervisor can record a juncture without a completed checklist.")


def ensure_assignable_advocate(principal: Principal, user: Any) -> None:
    """An assignment is for an active DV advocate of the caller's own agency (404 for anyone else's user)."""
    if user is None or user.agency_id != principal.agency_id:
        raise NotFound("user")
    if not user.active:
        raise Invalid("This user is deactivated.", loc=["body", "advocate_id"], type="user_inactive")
    if Role.dv_advocate.value not in (user.roles or []):
        raise Invalid("Only a dv_advocate can be assigned to an office.", loc=["body", "advocate_id"],
                      type="not_advocate")


def may_take_consultations(user: Any) -> bool:
    """Whether a user can be routed consultations: active and still holding dv_advocate."""
    return user is not None and user.active and Role.dv_advocate.value in (user.roles or [])


# ---------------------------------------------------------------- consent (consents, disclosures, legal mandates)


def case_scoped_clause(principal: Principal, case_id_col: Any) -> Any:
    """Rows attached to a case the caller may see (consents, mandates, notification tasks)."""
    from app.cases.models import Case

    return sa.exists().where(Case.id == case_id_col, case_visible_clause(principal))


async def person_visible_to(session: Any, principal: Principal, person_id: uuid.UUID) -> bool:
    """Whether the caller may see the person's case (the owning agency's staff on it, or its supervisors)."""
    from app.cases.models import Person

    found = await session.execute(
        sa.select(Person.id).where(Person.id == person_id, person_visible_clause(principal)).limit(1))
    return found.first() is not None


async def person_linked_to_agency(session: Any, person: Any, agency_id: uuid.UUID | None) -> bool:
    """Whether an agency has any link to a person: it holds the record, or a consent or legal mandate names
    it, or a sent referral names the person. Without a link a disclosure request is answered as 404."""
    from app.consent.models import Consent, LegalMandate

    if agency_id is None:
        return False
    if agency_id == person.agency_id:
        return True
    for model in (Consent, LegalMandate):
        found = await session.execute(sa.select(model.id).where(
            model.person_id == person.id, model.recipient_agency_id == agency_id).limit(1))
        if found.first() is not None:
            return True
    return await person_in_sent_referral_to(session, person.id, agency_id)


def check_court_order_recorder(principal: Principal, recorded_by: str | None) -> None:
    """Two-person rule: the court order that puts a subpoena in force is recorded by a second supervisor, a
    person other than the one who recorded the subpoena (never an agency system)."""
    if principal.kind == "client":
        raise Forbidden("A court order is recorded by a supervisor in person, not by an agency system.")
    if recorded_by is not None and principal.ref == recorded_by:
        raise Forbidden("A second supervisor must record the court order: you recorded this subpoena.")


# ---------------------------------------------------------------- reports


def report_agency_id(principal: Principal) -> uuid.UUID:
    """Aggregate reports cover the caller's own agency only; a caller outside any agency has none."""
    if not principal.can(P.report_read) or principal.agency_id is None:
        raise Forbidden("Reports cover an agency's own work; you are not reading for an agency.")
    return principal.agency_id
