"""Demo data and the first platform admin, written through the same services the API uses."""

from __future__ import annotations

import textwrap
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.advocates.schemas import AssignmentCreate
from app.advocates.service import create_assignment
from app.agencies import service
from app.agencies.schemas import AgencyCreate, ClientCreate, OfficeCreate, UserCreate
from app.agreements.schemas import AgreementCreate
from app.agreements.service import create_agreement, sign
from app.assessments.schemas import AssessmentCreate
from app.assessments.service import create_assessment
from app.auth.passwords import hash_secret
from app.auth.permissions import AgencyKind, Role
from app.auth.principal import Principal, PrincipalKind
from app.cases.models import Case, Person, PersonLink
from app.cases.schemas import CaseCreate, CaseUpdate, PersonCreate
from app.cases.service import create_case as open_case
from app.cases.service import create_person, update_case
from app.checklists.schemas import ChecklistCreate
from app.checklists.service import start_checklist
from app.children.schemas import ChildDetailsPut
from app.children.service import put_details
from app.consent.consents import create_consent
from app.consent.schemas import ConsentCreate, WordingCreate
from app.consent.wordings import create_wording
from app.contacts.schemas import ContactPreferencesPut
from app.contacts.service import put_preferences
from app.core.clock import utcnow
from app.core.db import sessionmaker
from app.core.vocab import CaseStage, DataCategory, Purpose
from app.court.schemas import CourtEventCreate
from app.court.service import create_event
from app.identity.models import Agency, ApiClient, Office, PersonAccount, User
from app.notes.schemas import NoteCreate
from app.notes.service import create_note
from app.protective_orders.schemas import OrderCreate
from app.protective_orders.service import create_order
from app.referrals.access import referral_actions_for
from app.referrals.lifecycle import create_referral, legal_actions, transition
from app.referrals.models import Referral, ReferralPerson
from app.referrals.schemas import ReferralCreate
from app.services.schemas import ServiceCreate
from app.services.service import create_service

DEMO_PASSWORD = "tandem-demo-2026"
SYSTEM = Principal(id=uuid.UUID(int=0), kind=PrincipalKind.system, agency_id=None, agency_kind=None,
                   roles=frozenset({Role.platform_admin}))

DEMO_AGENCIES = [
    ("Riverside County Child Protective Services", AgencyKind.cps, "Riverside County"),
    ("Harbor House DV Program", AgencyKind.dv, "Riverside County"),
    ("Safe Passage Family Justice Center", AgencyKind.dv, "Riverside County"),
]
DEMO_OFFICES = [("Riverside North Field Office", "America/Los_Angeles"),
                ("Riverside South Field Office", "America/Los_Angeles")]
DEMO_USERS = [
    # (email, full name, agency index or None, roles)
    ("platform.admin@tandem.example", "Platform Admin", None, [Role.platform_admin]),
    ("cps.admin@riverside-cps.example", "CPS Agency Admin", 0, [Role.agency_admin]),
    ("cps.auditor@riverside-cps.example", "CPS Auditor", 0, [Role.auditor]),
    ("cps.worker@riverside-cps.example", "Casey Worker", 0, [Role.cps_worker]),
    ("cps.supervisor@riverside-cps.example", "Sam Supervisor", 0, [Role.cps_supervisor]),
    ("dv.admin@harborhouse.example", "Harbor House Admin", 1, [Role.agency_admin]),
    ("dv.advocate@harborhouse.example", "Alex Advocate", 1, [Role.dv_advocate]),
    ("dv.supervisor@harborhouse.example", "Dana Supervisor", 1, [Role.dv_supervisor]),
    ("dv.advocate@safepassage.example", "Robin Advocate", 2, [Role.dv_advocate]),
]


