"""The one role -> permission table. Routes declare a permission; nothing else compares role strings."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    platform_admin = "platform_admin"
    agency_admin = "agency_admin"
    auditor = "auditor"
    cps_worker = "cps_worker"
    cps_supervisor = "cps_supervisor"
    dv_advocate = "dv_advocate"
    dv_supervisor = "dv_supervisor"
    parent_partner = "parent_partner"  # a peer mentor with lived experience: sees only what a family shares


class AgencyKind(StrEnum):
    cps = "cps"
    dv = "dv"
    community = "community"  # a community organisation, e.g. a parent-partner program


# Which agency kind a role may exist in; None means any kind (or, for platform_admin, no agency at all).
ROLE_AGENCY_KIND: dict[Role, AgencyKind | None] = {
    Role.platform_admin: None,
    Role.agency_admin: None,
    Role.auditor: None,
    Role.cps_worker: AgencyKind.cps,
    Role.cps_supervisor: AgencyKind.cps,
    Role.dv_advocate: AgencyKind.dv,
    Role.dv_supervisor: AgencyKind.dv,
    Role.parent_partner: None,  # employed by an agency of any kind or a community organisation
}

# Roles that read and write case data; held together with agency_admin they need a second admin's approval.
CASEWORK_ROLES = frozenset({Role.cps_worker, Role.cps_supervisor, Role.dv_advocate, Role.dv_supervisor})


class P(StrEnum):
    """Permissions."""

    agency_create = "agency:create"
    agency_read = "agency:read"
    agency_update = "agency:update"
    office_manage = "office:manage"
    office_read = "office:read"
    user_manage = "user:manage"
    user_read = "user:read"
    client_manage = "client:manage"
    agreement_manage = "agreement:manage"
    agreement_read = "agreement:read"
    case_create = "case:create"
    case_read = "case:read"
    case_read_all = "case:read_all"  # every case of the own agency, not only those on one's team
    case_update = "case:update"
    case_team_manage = "case:team_manage"
    person_write = "person:write"
    person_read = "person:read"
    consent_record = "consent:record"
    consent_read = "consent:read"
    consent_revoke = "consent:revoke"
    disclosure_request = "disclosure:request"
    disclosure_read = "disclosure:read"
    wording_manage = "consent_wording:manage"  # the agency's versions of its consent wording
    wording_read = "consent_wording:read"
    mandate_record = "mandate:record"
    referral_write = "referral:write"
    referral_respond = "referral:respond"
    referral_read = "referral:read"
    record_write = "record:write"  # casework records: orders, court events, services, plans, notes, ...
    record_read = "record:read"
    checklist_work = "checklist:work"
    checklist_read = "checklist:read"
    template_publish = "template:publish"
    juncture_record = "juncture:record"
    juncture_override = "juncture:override"
    case_close_override = "case:close_override"  # close a case without a current closure checklist
    assignment_manage = "assignment:manage"
    assignment_read = "assignment:read"
    onduty_read = "onduty:read"
    consultation_open = "consultation:open"
    consultation_route = "consultation:route"
    consultation_answer = "consultation:answer"
    consultation_read = "consultation:read"
    audit_read = "audit:read"
    webhook_manage = "webhook:manage"
    report_read = "report:read"
    task_work = "task:work"  # one's own task inbox: list, done, snooze
    family_invite = "family:invite"  # invite a survivor or non-abusive parent to her own view; revoke it
    partner_view = "partner:view"  # a parent partner's view of the families that invited her
    self_service = "self:service"  # a person's own view (/api/v1/my/...): held by person tokens only


_DIRECTORY = {P.agency_read, P.office_read}

_CASEWORK = {
    P.case_create, P.case_read, P.case_update, P.person_write, P.person_read,
    P.consent_record, P.consent_read, P.consent_revoke, P.disclosure_request, P.disclosure_read,
    P.referral_write, P.referral_respond, P.referral_read, P.checklist_work, P.checklist_read,
    P.record_write, P.record_read, P.wording_read,
    P.onduty_read, P.assignment_read, P.consultation_read, P.agreement_read, P.task_work, P.family_invite,
}

_SUPERVISION = {
    P.case_read_all, P.case_team_manage, P.mandate_record, P.template_publish, P.report_read, P.user_read,
    P.case_close_override,
}

ROLE_PERMISSIONS: dict[Role, frozenset[P]] = {
    Role.platform_admin: frozenset(_DIRECTORY | {
        P.agency_create, P.agency_update, P.office_manage, P.user_manage, P.user_read, P.client_manage,
    }),
    Role.agency_admin: frozenset(_DIRECTORY | {
        P.agency_update, P.office_manage, P.user_manage, P.user_read, P.client_manage, P.agreement_manage,
        P.agreement_read, P.audit_read, P.webhook_manage, P.template_publish, P.assignment_manage,
        P.assignment_read, P.report_read, P.wording_manage, P.wording_read,
    }),
    Role.auditor: frozenset(_DIRECTORY | {P.user_read, P.agreement_read, P.audit_read, P.report_read}),
    Role.cps_worker: frozenset(_DIRECTORY | _CASEWORK | {P.juncture_record, P.consultation_open}),
    Role.cps_supervisor: frozenset(_DIRECTORY | _CASEWORK | _SUPERVISION | {
        P.juncture_record, P.juncture_override, P.consultation_open, P.consultation_route,
    }),
    Role.dv_advocate: frozenset(_DIRECTORY | _CASEWORK | {P.consultation_answer}),
    Role.dv_supervisor: frozenset(_DIRECTORY | _CASEWORK | _SUPERVISION | {
        P.consultation_answer, P.assignment_manage,
    }),
    Role.parent_partner: frozenset(_DIRECTORY | {P.partner_view}),
}


# What a person (a survivor or non-abusive parent using her own view) may do: no role gives it, and a person
# holds nothing else.
PERSON_PERMISSIONS: frozenset[P] = frozenset({P.self_service})


def permissions_for(roles: frozenset[Role] | set[Role]) -> frozenset[P]:
    out: set[P] = set()
    for r in roles:
        out |= ROLE_PERMISSIONS[r]
    return frozenset(out)


def role_fits_agency(role: Role, agency_kind: AgencyKind | None) -> bool:
    """CPS roles only in CPS agencies, DV roles only in DV agencies; platform_admin only outside agencies."""
    if role is Role.platform_admin:
        return agency_kind is None
    if agency_kind is None:
        return False
    need = ROLE_AGENCY_KIND[role]
    return need is None or need == agency_kind
