"""Disclosures: apply the disclosure rule and keep the accounting.

Public contract for other domains (referrals, checklists):
- `disclose(session, principal, person_id, purpose, categories, *, context=None, referral_active=None)
  -> DisclosureResult` (raises `PersonNotLinked`, a 404, after writing the refused request to the accounting
  and audit trail; the error keeps those writes: the session dependency commits them before answering).
  `referral_active=False`: asked through a referral that no longer links the agencies (the rule withholds
  every category as `referral_not_active`).
- `disclose_held(session, principal, person, purpose, held, *, context=None, referral_active=None, facts=None)
  -> DisclosureResult`: the same rule, accounting and audit for data another domain holds (checklists: notes
  the owning agency wrote; referrals: the free text written about the family), with the same
  `referral_active` reach; `facts`: what `rules.read_facts` read about the person for the caller's agency, when
  the caller found the person with it (referrals read the people named and the rule's facts in one statement).

Every disclosure, whichever door it comes through, takes one path (`_apply_rule`): `rules.decide` gives each
category a basis or a `Reason` (and, under a consent naming some elements, those elements), `_evaluate` reads
what was released and cuts it down to the consented elements (`elements.restrict`), one accounting row is
written, and the request is audited in one place. `preview` evaluates the same rule for a named recipient
agency (`rules.decide_for_agency`) and the same `_evaluate`, and writes only an audit event.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases.links import resolve_linked_person
from app.cases.models import Case, Person
from app.cases.service import get_person_for_owner, person_payload
from app.consent import access, elements, rules
from app.consent.models import Consent, Disclosure, NotificationTask
from app.consent.rules import Basis, Reason
from app.consent.schemas import stored_scope
from app.core.clock import utcnow
from app.core.errors import Invalid, NotFound
from app.core.pagination import PageParams, paginate
from app.core.sql import Prebuilt, rows_together
from app.core.vocab import DataCategory, Purpose
from app.identity.models import Agency, Office, User
from app.outbox.events import emit
from app.trail.recorder import record

REDISCLOSURE_NOTICE = (
    "Federal confidentiality notice (42 CFR part 2): the substance use information released here comes from "
    "records protected by federal law. You may not pass it on to anyone else unless the person it concerns has "
    "expressly agreed to that further disclosure in writing, or 42 CFR part 2 otherwise allows it; a general "
    "authorization to release medical or other information is not enough. The information may not be used to "
    "investigate or bring criminal charges against the person it concerns."
)

ACP_NOTE = ("Address confidentiality program substitute address: the only address held for this person. "
            "Use it for all mail and service; the actual address is not held and must not be sought.")


class PersonNotLinked(NotFound):
    """The person does not exist or the caller's agency has no link to them (answered as 404). The refused
    request written to the accounting and audit trail before it is raised is kept (`keep_writes`)."""

    keep_writes = True

    def __init__(self) -> None:
        super().__init__("person")


@dataclass(frozen=True)
class Sourced:
    """What one source holds of a category about a person: the data (a JSON-ready dict), when it last changed
    (`as_of`, None when unknown) and which elements of the category it carries (e.g. the safety-plan elements
    she marked shareable; empty when the category is released whole)."""

    data: dict[str, Any]
    as_of: datetime | None = None
    elements: tuple[str, ...] = ()


# Where each category's data comes from: category -> the sources that hold part of it, each
# async (session, person, payload) -> Sourced | None. A category may have several sources (a domain's records
# and the notes filed under the category); their data is merged under distinct keys.
CategorySource = Callable[[AsyncSession, Person, dict[str, Any]], Awaitable[Sourced | None]]
CATEGORY_SOURCES: dict[str, list[CategorySource]] = {}

# async (categories) -> {category: what is on file}: how one disclosure path reads the categories released.
Fetch = Callable[[list[str]], Awaitable[dict[str, Sourced | None]]]

# async (session, person, payload, categories) -> {category: Sourced | None}: one read for several categories.
CategoryBatch = Callable[[AsyncSession, Person, dict[str, Any], list[str]], Awaitable[dict[str, Sourced | None]]]


class BatchedSource:
    """The source of one category that is read together with the other categories of the same batch: when a
    request releases several of them, `read_categories` calls the batch once for all (e.g. the shared notes of
    every category in one statement). Called alone it reads its own category."""

    __name__: str

    def __init__(self, batch: CategoryBatch, category: str, name: str) -> None:
        self.batch = batch
        self.category = category
        self.__name__ = name

    async def __call__(self, session: AsyncSession, person: Person, payload: dict[str, Any]) -> Sourced | None:
        return (await self.batch(session, person, payload, [self.category])).get(self.category)


class StatementBatch:
    """A batch (`BatchedSource.batch`) that is one select built once: `params(person, categories)` are its
    parameters and `shape(rows, person, payload, categories)` what its rows hold of each category. A request
    reads the selects of every such batch it needs in one round trip (`read_categories`, `rows_together`)."""

    def __init__(self, statement: Prebuilt, params: Callable[[Person, list[str]], dict[str, Any]],
                 shape: Callable[[list[Any], Person, dict[str, Any], list[str]], dict[str, Sourced | None]]) -> None:
        self.statement, self.params, self.shape = statement, params, shape

    async def __call__(self, session: AsyncSession, person: Person, payload: dict[str, Any],
                       categories: list[str]) -> dict[str, Sourced | None]:
        rows = await self.statement.rows(session, self.params(person, categories))
        return self.shape(rows, person, payload, categories)


def statement_source(category: DataCategory, statement: Prebuilt, params: Callable[[Person], dict[str, Any]],
                     shape: Callable[[list[Any], Person, dict[str, Any]], Sourced | None], name: str) -> BatchedSource:
    """The source of one category that is one select built once (read with the other selects a request needs,
    in one round trip): `params(person)`, `shape(rows, person, payload)`."""
    batch = StatementBatch(statement, lambda person, _: params(person),
                           lambda rows, person, payload, _: {category.value: shape(rows, person, payload)})
    return BatchedSource(batch, category.value, name)


def sourced_by_category(held: Mapping[str, list[Any]], categories: list[str], key: str,
                        item: Callable[[Any], dict[str, Any]]) -> dict[str, Sourced | None]:
    """What a batch's records hold of each category asked: its records (`held[category]`, each released as
    `item(record)`) in a list under `key`, as of the latest change among them; None when it holds none."""
    out: dict[str, Sourced | None] = {}
    for category in categories:
        records = held.get(category)
        out[category] = None if not records else Sourced(
            {key: [item(r) for r in records]}, max(r.updated_at or r.created_at for r in records))
    return out


def register_category_source(category: DataCategory | str, source: CategorySource) -> None:
    """Let a domain that holds (part of) a category's data supply it to released disclosures. Registering the
    same function twice has no effect."""
    sources = CATEGORY_SOURCES.setdefault(str(category), [])
    if source not in sources:
        sources.append(source)


def merge_sourced(parts: Iterable[Sourced | None]) -> Sourced | None:
    """One category's data from its sources: keys merged, the latest `as_of`, the elements of each in order.
    None when no source holds anything."""
    found = [p for p in parts if p is not None]
    if not found:
        return None
    data: dict[str, Any] = {}
    elements: list[str] = []
    for part in found:
        data.update(part.data)
        elements.extend(e for e in part.elements if e not in elements)
    stamps = [p.as_of for p in found if p.as_of is not None]
    return Sourced(data=data, as_of=max(stamps) if stamps else None, elements=tuple(elements))


async def read_categories(
    session: AsyncSession, person: Person, payload: dict[str, Any], categories: list[str]
) -> dict[str, Sourced | None]:
    """Everything on file of each category about the person, from every registered source; the sources of one
    batch (`BatchedSource`) are read once for all the categories asked."""
    batches: dict[CategoryBatch, list[str]] = {}
    for category in categories:
        for source in CATEGORY_SOURCES.get(category, []):
            if isinstance(source, BatchedSource):
                batches.setdefault(source.batch, []).append(category)
    # The selects of every statement batch in one round trip, then the other batches one by one.
    selects = [b for b in batches if isinstance(b, StatementBatch)]
    params = [b.params(person, batches[b]) for b in selects]
    rows = await rows_together(session, [(b.statement, p) for b, p in zip(selects, params, strict=True)])
    batched: dict[CategoryBatch, dict[str, Sourced | None]] = {
        b: b.shape(r, person, payload, batches[b]) for b, r in zip(selects, rows, strict=True)}
    for batch, cats in batches.items():
        if batch not in batched:
            batched[batch] = await batch(session, person, payload, cats)
    out: dict[str, Sourced | None] = {}
    for category in categories:
        parts = []
        for source in CATEGORY_SOURCES.get(category, []):
            if isinstance(source, BatchedSource):
                parts.append(batched[source.batch].get(category))
            else:
                parts.append(await source(session, person, payload))
        out[category] = merge_sourced(parts)
    return out


def _person_as_of(person: Person) -> datetime:
    return person.updated_at or person.created_at


async def _identity(session: AsyncSession, person: Person, payload: dict[str, Any]) -> Sourced | None:
    data = dict(payload["identity"])
    data.pop("race_ethnicity", None)  # kept for aggregate reporting only, never released about one person
    return Sourced(data, _person_as_of(person))


async def _contact(session: AsyncSession, person: Person, payload: dict[str, Any]) -> Sourced | None:
    data = payload["contact"]
    return Sourced(data, _person_as_of(person)) if any(v is not None for v in data.values()) else None


async def _location(session: AsyncSession, person: Person, payload: dict[str, Any]) -> Sourced | None:
    address = payload["location"]["address"]
    if address is None:
        return None
    if address.get("kind") == "acp_substitute":
        # Only the substitute is ever stored for a program participant: release it, marked as such.
        return Sourced({"address": address, "acp_substitute": True, "note": ACP_NOTE}, _person_as_of(person))
    return Sourced({"address": address, "acp_substitute": False}, _person_as_of(person))


# Built once; the case is bound at each read.
_CASE_STATUS = Prebuilt(
    sa.select(Case.status, Case.stage, Case.updated_at, Case.created_at, User.id.label("worker_id"),
              User.full_name.label("worker_name"), Office.id.label("office_id"), Office.name.label("office_name"))
    .select_from(Case).outerjoin(User, User.id == Case.assigned_worker_id)
    .outerjoin(Office, Office.id == Case.office_id).where(Case.id == sa.bindparam("case_id"))
)


def _case_status(rows: list[Any], person: Person, payload: dict[str, Any]) -> Sourced | None:
    """The state of the person's case as a partner needs it: open or closed, the stage of the work, and the
    assigned worker with the case's office (staff details, so the partner knows whom to call). The next
    scheduled juncture comes from the checklists' source of the same category."""
    if not rows:
        return None
    status, stage, updated_at, created_at, worker_id, worker_name, office_id, office_name = rows[0]
    data = {
        "status": status, "stage": stage,
        "assigned_worker": None if worker_id is None else {"id": str(worker_id), "full_name": worker_name},
        "office": None if office_id is None else {"id": str(office_id), "name": office_name},
    }
    return Sourced(data, updated_at or created_at)