async def create_platform_admin(email: str, password: str) -> bool:
    async with sessionmaker()() as session:
        exists = (await session.execute(select(User.id).where(func.lower(User.email) == email.lower()))).first()
        if exists:
            return False
        await service.create_user(session, SYSTEM, UserCreate(
            email=email, full_name="Platform Admin", agency_id=None, roles=[Role.platform_admin],
            password=password))
        await session.commit()
        return True


async def seed_demo() -> list[tuple[str, str, str]]:
    """Create the demo world once; running it again changes nothing. Returns (email, password, roles)."""
    logins: list[tuple[str, str, str]] = []
    async with sessionmaker()() as session:
        agencies: list[Agency] = []
        for name, kind, juris in DEMO_AGENCIES:
            agency = (await session.execute(select(Agency).where(Agency.name == name))).scalar_one_or_none()
            if agency is None:
                agency = await service.create_agency(session, SYSTEM, AgencyCreate(
                    name=name, kind=kind, jurisdiction=juris))
                if kind is AgencyKind.cps:
                    for office_name, tz in DEMO_OFFICES:
                        await service.create_office(session, SYSTEM, agency.id,
                                                    OfficeCreate(name=office_name, timezone=tz))
            agencies.append(agency)
        for email, full_name, idx, roles in DEMO_USERS:
            exists = (await session.execute(select(User.id).where(User.email == email))).first()
            if not exists:
                await service.create_user(session, SYSTEM, UserCreate(
                    email=email, full_name=full_name, agency_id=agencies[idx].id if idx is not None else None,
                    roles=roles, password=DEMO_PASSWORD))
            logins.append((email, DEMO_PASSWORD, ",".join(r.value for r in roles)))
        client = (await session.execute(select(ApiClient).where(ApiClient.name == "Harbor House case system"))
                  ).scalar_one_or_none()
        if client is None:
            client, secret = await service.create_client(session, SYSTEM, ClientCreate(
                name="Harbor House case system", agency_id=agencies[1].id, roles=[Role.dv_advocate]))
            logins.append((f"client_id={client.client_id}", f"client_secret={secret}", "dv_advocate (client)"))
        else:
            logins.append((f"client_id={client.client_id}", "(secret shown on first seed only)",
                           "dv_advocate (client)"))
        await session.commit()
    await seed_demo_casework()
    logins += await seed_demo_family()
    return logins


def _as(user: User, agency: Agency | None) -> Principal:
    return Principal(id=user.id, kind=PrincipalKind.user, agency_id=agency.id if agency else None,
                     agency_kind=AgencyKind(agency.kind) if agency else None,
                     roles=frozenset(Role(r) for r in user.roles), email=user.email)


DEMO_CASE_REFERENCE = "DEMO-2026-0001"
DEMO_WORDING = "2026-12"  # Harbor House's consent wording (Spanish), named by the consent of the worked path


