"""The referral's read and the boxes, in one statement each, built once and executed with bind parameters.

A referral's read needs the referral, the people it names, the services naming it that the caller may see and,
for the receiving agency, the case and people records it linked on accepting: one statement (the lists of ids
as correlated subqueries, aggregated by the database). A box's page comes with each referral's people in the
same statement. Each statement is built once per principal shape (`access.PerShape`: the visibility clauses of
access.py with the principal's agency and user as bind parameters) and per set of filters, and its rows are
mapped straight to the answer's dicts: no ORM object is made on these reads (the transitions load ORM rows, in
lifecycle.py).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from app.auth.principal import Principal
from app.cases.links import links_of_referral
from app.consent import rules
from app.core.clock import utcnow
from app.core.errors import Invalid, NotFound
from app.core.pagination import PageParams, decode_cursor, encode_cursor
from app.core.sql import Prebuilt
from app.referrals import access
from app.referrals.lifecycle import AWAITING_ANSWER
from app.referrals.models import Referral, ReferralPerson

# ------------------------------------------------------------------ a list of ids in one column


class IdList(sa.ColumnElement[Any]):
    """The values of a one-column select, in its order, as one column of the enclosing row: an array on
    PostgreSQL (`ARRAY(SELECT ...)`), a JSON array on SQLite (`json_group_array` over the ordered select).
    Read it back with `ids`."""

    __visit_name__ = "tandem_id_list"
    inherit_cache = True
    _traverse_internals = [("select", InternalTraversal.dp_clauseelement)]

    def __init__(self, select: sa.Select[Any]) -> None:
        self.select = select
        self.type = sa.types.NULLTYPE


@compiles(IdList)
def _id_array(element: IdList, compiler: SQLCompiler, **kw: Any) -> str:
    return "ARRAY" + compiler.process(element.select.scalar_subquery(), **kw)


@compiles(IdList, "sqlite")
def _id_json_array(element: IdList, compiler: SQLCompiler, **kw: Any) -> str:
    # The aggregate reads the ordered subquery in its order (SQLite does not flatten an ordered subquery into
    # an aggregate query); the subquery names the enclosing tables it correlates to (`correlate`).
    ordered = element.select.subquery()
    return compiler.process(sa.select(sa.func.json_group_array(next(iter(ordered.c)))).select_from(ordered)
                            .scalar_subquery(), **kw)


def ids(value: Any) -> list[uuid.UUID]:
    """An `IdList` column's value as UUIDs (PostgreSQL: a list of UUIDs; SQLite: JSON of hex strings)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [uuid.UUID(v) for v in json.loads(value)]
    return list(value)


def _ids_of(select: sa.Select[Any]) -> IdList:
    return IdList(select.correlate(Referral))


# ------------------------------------------------------------------ the services a referral led to

# A domain above referrals whose records name the referral they came from (services) registers, as a select
# correlated to the referral's id, the ids of those records the caller may see: (principal, referral id) -> select.
ServiceIds = Callable[[Principal, sa.SQLColumnExpression[uuid.UUID]], sa.Select[Any]]
_SERVICE_IDS: list[ServiceIds] = []


def register_service_ids(find: ServiceIds) -> None:
    """Let the services domain tell a referral's read which services name it (registered once, at import)."""
    if find not in _SERVICE_IDS:
        _SERVICE_IDS.append(find)
        _READ.clear()
        _READ_PG.clear()
        _EXTRAS.clear()


# ------------------------------------------------------------------ one referral

SUMMARY_FIELDS = (
    "id", "case_id", "from_agency_id", "to_agency_id", "status", "urgency", "consent_id", "decline_reason_code",
    "outcome_code", "created_by", "assigned_to", "created_at", "sent_at", "respond_by", "acknowledged_at",
    "accepted_at", "declined_at", "closed_at", "withdrawn_at", "version",
)
SEALED_FIELDS = ("reason_enc", "family_goals_enc", "decline_reason_enc", "outcome_enc")
_SUMMARY_COLUMNS = [getattr(Referral, f) for f in SUMMARY_FIELDS]
_READ_COLUMNS = _SUMMARY_COLUMNS + [getattr(Referral, f) for f in SEALED_FIELDS]