for _cat, _src in ((DataCategory.identity, _identity), (DataCategory.contact, _contact),
                   (DataCategory.location, _location)):
    register_category_source(_cat, _src)
register_category_source(DataCategory.case_status, statement_source(
    DataCategory.case_status, _CASE_STATUS, lambda person: {"case_id": person.case_id}, _case_status, "case_status"))


class WithheldItem(BaseModel):
    """A category the rule withheld, and why."""

    model_config = ConfigDict(frozen=True)

    category: str
    reason: Reason


class ReleasedMeta(BaseModel):
    """Where a released category comes from and how fresh it is: the record's last change (`as_of`), the agency
    that holds it, and the elements released (empty: the whole category)."""

    model_config = ConfigDict(frozen=True)

    as_of: datetime | None
    agency_id: uuid.UUID
    elements: list[str] = Field(default_factory=list)


class DisclosureResult(BaseModel):
    """What one disclosure request released (data by category, with the basis of each) and withheld (with
    reasons), as every caller receives it: POST /disclosures answers it, referrals and checklists shape it."""

    id: uuid.UUID
    person_id: uuid.UUID
    purpose: str
    created_at: datetime
    released: dict[str, Any] = Field(default_factory=dict)
    withheld: list[WithheldItem] = Field(default_factory=list)
    released_basis: dict[str, str] = Field(default_factory=dict)
    released_meta: dict[str, ReleasedMeta] = Field(default_factory=dict)
    basis: str = "none"
    redisclosure_notice: str | None = None
    notification_task_id: uuid.UUID | None = None