async def seed_demo_casework() -> bool:
    """A worked example on top of the demo agencies, once: an active agreement between the CPS agency and
    Harbor House, a CPS case with a survivor, a child and the person using violence, the survivor's
    written consent to share with Harbor House for a referral, a sent referral, an intake checklist and an
    advocate co-located on weekdays at the north office; the records partners share about the family (a
    protective order, the next dependency hearing, a safety assessment, a shelter stay Harbor House provides and
    a legal-advocacy referral), so a Harbor House advocate can see them released under her consent. Returns
    False when it is already there."""
    async with sessionmaker()() as session:
        if (await session.execute(select(Case.id).where(Case.reference == DEMO_CASE_REFERENCE))).first():
            return False

        async def agency(name: str) -> Agency:
            return (await session.execute(select(Agency).where(Agency.name == name))).scalar_one()

        async def person(email: str) -> Principal:
            user = (await session.execute(select(User).where(User.email == email))).scalar_one()
            return _as(user, await session.get(Agency, user.agency_id) if user.agency_id else None)

        cps, harbor = await agency(DEMO_AGENCIES[0][0]), await agency(DEMO_AGENCIES[1][0])
        cps_admin = await person("cps.admin@riverside-cps.example")
        dv_admin = await person("dv.admin@harborhouse.example")
        worker = await person("cps.worker@riverside-cps.example")
        dv_supervisor = await person("dv.supervisor@harborhouse.example")
        advocate = await person("dv.advocate@harborhouse.example")
        office = (await session.execute(select(Office).where(Office.agency_id == cps.id)
                                        .order_by(Office.name))).scalars().first()
        today = utcnow().date()

        agreement = await create_agreement(session, cps_admin, AgreementCreate(
            title="Riverside CPS and Harbor House information-sharing agreement",
            party_agency_ids=[cps.id, harbor.id],
            categories=[DataCategory.identity, DataCategory.contact, DataCategory.location,
                        DataCategory.case_status, DataCategory.services, DataCategory.protective_orders,
                        DataCategory.court, DataCategory.children, DataCategory.safety_plan],
            purposes=[Purpose.referral, Purpose.service_coordination, Purpose.safety_planning,
                      Purpose.case_planning],
            effective_from=today - timedelta(days=30), expires_on=today + timedelta(days=365),
            document_sha256="3f" * 32))
        await sign(session, cps_admin, agreement)
        await sign(session, dv_admin, agreement)
        await create_wording(session, dv_admin, WordingCreate(version=DEMO_WORDING, language="es", text=(
            "Autorizo a Harbor House a compartir con el Departamento de Servicios de Protección Infantil solo la "
            "información que marco abajo, para el propósito indicado y hasta la fecha indicada. Puedo revocar "
            "esta autorización en cualquier momento.")))

        case = await open_case(session, worker, CaseCreate(
            reference=DEMO_CASE_REFERENCE, dv_indicators=["safety_threat"],
            office_id=office.id if office else None))
        survivor = await create_person(session, worker, case.id, PersonCreate(
            case_role="adult_survivor", full_name="Maria Example", language="es",
            race_ethnicity=["hispanic_or_latino"], contact={"phone": "555-0100"},
            address={"line1": "PO Box 1200", "city": "Riverside", "region": "CA", "postal_code": "92501",
                     "country": "US", "kind": "acp_substitute"},
            safe_contact_instructions="Call on weekday mornings only; if a man answers, hang up."))
        child = await create_person(session, worker, case.id, PersonCreate(
            case_role="child", full_name="Lucia Example", date_of_birth=date(2018, 4, 2),
            race_ethnicity=["hispanic_or_latino"]))
        him = await create_person(session, worker, case.id, PersonCreate(
            case_role="person_using_violence", full_name="Robert Example"))
        now = utcnow()
        consent = await create_consent(session, worker, survivor.id, ConsentCreate(
            recipient_agency_id=harbor.id, purposes=[Purpose.referral, Purpose.safety_planning],
            categories=[DataCategory.identity, DataCategory.contact, DataCategory.location,
                        DataCategory.protective_orders, DataCategory.court, DataCategory.services,
                        DataCategory.case_status],
            valid_from=now, expires_at=now + timedelta(days=60), signed_at=now, signature_method="written",
            risks_explained=True, language="es", grantor={"person_id": survivor.id, "relationship": "self"}))
        referral = await create_referral(session, worker, ReferralCreate(
            case_id=case.id, to_agency_id=harbor.id, person_ids=[survivor.id], urgency="urgent",
            reason="Safety planning and shelter options; the children's father has threatened her.",
            family_goals="Keep the children with me and stay somewhere he cannot find us.",
            consent_id=consent.id))
        await transition(session, worker, referral, "send")
        await _demo_records(session, worker, case, survivor.id, child.id, him.id, harbor.id, referral.id)
        await start_checklist(session, worker, case.id, ChecklistCreate(juncture="investigation"))
        if office is not None:
            await create_assignment(session, dv_supervisor, AssignmentCreate(
                advocate_id=advocate.id, office_id=office.id, weekdays=[0, 1, 2, 3, 4],
                start_time="09:00", end_time="17:00", starts_on=today - timedelta(days=7), ends_on=None,
                max_open_consultations=5))
        await session.commit()
    return True