@dataclass(frozen=True, slots=True)
class ReferralView:
    """A referral as its read needs it: its columns, the people it names, the services naming it that the caller
    may see, and the receiving agency's linked case and people (whatever the caller's side; the read shows them
    to the receiving agency only)."""

    id: uuid.UUID
    case_id: uuid.UUID
    from_agency_id: uuid.UUID
    to_agency_id: uuid.UUID
    status: str
    urgency: str
    consent_id: uuid.UUID | None
    decline_reason_code: str | None
    outcome_code: str | None
    created_by: uuid.UUID | None
    assigned_to: uuid.UUID | None
    created_at: datetime
    sent_at: datetime | None
    respond_by: datetime | None
    acknowledged_at: datetime | None
    accepted_at: datetime | None
    declined_at: datetime | None
    closed_at: datetime | None
    withdrawn_at: datetime | None
    version: int
    reason_enc: str | None
    family_goals_enc: str | None
    decline_reason_enc: str | None
    outcome_enc: str | None
    person_ids: list[uuid.UUID] = field(default_factory=list)
    service_ids: list[uuid.UUID] = field(default_factory=list)
    linked_case_id: uuid.UUID | None = None
    linked_person_ids: list[uuid.UUID] = field(default_factory=list)
    # For the receiving agency's read of free text on file (PostgreSQL): the disclosure rule's read of the
    # people named, carried by the same statement (`rules.facts_column`); None when not read with it.
    rule_facts: list[Any] | None = None


_REFERRAL_ID = sa.bindparam("referral_id", type_=sa.Uuid())


def _people_of(referral_id: sa.SQLColumnExpression[uuid.UUID]) -> IdList:
    return _ids_of(sa.select(ReferralPerson.person_id).where(ReferralPerson.referral_id == referral_id)
                   .order_by(ReferralPerson.created_at))


def _extra_columns(principal: Principal) -> list[sa.ColumnElement[Any]]:
    """The people, the services (one column per registered finder) and the caller's agency's linked case and
    people, each correlated to the referral of the enclosing row."""
    case_id, people = links_of_referral(Referral.id, principal.agency_id)
    return [
        _people_of(Referral.id).label("person_ids"),
        *(_ids_of(find(principal, Referral.id)).label(f"service_ids_{i}") for i, find in enumerate(_SERVICE_IDS)),
        case_id.label("linked_case_id"),
        _ids_of(people).label("linked_person_ids"),
    ]


_READ: access.PerShape[Prebuilt] = access.PerShape(
    lambda p: Prebuilt(sa.select(*_READ_COLUMNS, *_extra_columns(p)).where(
        Referral.id == _REFERRAL_ID, access.referral_visible_clause(p))))


def _rule_facts() -> sa.ColumnElement[Any]:
    """The disclosure rule's read of the people named, for the caller's agency, when it is the receiving side
    and free text is on file (what `sharing.referral_read` then decides about): one round trip less."""
    people = sa.select(ReferralPerson.person_id).where(ReferralPerson.referral_id == _REFERRAL_ID)
    facts = rules.facts_column(lambda column: column.in_(people))
    held = sa.or_(*(getattr(Referral, f"{f}_enc").is_not(None) for f in ("reason", "family_goals", "outcome")))
    return sa.case((sa.and_(Referral.from_agency_id != access.PRINCIPAL_AGENCY, held), facts)).label("rule_facts")


# The same on PostgreSQL, with the rule's read (`_rule_facts`, which builds its JSON there).
_READ_PG: access.PerShape[Prebuilt] = access.PerShape(
    lambda p: Prebuilt(sa.select(*_READ_COLUMNS, *_extra_columns(p), _rule_facts()).where(
        Referral.id == _REFERRAL_ID, access.referral_visible_clause(p))))
# After a transition the referral is already loaded (through the visibility clause) and flushed: only the rest.
_EXTRAS: access.PerShape[sa.Select[Any]] = access.PerShape(
    lambda p: sa.select(*_extra_columns(p)).where(Referral.id == _REFERRAL_ID))


def _extras(m: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "person_ids": ids(m["person_ids"]),
        "service_ids": [s for i in range(len(_SERVICE_IDS)) for s in ids(m[f"service_ids_{i}"])],
        "linked_case_id": m["linked_case_id"],
        "linked_person_ids": ids(m["linked_person_ids"]),
    }


async def load_visible(session: AsyncSession, principal: Principal, referral_id: uuid.UUID) -> ReferralView:
    """The referral with everything its read needs, if the caller's agency sent it (case visible) or received
    it (sent), else 404: one statement."""
    params = access.PerShape.params(principal)
    params[_REFERRAL_ID.key] = referral_id
    if session.get_bind().dialect.name == "postgresql":
        params.update(rules.facts_params(principal.agency_id))
        rows = await _READ_PG(principal).rows(session, params)
    else:
        rows = await _READ(principal).rows(session, params)
    if not rows:
        raise NotFound("referral")
    m = rows[0]._asdict()
    return ReferralView(**{f: m[f] for f in SUMMARY_FIELDS}, **{f: m[f] for f in SEALED_FIELDS}, **_extras(m),
                        rule_facts=m.get("rule_facts"))


async def view_of(session: AsyncSession, principal: Principal, referral: Referral) -> ReferralView:
    """A loaded referral (a transition's) with the rest of what its read needs: one statement."""
    params = access.PerShape.params(principal)
    params[_REFERRAL_ID.key] = referral.id
    m = (await session.execute(_EXTRAS(principal), params)).one()._mapping
    return ReferralView(**{f: getattr(referral, f) for f in SUMMARY_FIELDS + SEALED_FIELDS}, **_extras(m))