def _overall_basis(released_basis: dict[str, str]) -> str:
    kinds = set(released_basis.values())
    return "none" if not kinds else kinds.pop() if len(kinds) == 1 else "mixed"


def _outcome(decisions: list[rules.CategoryDecision], released: dict[str, Any]) -> str:
    if any(d.reason is Reason.no_link for d in decisions):
        return "refused"
    if not released:
        return "withheld"
    return "released" if len(released) == len(decisions) else "partial"


def _clean_context(context: dict[str, Any] | None) -> dict[str, str]:
    """Context is ids only (e.g. {"referral_id": ...}); values are kept as short strings."""
    return {str(k)[:40]: str(v)[:80] for k, v in (context or {}).items()}


def _requester(principal: Principal) -> dict[str, Any]:
    return {"requester_agency_id": principal.agency_id, "requester_type": principal.kind,
            "requester_id": str(principal.id)[:300]}


@dataclass(frozen=True, slots=True)
class Accounted:
    """What the request needs of the accounting row it wrote (the row itself is inserted with Core: an ORM
    object and a flush cost more than the rule's own work on a read)."""

    id: uuid.UUID
    agency_id: uuid.UUID
    basis: str
    outcome: str
    created_at: datetime


# The accounting row's INSERT, built once: every column bound by name, so the statement's shape never changes.
_ACCOUNT = Prebuilt(sa.insert(Disclosure.__table__).values(
    {c.key: sa.bindparam(c.key, type_=c.type) for c in Disclosure.__table__.c}))