async def _demo_records(
    session: AsyncSession, worker: Principal, case: Case, survivor_id: uuid.UUID, child_id: uuid.UUID,
    him_id: uuid.UUID, harbor_id: uuid.UUID, referral_id: uuid.UUID,
) -> None:
    """What the CPS worker records about the family in the worked example: the case's stage, a protective order,
    the next hearing, a safety assessment, two services, Maria's safe-contact preferences, Lucia's living
    arrangement and visitation, and a note filed under services for Harbor House to see."""
    now = utcnow()
    today = now.date()
    await update_case(session, worker, case, CaseUpdate(stage=CaseStage.investigation))
    await create_order(session, worker, survivor_id, OrderCreate(
        kind="temporary", jurisdiction="civil", court="Riverside County Superior Court", docket_number="26-DV-01234",
        protected_person_ids=[survivor_id, child_id], restrained_person_id=him_id,
        issued_on=today - timedelta(days=10), expires_on=today + timedelta(days=80),
        terms=[{"code": "no_contact"}, {"code": "stay_away", "distance_feet": 500}, {"code": "firearms_surrender"}],
        service_status="served", served_on=today - timedelta(days=8)))
    hearing = datetime.combine(today + timedelta(days=14), time(16, 0), tzinfo=UTC)
    await create_event(session, worker, case.id, CourtEventCreate(
        court_kind="dependency", kind="adjudication", scheduled_for=hearing, courtroom="Department 7",
        court_case_number="J-2026-0417"))
    await create_assessment(session, worker, survivor_id, AssessmentCreate(
        instrument="cps_safety_assessment", administered_at=now - timedelta(days=9),
        result_level="conditionally_safe"))
    await create_service(session, worker, survivor_id, ServiceCreate(
        kind="shelter", provider_agency_id=harbor_id, referred_at=now - timedelta(days=2),
        first_contact_at=now - timedelta(days=1), started_at=now - timedelta(hours=20), status="started",
        barriers=["transport"], referral_id=referral_id))
    await create_service(session, worker, survivor_id, ServiceCreate(
        kind="legal_advocacy", provider_name="Riverside Legal Aid", referred_at=now - timedelta(days=1),
        status="referred"))
    await put_preferences(session, worker, survivor_id, ContactPreferencesPut(
        channels=["text", "call"], safe_times=[{"weekdays": ["mon", "tue", "wed", "thu", "fri"],
                                                "start": "09:00", "end": "11:00"}],
        timezone="America/Los_Angeles", voicemail_ok=False, code_word="marigold", ask_if_safe_first=True), None)
    await put_details(session, worker, child_id, ChildDetailsPut(
        living_arrangement={"kind": "with_survivor", "with_whom": ["survivor_parent"]},
        visitation={"kind": "supervised", "supervisor_kind": "visitation_center"}), None)
    await create_note(session, worker, case.id, NoteCreate(
        text="Maria moved into the Harbor House shelter with Lucia; transport to school is the open question.",
        audience="shared", category="services", person_id=survivor_id))


ADVOCATE = "dv.advocate@harborhouse.example"
WORKER = "cps.worker@riverside-cps.example"
NEXT_STEP = {"acknowledge": "acknowledge", "accept": "accept", "decline": "decline (with a reason)"}


class WorkedExample(NamedTuple):
    """The demo referral as it is now, and the ids the printed path names."""

    referral_id: str
    status: str
    actions: list[str]  # what Alex Advocate may do with the referral now
    case_id: str
    survivor_id: str  # Maria's record at Riverside CPS
    cps_agency_id: str
    office_id: str | None
    linked_person_id: str | None  # Harbor House's own record of Maria, once the referral was accepted with records