def answer_overdue(status: str, respond_by: datetime | None, now: datetime) -> bool:
    """Past respond_by with no answer (accepted or declined) yet."""
    return status in AWAITING_ANSWER and respond_by is not None and respond_by < now


def summary(referral: ReferralView, now: datetime) -> dict[str, Any]:
    """The referral as ReferralSummary."""
    out = {f: getattr(referral, f) for f in SUMMARY_FIELDS}
    out["person_ids"] = referral.person_ids
    out["overdue"] = answer_overdue(referral.status, referral.respond_by, now)
    return out


# ------------------------------------------------------------------ the boxes

_NOW = sa.bindparam("now", type_=Referral.created_at.type)
_FILTERS: dict[str, Callable[[], sa.ColumnElement[bool]]] = {
    "status": lambda: Referral.status == sa.bindparam("status"),
    "urgency": lambda: Referral.urgency == sa.bindparam("urgency"),
    "person_id": lambda: sa.exists().where(ReferralPerson.referral_id == Referral.id,
                                           ReferralPerson.person_id == sa.bindparam("person_id", type_=sa.Uuid())),
    "created_from": lambda: Referral.created_at >= sa.bindparam("created_from"),
    "created_to": lambda: Referral.created_at <= sa.bindparam("created_to"),
    # The cursor: `created_at <= ts` is implied by the OR, but only it lets the database seek the box's index
    # on (agency, created_at, id) to the cursor instead of scanning every newer row (core.pagination).
    "cursor": lambda: sa.and_(Referral.created_at <= sa.bindparam("cursor_at"), sa.or_(
        Referral.created_at < sa.bindparam("cursor_at"),
        sa.and_(Referral.created_at == sa.bindparam("cursor_at"), Referral.id < sa.bindparam("cursor_id")))),
}


def _late() -> sa.ColumnElement[bool]:
    # The statuses are rendered into the SQL so the partial "awaiting" indexes apply (see models).
    awaiting: sa.BindParameter[list[str]] = sa.bindparam("awaiting", list(AWAITING_ANSWER), expanding=True,
                                                          literal_execute=True)
    return sa.and_(Referral.status.in_(awaiting), Referral.respond_by.is_not(None), Referral.respond_by < _NOW)


_BOXES: dict[str | None, Callable[[Principal], sa.ColumnElement[bool]]] = {
    "incoming": access.referral_incoming_clause,
    "outgoing": access.referral_outgoing_clause,
    None: access.referral_visible_clause,
}
_LISTS: dict[tuple[str | None, frozenset[str], bool | None], access.PerShape[sa.Select[Any]]] = {}


def _list_statement(box: str | None, filters: frozenset[str], late: bool | None) -> access.PerShape[sa.Select[Any]]:
    """A box's page statement for this set of filters, built once per principal shape."""
    key = (box, filters, late)
    built = _LISTS.get(key)
    if built is None:
        def build(p: Principal) -> sa.Select[Any]:
            stmt = sa.select(*_SUMMARY_COLUMNS, _people_of(Referral.id).label("person_ids")).where(_BOXES[box](p))
            for name in sorted(filters):
                stmt = stmt.where(_FILTERS[name]())
            if late is not None:
                stmt = stmt.where(_late() if late else sa.not_(_late()))
            return stmt.order_by(Referral.created_at.desc(), Referral.id.desc()).limit(sa.bindparam("limit"))

        built = _LISTS[key] = access.PerShape(build)
    return built


async def list_referrals(
    session: AsyncSession, principal: Principal, page: PageParams, *, box: str | None = None,
    status: str | None = None, urgency: str | None = None, overdue: bool | None = None,
    person_id: uuid.UUID | None = None, created_from: datetime | None = None, created_to: datetime | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """The caller's incoming and/or outgoing box, newest first, as summaries (no free text), each with the
    people it names: one statement."""
    if created_from is not None and created_to is not None and created_from > created_to:
        raise Invalid("created_from must not be after created_to.", loc=["query", "created_from"])
    now = utcnow()
    values: dict[str, Any] = {"status": status, "urgency": urgency, "person_id": person_id,
                              "created_from": created_from, "created_to": created_to}
    params = {k: v for k, v in values.items() if v is not None}
    filters = frozenset(params)
    if page.cursor:
        params["cursor_at"], params["cursor_id"] = decode_cursor(page.cursor)
        filters |= {"cursor"}
    stmt = _list_statement(box, filters, overdue)(principal)
    params.update(access.PerShape.params(principal), limit=page.limit + 1, now=now)
    rows: Sequence[sa.Row[Any]] = (await session.execute(stmt, params)).all()
    next_cursor = None
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id)
    items = []
    for row in rows:
        item = row._asdict()
        item["person_ids"] = ids(item["person_ids"])
        item["overdue"] = answer_overdue(item["status"], item["respond_by"], now)
        items.append(item)
    return items, next_cursor