async def _audit_request(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, row: Accounted | None
) -> None:
    """The audit of one disclosure request, written after its accounting row (`row`; None when the id names
    no one). The agency holding the record gets an event on the row, whatever the outcome. A refused request
    (or an unknown id) also leaves the requester's own trail one event on the id it asked about, alike in
    both cases; the caller then answers 404 (PersonNotLinked, which keeps these writes)."""
    if row is not None:
        await record(session, principal, "disclosure.request", "disclosure", row.id, outcome=row.outcome,
                     agency_id=row.agency_id)
    if row is None or row.outcome == "refused":
        await record(session, principal, "disclosure.request", "person", person_id, outcome="not_found")


async def disclose(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, purpose: str, categories: Iterable[str],
    *, context: dict[str, Any] | None = None, referral_active: bool | None = None,
) -> DisclosureResult:
    """Apply the disclosure rule for the caller's agency now; account for and audit the request, granted or
    not, in the caller's transaction. A person the caller's agency has no link to is a 404 (PersonNotLinked),
    raised after the refused request is written; the requester's agency is left the same trace as for an id
    that names no one (the owning agency alone keeps the refused request in its accounting and trail).
    `referral_active`: for a request made through a referral, whether it still links the two agencies."""
    purpose = Purpose(purpose).value
    cats = list(dict.fromkeys(DataCategory(c).value for c in categories))
    ctx = _clean_context(context)
    person_id = uuid.UUID(str(person_id))
    # The person, whether the caller's agency is linked to them, and what the rule reads, in one statement.
    found = (await rules.read_facts(session, [person_id], principal.agency_id)).get(person_id)
    if found is None:
        await _audit_request(session, principal, person_id, None)
        raise PersonNotLinked()
    person, facts = found
    linked = await access.may_ask_about(session, principal, person, facts.linked)

    async def from_record(categories: list[str]) -> dict[str, Sourced | None]:
        held = [c for c in categories if CATEGORY_SOURCES.get(c)]
        return await read_categories(session, person, person_payload(person), held) if held else {}

    reach = rules.Reach(linked=linked, referral_active=referral_active)
    return await _apply_rule(session, principal, person, purpose, cats, ctx, from_record, reach, facts)