async def worked_example_state() -> WorkedExample | None:
    """The worked example as it is now, or None without it. What an earlier run of the demo did stays done."""
    async with sessionmaker()() as session:
        referral = (await session.execute(
            select(Referral).join(Case, Case.id == Referral.case_id)
            .where(Case.reference == DEMO_CASE_REFERENCE).order_by(Referral.created_at))).scalars().first()
        user = (await session.execute(select(User).where(User.email == ADVOCATE))).scalar_one_or_none()
        if referral is None or user is None:
            return None
        case = await session.get(Case, referral.case_id)
        assert case is not None
        advocate = _as(user, await session.get(Agency, user.agency_id) if user.agency_id else None)
        actions = referral_actions_for(advocate, referral, legal_actions(referral.status))
        survivor_id = (await session.execute(select(ReferralPerson.person_id).where(
            ReferralPerson.referral_id == referral.id).order_by(ReferralPerson.created_at))).scalars().first()
        link = (await session.execute(
            select(PersonLink.linked_person_id).where(PersonLink.person_id == survivor_id,
                                                      PersonLink.ended_at.is_(None))
            .order_by(PersonLink.created_at))).scalars().first()
        return WorkedExample(str(referral.id), referral.status, actions, str(case.id), str(survivor_id),
                             str(case.agency_id), str(case.office_id) if case.office_id else None,
                             str(link) if link else None)


def _step(who: str, line: str, *more: str) -> list[str]:
    return [f"  {who:<10} {line}", *(f"  {'':<10} {m}" for m in more)]


