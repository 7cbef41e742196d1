"""Rows for report tests, written straight through the models (many rows, quickly)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.advocates.models import Consultation
from app.cases.models import Case, Person
from app.checklists.models import Checklist, ChecklistTemplate, JunctureRecord
from app.core.db import metadata, sessionmaker
from app.court.models import CourtEvent, CourtFinding
from app.protective_orders.models import ProtectiveOrder
from app.referrals.models import Referral, ReferralPerson
from app.services.models import Service

# The service clock in report tests; reports cover years that have ended, so the rows go into 2025.
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
YEAR = "2025"
YEAR_END = datetime(2026, 1, 1, tzinfo=UTC)
RECENT = datetime(2025, 5, 22, 12, 0, tzinfo=UTC)


class Ledger:
    """Collects rows; `await ledger.save()` writes them in one transaction."""

    def __init__(self) -> None:
        self.rows: list[Any] = []
        self.templates: dict[tuple[Any, str], ChecklistTemplate] = {}

    def _add(self, row: Any) -> Any:
        self.rows.append(row)
        return row

    def case(self, agency: Any, office: Any = None, indicators: tuple[str, ...] = ("allegation",),
             created_at: datetime = RECENT) -> Case:
        return self._add(Case(agency_id=agency.id, reference=f"R-{uuid.uuid4().hex[:8]}",
                              dv_indicators=list(indicators), office_id=office.id if office else None,
                              created_at=created_at))

    def person(self, case: Case, role: str = "child", race: tuple[str, ...] = ()) -> Person:
        return self._add(Person(case_id=case.id, agency_id=case.agency_id, case_role=role,
                                full_name="Report Test Person", race_ethnicity=list(race),
                                created_at=case.created_at))

    def referral(self, case: Case, to_agency: Any, *, sent_at: datetime | None = RECENT, status: str = "sent",
                 from_agency_id: Any = None, ack_h: float | None = None, accept_h: float | None = None,
                 decline_h: float | None = None, respond_by: datetime | None = None,
                 people: tuple[Person, ...] = ()) -> Referral:
        def after(h: float | None) -> datetime | None:
            return sent_at + timedelta(hours=h) if sent_at is not None and h is not None else None

        ref = self._add(Referral(case_id=case.id, from_agency_id=from_agency_id or case.agency_id,
                                 to_agency_id=to_agency.id, status=status, sent_at=sent_at,
                                 acknowledged_at=after(ack_h), accepted_at=after(accept_h),
                                 declined_at=after(decline_h), respond_by=respond_by,
                                 created_at=sent_at or RECENT))
        for p in people:
            self._add(ReferralPerson(referral_id=ref.id, person_id=p.id))
        return ref

    def juncture(self, case: Case, juncture: str, *, overridden: bool = False,
                 recorded_at: datetime = RECENT, safety_factors: tuple[str, ...] = ()) -> JunctureRecord:
        return self._add(JunctureRecord(case_id=case.id, agency_id=case.agency_id, juncture=juncture,
                                        scheduled_for=recorded_at, overridden=overridden,
                                        recorded_at=recorded_at, safety_factors=list(safety_factors)))

    def checklist(self, case: Case, juncture: str, *, completed: bool, created_at: datetime = RECENT) -> Checklist:
        key = (case.agency_id, juncture)
        if key not in self.templates:
            self.templates[key] = self._add(ChecklistTemplate(agency_id=case.agency_id, juncture=juncture,
                                                              revision=1, items=[]))
        return self._add(Checklist(case_id=case.id, agency_id=case.agency_id, juncture=juncture,
                                   template_id=self.templates[key].id,
                                   status="completed" if completed else "open",
                                   completed_at=created_at + timedelta(hours=1) if completed else None,
                                   created_at=created_at))

    def consultation(self, case: Case, office: Any, *, dv_agency: Any = None, created_at: datetime = RECENT,
                     respond_h: float | None = None) -> Consultation:
        responded_at = created_at + timedelta(hours=respond_h) if respond_h is not None else None
        return self._add(Consultation(
            case_id=case.id, office_id=office.id, cps_agency_id=case.agency_id, urgency="routine",
            status="responded" if responded_at else "queued", question_enc="sealed",
            dv_agency_id=dv_agency.id if dv_agency else None, created_at=created_at, responded_at=responded_at))

    def service(self, case: Case, person: Person, *, started_at: datetime | None,
                created_at: datetime = RECENT, status: str = "started") -> Service:
        return self._add(Service(agency_id=case.agency_id, case_id=case.id, person_id=person.id,
                                 kind="counselling", status=status, barriers=[], started_at=started_at,
                                 created_at=created_at))

    def order(self, case: Case, person: Person, *, issued_on: date, expires_on: date | None = None,
              vacated_on: date | None = None, created_at: datetime = RECENT) -> ProtectiveOrder:
        return self._add(ProtectiveOrder(agency_id=case.agency_id, case_id=case.id, person_id=person.id,
                                         kind="temporary", jurisdiction="civil", protected_person_ids=[str(person.id)],
                                         issued_on=issued_on, expires_on=expires_on, vacated_on=vacated_on,
                                         term_codes=[], created_at=created_at))

    def finding(self, case: Case, against: Person, *, code: str = "failure_to_protect",
                when: datetime = RECENT) -> CourtFinding:
        event = self._add(CourtEvent(agency_id=case.agency_id, case_id=case.id, court_kind="dependency",
                                     kind="adjudication", scheduled_for=when, created_at=when))
        return self._add(CourtFinding(court_event_id=event.id, case_id=case.id, agency_id=case.agency_id,
                                      position=0, code=code, against_person_id=against.id, created_at=when))

    async def save(self) -> None:
        order = {t.name: i for i, t in enumerate(metadata.sorted_tables)}  # parents before children
        async with sessionmaker()() as s:
            for row in sorted(self.rows, key=lambda r: order[r.__table__.name]):
                s.add(row)
                await s.flush()
            await s.commit()
        self.rows = []