async def request_disclosure(
    session: AsyncSession, principal: Principal, purpose: str, categories: Iterable[str], *,
    person_id: uuid.UUID | None = None, linked_person_id: uuid.UUID | None = None,
) -> DisclosureResult:
    """POST /disclosures: about `person_id`, or about the other agency's record linked to the caller's own
    person `linked_person_id` (resolved through an active link; the link's id goes into the accounting's
    context). Without an active link (never made, ended, or a person the caller may not see) the request is
    answered 404 and leaves the caller's trail the same trace as an unknown id; nothing is searched for."""
    if linked_person_id is None:
        assert person_id is not None
        return await disclose(session, principal, person_id, purpose, categories)
    resolved = await resolve_linked_person(session, principal, linked_person_id)
    if resolved is None:
        await _audit_request(session, principal, linked_person_id, None)
        raise PersonNotLinked()
    other_id, link_id = resolved
    return await disclose(session, principal, other_id, purpose, categories,
                          context={"person_link_id": str(link_id)})


async def disclose_held(
    session: AsyncSession, principal: Principal, person: Person, purpose: str,
    held: Mapping[str, Sourced | dict[str, Any] | None], *, context: dict[str, Any] | None = None,
    referral_active: bool | None = None, facts: rules.Facts | None = None,
) -> DisclosureResult:
    """Apply the disclosure rule to data another domain holds about the person and has already shown the
    caller may be shown at all (e.g. checklist notes the owning agency wrote, read by a linked advocate; a
    referral's free text, read by the receiving agency).

    `held` maps each category asked for to the data on file (a `Sourced`, or a plain dict when its freshness is
    not known; None: nothing). Accounted for and audited like `disclose`, in the caller's transaction; the
    caller releases only what `released` names. `referral_active`: as for `disclose`. `facts`: what
    `rules.read_facts` read about the person for the caller's agency in this request, if the caller read it
    (with the people it found); else it is read here."""
    purpose = Purpose(purpose).value
    cats = list(dict.fromkeys(DataCategory(c).value for c in held))

    async def from_caller(categories: list[str]) -> dict[str, Sourced | None]:
        out: dict[str, Sourced | None] = {}
        for category in categories:
            data = held.get(category)
            out[category] = Sourced(data) if isinstance(data, dict) else data
        return out

    return await _apply_rule(session, principal, person, purpose, cats, _clean_context(context), from_caller,
                             rules.Reach(referral_active=referral_active), facts)


@dataclass
class _Outcome:
    """What the rule and the sources give for one request, before anything is written."""

    decisions: list[rules.CategoryDecision]
    released: dict[str, Any]
    released_basis: dict[str, str]
    released_meta: dict[str, ReleasedMeta]
    released_elements: dict[str, list[str]]
    withheld: list[WithheldItem]
    consent_ids: set[str]
    mandate_ids: set[str]

    @property
    def notice(self) -> str | None:
        return REDISCLOSURE_NOTICE if DataCategory.substance_use.value in self.released else None