def worked_example_text(state: WorkedExample | None) -> str:
    """The whole path between the two agencies, as calls to make in /docs (log in as the one named), with the
    demo's ids filled in; what an earlier run already did is said, never offered again."""
    if state is None:
        return ""
    url = f"/api/v1/referrals/{state.referral_id}"
    case = f"/api/v1/cases/{state.case_id}"
    theirs = state.linked_person_id or "<linked_person_ids[0] from the accept answer>"
    lines = [*textwrap.wrap(
        f"Worked example (case {DEMO_CASE_REFERENCE}): an active agreement between Riverside CPS and Harbor House, "
        "Maria's written consent, an urgent referral to Harbor House, an investigation checklist, Alex Advocate on "
        "duty weekdays 09:00-17:00 (Pacific) at the north field office, and what CPS recorded about the family "
        "(a protective order, the next dependency hearing, a safety assessment, a shelter stay at Harbor House, "
        "safe-contact preferences, a shared note). The path, as calls in /docs (log in as the one named; "
        "cps = " + WORKER + ", advocate = " + ADVOCATE + "; docs/walkthrough.md gives each body):", 110,
        break_on_hyphens=False), ""]
    lines += _step("cps", 'POST /api/v1/consultations {"case_id": "' + state.case_id + '", "office_id": "'
                   + (state.office_id or "") + '", "question": "...", "urgency": "routine"}',
                   "(routed to the advocate on duty: a task in her GET /api/v1/tasks; /accept, /respond)")
    lines.append(f"  The referral is {state.status} now.")
    if state.status == "sent":
        lines += _step("advocate", f"POST {url}/acknowledge   then   POST {url}/accept "
                       '{"create_records": true}', "(Harbor House's own case and record of Maria, linked, "
                       "made from what her consent released, and accounted for)")
    elif state.actions:
        lines += _step("advocate", *[f"POST {url}/{a}" + (' {"create_records": true}' if a == "accept" else "")
                                     for a in state.actions])
    else:
        lines += _step("advocate", f"(nothing is left for Harbor House to do on it: it is {state.status})")
    lines += _step("advocate", f"GET  {url}/people   (released through Maria's consent, and accounted for)")
    lines += _step("advocate", f"PUT  /api/v1/people/{theirs}/safety-plan-summary",
                   "(elements she marks shareable, or not)")
    lines += _step("advocate", f"POST /api/v1/people/{theirs}/disclosure-preview "
                   '{"recipient_agency_id": "' + state.cps_agency_id + '", "purpose": "case_planning", '
                   '"categories": ["safety_plan"]}', "(what CPS would receive now; with \"as_if_signed\": [the consent's categories], what it would",
                   "receive once she signed it: shown to her before she signs)")
    lines += _step("advocate", f"POST /api/v1/people/{theirs}/consents  (to Riverside CPS, "
                   '"categories": [{"category": "safety_plan", "elements": ["school_pickup"]}],',
                   f'"wording_version": "{DEMO_WORDING}", "risks": [...], "witness": {{...}})')
    lines += _step("cps", "GET  /api/v1/shared-with-us   (what Harbor House's consents let CPS ask for)")
    lines += _step("cps", 'POST /api/v1/disclosures {"linked_person_id": "' + state.survivor_id + '", '
                   '"purpose": "case_planning", "categories": ["safety_plan"]}',
                   "(asked by CPS's own record of Maria: only the element she chose leaves)")
    lines += _step("cps", f'POST {case}/checklists {{"juncture": "family_meeting"}}, mark its items, /complete;',
                   f'POST {case}/junctures {{"juncture": "family_meeting", "scheduled_for": "..."}}',
                   "(a task for the advocate linked to the case: GET /api/v1/tasks as the advocate)")
    lines += _step("cps", f'the same for "court", then POST {case}/court-events')
    lines += _step("cps", f'the "closure" checklist, then POST {case}/close {{"reason": "services_completed"}}',
                   "(lists what stays open with Harbor House: the link, the consent, the referral, each to end "
                   "or keep)")
    lines.append(f"  Maria herself ({DEMO_FAMILY_USERNAME}, the demo password; Authorize in /docs with them):")
    lines += _step("maria", "GET  /api/v1/my/consents   GET /api/v1/my/disclosures   (her receipts and her accounting,",
                   "in Spanish)")
    lines += _step("maria", "POST /api/v1/my/consents/{id}/revoke   (Harbor House's next POST /api/v1/disclosures is "
                   "refused)")
    lines += _step("maria", "POST /api/v1/my/lock   (her safety lock: every session ends; only a new invitation "
                   "opens it)")
    return "\n".join(lines)


def print_logins(logins: list[tuple[str, str, str]], state: WorkedExample | None = None) -> None:
    print("Demo logins (password grant at /api/v1/auth/token, or Authorize in /docs):")
    for who, secret, roles in logins:
        print(f"  {who:45} {secret:30} {roles}")
    text = worked_example_text(state)
    if text:
        print("\n" + text)


DEMO_FAMILY_USERNAME = "maria.example"


async def seed_demo_family() -> list[tuple[str, str, str]]:
    """The worked example's survivor in her own view, once: an open access for Maria Example with a known
    username and the demo passphrase (a real family gets a one-time invitation code instead), so she can log in
    through /docs. Returns her login line (none without the worked example)."""
    async with sessionmaker()() as session:
        survivor = (await session.execute(
            select(Person).join(Case, Case.id == Person.case_id)
            .where(Case.reference == DEMO_CASE_REFERENCE, Person.case_role == "adult_survivor"))).scalars().first()
        if survivor is None:
            return []
        exists = (await session.execute(select(PersonAccount.id).where(PersonAccount.person_id == survivor.id))).first()
        if not exists:
            session.add(PersonAccount(person_id=survivor.id, agency_id=survivor.agency_id,
                                      username=DEMO_FAMILY_USERNAME, passphrase_hash=hash_secret(DEMO_PASSWORD)))
            await session.commit()
    return [(DEMO_FAMILY_USERNAME, DEMO_PASSWORD, "person (her own view: /api/v1/my)")]