async def _evaluate(
    session: AsyncSession, person: Person, cats: list[str], decisions: list[rules.CategoryDecision],
    fetch: Fetch,
) -> _Outcome:
    """Read the data of the categories the rule released (`fetch`, once for all of them), cut down to the
    consented elements."""
    out = _Outcome(decisions, {}, {}, {}, {}, [], set(), set())
    released = [d.category for d in decisions if d.released]
    held = await fetch(released) if released else {}
    for d in decisions:
        found = held.get(d.category) if d.released else None
        if found is not None and d.elements is not None:
            # A consent to some elements: cut what the sources hold down to those, here and nowhere else.
            data, kept = elements.restrict(d.category, found.data, d.elements)
            found = Sourced(data, found.as_of, tuple(kept)) if data else None
            if found is not None:
                out.released_elements[d.category] = kept
        if found is None:  # what the elements cut away reads as no_data too: it never says what else is on file
            out.withheld.append(WithheldItem(category=d.category, reason=d.reason or Reason.no_data))
            continue
        out.released[d.category] = found.data
        out.released_meta[d.category] = ReleasedMeta(as_of=found.as_of, agency_id=person.agency_id,
                                                     elements=list(found.elements))
        assert d.basis is not None
        out.released_basis[d.category] = d.basis.value
        if d.consent_id:
            out.consent_ids.add(str(d.consent_id))
        if d.mandate_id:
            out.mandate_ids.add(str(d.mandate_id))
    return out


async def _apply_rule(
    session: AsyncSession, principal: Principal, person: Person, purpose: str, cats: list[str],
    ctx: dict[str, str], fetch: Fetch, reach: rules.Reach, facts: rules.Facts | None = None,
) -> DisclosureResult:
    """The one path of every disclosure: decide each category now, read the data of those released
    (`fetch`), write the accounting row and the audit, and open a notification task for what a legal mandate
    released. A refused request (no link) is answered 404 once written."""
    decisions = await rules.decide(session, principal, person, purpose, cats, reach, facts)
    ev = await _evaluate(session, person, cats, decisions, fetch)
    released_basis, mandate_ids = ev.released_basis, ev.mandate_ids
    notice = ev.notice
    row = Accounted(id=uuid.uuid4(), agency_id=person.agency_id, basis=_overall_basis(released_basis),
                    outcome=_outcome(decisions, ev.released), created_at=utcnow())
    await _ACCOUNT.defer(session, {
        "id": row.id, "created_at": row.created_at, "person_id": person.id, "agency_id": row.agency_id,
        **_requester(principal), "purpose": purpose, "categories_requested": cats,
        "categories_released": list(ev.released), "withheld": [w.model_dump(mode="json") for w in ev.withheld],
        "released_basis": released_basis, "released_elements": ev.released_elements or None,
        "basis": row.basis, "outcome": row.outcome, "consent_ids": sorted(ev.consent_ids),
        "mandate_ids": sorted(mandate_ids), "context": ctx, "redisclosure_notice": notice is not None})
    await _audit_request(session, principal, person.id, row)
    if row.outcome == "refused":
        raise PersonNotLinked()
    result = DisclosureResult(id=row.id, person_id=person.id, purpose=purpose, created_at=row.created_at,
                              released=ev.released, withheld=ev.withheld, released_basis=released_basis,
                              released_meta=ev.released_meta, basis=row.basis, redisclosure_notice=notice)
    mandated = [c for c, b in released_basis.items() if b == Basis.legal_mandate.value]
    if mandated:
        task = NotificationTask(kind="release_notice", person_id=person.id, case_id=person.case_id,
                                agency_id=person.agency_id,
                                disclosure_id=row.id, requester_agency_id=principal.agency_id,
                                categories=mandated, mandate_ids=sorted(mandate_ids))
        session.add(task)
        await session.flush()
        await record(session, principal, "notification_task.open", "notification_task", task.id,
                     agency_id=person.agency_id)
        await emit(session, "notification_task.opened", [task.agency_id],
                   {"notification_task_id": str(task.id), "case_id": str(task.case_id), "status": task.status})
        result.notification_task_id = task.id
    return result


class PreviewResult(BaseModel):
    """What a named recipient agency would receive now for a purpose: the shape of a disclosure, with
    `preview: true`. Nothing was released and nothing accounted."""

    preview: bool = True
    as_if_signed: bool = False
    person_id: uuid.UUID
    recipient_agency_id: uuid.UUID
    purpose: str
    created_at: datetime
    released: dict[str, Any] = Field(default_factory=dict)
    withheld: list[WithheldItem] = Field(default_factory=list)
    released_basis: dict[str, str] = Field(default_factory=dict)
    released_meta: dict[str, ReleasedMeta] = Field(default_factory=dict)
    basis: str = "none"
    redisclosure_notice: str | None = None


def _unsigned(person: Person, recipient_id: uuid.UUID, purpose: str, scope: list[Any]) -> Consent:
    """The consent she is about to sign, as the rule would see it once signed: active from now, her own, for
    the purpose previewed. Never added to the session."""
    now = utcnow()
    return Consent(id=uuid.uuid4(), person_id=person.id, case_id=person.case_id, agency_id=person.agency_id,
                   recipient_agency_id=recipient_id, purposes=[purpose], categories=stored_scope(scope),
                   valid_from=now, expires_at=now + timedelta(days=1), signed_at=now, signature_method="written",
                   risks_explained=True, language="", grantor_person_id=person.id, grantor_relationship="self")


async def preview(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, recipient_agency_id: uuid.UUID,
    purpose: str, categories: Iterable[str], as_if_signed: list[Any] | None = None,
) -> PreviewResult:
    """What `recipient_agency_id` would receive about the person now, for the owning agency's staff who can see
    the person (404 otherwise): the same rule (`rules.decide_for_agency`, evaluated for the recipient, not the
    caller) and the same element cut, the data read but not released. No accounting row, no notification
    task; the preview is audited (`disclosure.preview`)."""
    person = await get_person_for_owner(session, principal, person_id)
    return await preview_of(session, principal, person, recipient_agency_id, purpose, categories, as_if_signed)


async def preview_of(
    session: AsyncSession, principal: Principal, person: Person, recipient_agency_id: uuid.UUID,
    purpose: str, categories: Iterable[str], as_if_signed: list[Any] | None = None,
) -> PreviewResult:
    """The preview of a person the caller already found through its own visibility (the owning agency's
    staff, or the person herself in her own view)."""
    recipient = await session.get(Agency, recipient_agency_id)
    if recipient is None or recipient.id == person.agency_id:
        raise Invalid("Preview what another agency would receive; see errors.", errors=[{
            "loc": ["body", "recipient_agency_id"], "type": "unknown_agency" if recipient is None else "own_agency",
            "msg": "No agency with that id." if recipient is None else "Must be another agency."}])
    purpose = Purpose(purpose).value
    cats = list(dict.fromkeys(DataCategory(c).value for c in categories))
    proposed = None if as_if_signed is None else _unsigned(person, recipient.id, purpose, as_if_signed)
    found = (await rules.read_facts(session, [person.id], recipient.id)).get(person.id)
    facts = found[1] if found is not None else rules.Facts(recipient.id)
    # Her signing a consent that names the recipient is what links it to her.
    linked = proposed is not None or facts.linked
    decisions = await rules.decide_for_agency(session, recipient.id, person, purpose, cats,
                                              rules.Reach(linked=linked), proposed=proposed, facts=facts)

    async def from_record(categories: list[str]) -> dict[str, Sourced | None]:
        return await read_categories(session, person, person_payload(person), categories)

    ev = await _evaluate(session, person, cats, decisions, from_record)
    await record(session, principal, "disclosure.preview", "person", person.id, agency_id=person.agency_id)
    return PreviewResult(as_if_signed=proposed is not None, person_id=person.id, recipient_agency_id=recipient.id,
                         purpose=purpose,
                         created_at=utcnow(), released=ev.released, withheld=ev.withheld,
                         released_basis=ev.released_basis, released_meta=ev.released_meta,
                         basis=_overall_basis(ev.released_basis), redisclosure_notice=ev.notice)


async def list_disclosures(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, page: PageParams
) -> tuple[list[Disclosure], str | None]:
    """The accounting of disclosures of a person, for the owning agency's staff who can see the case."""
    person = await get_person_for_owner(session, principal, person_id)
    return await accounting_of(session, person, page)


async def accounting_of(session: AsyncSession, person: Person, page: PageParams) -> tuple[list[Disclosure], str | None]:
    """Every disclosure request about a person already found through the caller's visibility (staff of the
    owning agency, or the person herself)."""
    return await paginate(session, sa.select(Disclosure).where(Disclosure.person_id == person.id), Disclosure, page)
