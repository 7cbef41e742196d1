"""Small-cell suppression for aggregate reports. Pure functions: no database, no clock.

What is protected: every answer a report gives about the periods of one year (each month, quarter and the
year), for one table of one report in one grouping, read all together. For each count column that is one
linked table: rows x 12 months with each row's quarters and year, and a total row with its months, quarters
and year. Months add up to quarters and quarters to the year in every row; in an additive table the rows also
add up to the total (a case is in exactly one row); otherwise (a case may count in several rows or in none, or
there is no total) each row and the total add up along time on their own, and no row exceeds the total.

Rules:
- Primary: a count under THRESHOLD (zero included) is published as null with suppressed=true.
- Complementary: the cells of the linked table are the arcs of a flow network (the total's year feeds each
  row's year, a row's year its quarters, a quarter its months, each month flows into the total's month, those
  into the total's quarters and back into the total's year), and published cells fix the flow on their arcs.
  A suppressed cell is pinned when its value cannot change by one without changing a published cell: no cycle
  of suppressed cells with room to move passes through it. The reader this is measured against knows every
  published cell of the year and every relation above, that counts are never negative, which suppressed
  cells are zero (side knowledge of structural zeros) and that a cell suppressed as small holds at most
  THRESHOLD - 1. For each suppressed cell holding 1..THRESHOLD-1, in a fixed order, when it is pinned the
  cheapest set of published cells that opens such a cycle (by value; total-row cells cost TOTAL_COST times
  more) is suppressed too. Suppressing more never pins a cell that was free, so one pass suffices, and the
  same counts always give the same pattern, so asking again teaches nothing new.
  In a non-additive table a row moves along its own year with the total held, the total with the rows held,
  or the total together with the rows that equal it where it goes down: every move shown is one that a
  reader cannot rule out.
- A zero is suppressed but not protected (it discloses no one); a sum over several suppressed cells can be
  known, as with any complementary suppression: the unit of protection is a cell.
- Outside this protection: relations between columns (a part never exceeds its whole, e.g. accepted <=
  referrals), between the tables or groupings of a report (the caseload report publishes one total row in
  every grouping, see caseload.py, but offices against race/ethnicity are not protected), and between years.
- A rate is published only when its numerator, its denominator and their difference are all at least
  THRESHOLD and no count it is derived from was suppressed (with the counts beside it, a rate would
  otherwise give a suppressed count back).
- A statistic (median, percentile) of fewer than THRESHOLD items is suppressed (statistics of periods that
  overlap, e.g. a month and its quarter, are not protected against one another).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from app.reports.periods import MONTHS, NODES, QUARTERS, YEAR_NODE, month_node, node_months, quarter_node

log = logging.getLogger("tandem.reports")

THRESHOLD = 11
TOTAL = -1  # the row index of the total row
TOTAL_COST = 16  # suppressing a total-row cell costs this many times its value
INFINITE = math.inf


@dataclass(frozen=True)
class Cell:
    value: int | float | None
    suppressed: bool

    def as_dict(self) -> dict[str, int | float | bool | None]:
        return {"value": self.value, "suppressed": self.suppressed}


# ------------------------------------------------------------------ the linked table of one column


@dataclass(eq=False)
class _Arc:
    tail: int
    head: int
    row: int
    node: int
    value: int


Edges = dict[int, list[tuple[int, int, "_Arc"]]]
NONE: frozenset[int] = frozenset()
Route = tuple[float, frozenset[int], list[tuple[int, "_Arc"]]]  # cost, rows moving with the total, the cycle


def _cap(value: int) -> float:
    """The most a suppressed cell can hold as far as a reader knows: a small one at most THRESHOLD - 1."""
    return THRESHOLD - 1 if value < THRESHOLD else INFINITE


@dataclass
class LinkedYear:
    """One count column of one table for one year: `rows[r][m]` and `total[m]` are monthly counts."""

    rows: list[list[int]]
    total: list[int] | None
    additive: bool
    hidden: dict[tuple[int, int], bool] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        for series in [*self.rows, *([self.total] if self.total is not None else [])]:
            if len(series) != MONTHS:
                raise ValueError("a row of a year has twelve months")
            if any(v < 0 for v in series):
                raise ValueError("counts are never negative")
        if self.additive and self.total is not None:
            if any(sum(r[m] for r in self.rows) != self.total[m] for m in range(MONTHS)):
                raise ValueError("the rows of an additive table add up to its total")
        self._values = {(r, n): sum(self.series(r)[m] for m in node_months(n))
                        for r in [*range(len(self.rows)), *([TOTAL] if self.total is not None else [])]
                        for n in range(NODES)}
        self.arcs = self._network()
        self._arc_at = {(a.row, a.node): a for a in self.arcs}
        self.hidden = {(a.row, a.node): a.value < THRESHOLD for a in self.arcs}
        self._graphs: dict[tuple[frozenset[int], bool], Edges] = {}  # rooms do not change: built once
        self._residual: Edges | None = None  # the graph of suppressed cells, kept up to date by _hide

    # -------------------------------------------------------------- structure

    def series(self, row: int) -> list[int]:
        if row == TOTAL:
            assert self.total is not None
            return self.total
        return self.rows[row]

    def value(self, row: int, node: int) -> int:
        return self._values[(row, node)]

    def _network(self) -> list[_Arc]:
        """The cells as arcs of a circulation (see the module notes)."""
        arcs: list[_Arc] = []
        counter = itertools.count()

        def new() -> int:
            return next(counter)

        def tree(row: int, top: int, leaf_head: list[int] | int) -> None:
            """A row's year (top -> A), quarters (A -> B_q) and months (B_q -> leaf head)."""
            a = new()
            arcs.append(_Arc(top, a, row, YEAR_NODE, self.value(row, YEAR_NODE)))
            for q in range(QUARTERS):
                b = new()
                arcs.append(_Arc(a, b, row, quarter_node(q), self.value(row, quarter_node(q))))
                for m in range(3 * q, 3 * q + 3):
                    head = leaf_head[m] if isinstance(leaf_head, list) else leaf_head
                    arcs.append(_Arc(b, head, row, month_node(m), self.series(row)[m]))

        if self.additive and self.total is not None:
            s, e = new(), new()
            c = [new() for _ in range(MONTHS)]
            d = [new() for _ in range(QUARTERS)]
            for r in range(len(self.rows)):
                tree(r, s, c)
            for m in range(MONTHS):
                arcs.append(_Arc(c[m], d[m // 3], TOTAL, month_node(m), self.total[m]))
            for q in range(QUARTERS):
                arcs.append(_Arc(d[q], e, TOTAL, quarter_node(q), self.value(TOTAL, quarter_node(q))))
            arcs.append(_Arc(e, s, TOTAL, YEAR_NODE, self.value(TOTAL, YEAR_NODE)))
        else:
            for r in [*range(len(self.rows)), *([TOTAL] if self.total is not None else [])]:
                s = new()
                tree(r, s, s)
        return arcs

    # -------------------------------------------------------------- what the attacker knows

    def _cross(self) -> bool:
        """Rows and total are linked by inequalities only (a row never exceeds the total)."""
        return not self.additive and self.total is not None

    def _rooms(self, arc: _Arc, followers: frozenset[int] = NONE, loose: bool = False) -> tuple[float, float]:
        """(room to grow, room to shrink) of a suppressed cell, against what a reader of every published cell
        knows: counts are never negative, a zero is known, a small cell is at most THRESHOLD - 1.

        In a non-additive table a row moves with the total held at its true value, so it stays within it
        (published or not); the total moves with the rows held at theirs, so it stays above each of them,
        except `followers`: rows that move with the total, the same way at the same cells (`loose` leaves
        the other rows out too, to find out which must follow). Each move shown is one the reader cannot
        rule out."""
        if arc.value == 0:
            return 0, 0
        grow = _cap(arc.value) - arc.value
        shrink: float = arc.value
        if self._cross():
            if arc.row != TOTAL:
                grow = min(grow, self.value(TOTAL, arc.node) - arc.value)
            else:
                if not loose:
                    held = [self.value(r, arc.node) for r in range(len(self.rows)) if r not in followers]
                    shrink = arc.value - max(held, default=0)
                for r in followers:
                    v = self.value(r, arc.node)
                    grow = min(grow, _cap(v) - v if v else 0)
                    shrink = min(shrink, v)
        return grow, shrink

    def _moves_with(self, arc: _Arc, followers: frozenset[int]) -> list[tuple[int, int]]:
        """The cells that move when `arc` moves: itself, and the followers' cells beside a total cell."""
        cells = [(arc.row, arc.node)]
        if arc.row == TOTAL:
            cells += [(r, arc.node) for r in sorted(followers)]
        return cells

    def _add_edges(self, out: Edges, arc: _Arc, followers: frozenset[int] = NONE, loose: bool = False) -> None:
        grow, shrink = self._rooms(arc, followers, loose)
        if grow >= 1:
            out.setdefault(arc.tail, []).append((arc.head, 1, arc))
        if shrink >= 1:
            out.setdefault(arc.head, []).append((arc.tail, -1, arc))

    def _edges(self, only_hidden: bool, followers: frozenset[int] = NONE, loose: bool = False) -> Edges:
        """Residual graph: node -> [(next node, +1 grow / -1 shrink, arc)], in arc order."""
        if only_hidden and not followers and not loose:
            if self._residual is None:
                self._residual = {}
                for arc in self.arcs:
                    if self.hidden[(arc.row, arc.node)]:
                        self._add_edges(self._residual, arc)
            return self._residual
        if not only_hidden and (followers, loose) in self._graphs:
            return self._graphs[(followers, loose)]
        out: Edges = {}
        for arc in self.arcs:
            if only_hidden and not all(self.hidden[c] for c in self._moves_with(arc, followers)):
                continue
            self._add_edges(out, arc, followers, loose)
        if not only_hidden:
            self._graphs[(followers, loose)] = out
        return out

    def _hide(self, cell: tuple[int, int]) -> None:
        if not self.hidden[cell]:
            self.hidden[cell] = True
            if self._residual is not None:
                self._add_edges(self._residual, self._arc_at[cell])

    def _cost(self, arc: _Arc, followers: frozenset[int]) -> float:
        if not followers or arc.row != TOTAL:
            return 0 if self.hidden[(arc.row, arc.node)] else arc.value * (TOTAL_COST if arc.row == TOTAL else 1)
        cost = 0.0
        for row, node in self._moves_with(arc, followers):
            if not self.hidden[(row, node)]:
                cost += self.value(row, node) * (TOTAL_COST if row == TOTAL else 1)
        return cost

    def _cycle(self, arc: _Arc, only_hidden: bool, followers: frozenset[int], loose: bool) -> Route | None:
        """The cheapest cycle through `arc` (what the published cells on it cost), as [(direction, arc)]."""
        best: Route | None = None
        grow, shrink = self._rooms(arc, followers, loose)
        edges = self._edges(only_hidden, followers, loose)
        for able, own, start, goal in ((shrink >= 1, -1, arc.tail, arc.head), (grow >= 1, 1, arc.head, arc.tail)):
            if not able:
                continue
            found = _cheapest(edges, start, goal, arc, lambda a: self._cost(a, followers))
            if found is not None:
                cost = found[0] + self._cost(arc, followers)
                if best is None or cost < best[0]:
                    best = (cost, followers, [(own, arc), *found[1]])
        return best

    def _route(self, arc: _Arc, only_hidden: bool) -> Route | None:
        """The cheapest way to move `arc`: along a cycle with every other row held; for a total cell of a
        non-additive table also with the rows that equal the total where it goes down moving with it."""
        best = self._cycle(arc, only_hidden, NONE, loose=False)
        if not (self._cross() and arc.row == TOTAL):
            return best
        followers = frozenset(r for r in range(len(self.rows)) if self.value(r, arc.node) == arc.value)
        for _ in range(len(self.rows) + 1):
            found = self._cycle(arc, only_hidden, followers, loose=True)
            if found is None:
                break
            needed = frozenset(r for direction, a in found[2] if direction < 0
                               for r in range(len(self.rows)) if self.value(r, a.node) == a.value)
            if needed <= followers:
                if best is None or found[0] < best[0]:
                    best = found
                break
            followers |= needed
        return best

    def pinned(self, arc: _Arc) -> bool:
        """No cycle of suppressed cells lets this cell move by one in either direction."""
        grow, shrink = self._rooms(arc)
        edges = self._edges(only_hidden=True)
        if ((grow >= 1 and _reaches(edges, arc.head, arc.tail, arc))
                or (shrink >= 1 and _reaches(edges, arc.tail, arc.head, arc))):
            return False
        return not (self._cross() and arc.row == TOTAL and self._route(arc, only_hidden=True) is not None)

    def _protect(self, arc: _Arc) -> None:
        """Suppress the cheapest published cells that give `arc` a cycle to move along."""
        best = self._route(arc, only_hidden=False)
        if best is None:
            self._last_resort()
            return
        _, followers, path = best
        for _, a in path:
            for cell in self._moves_with(a, followers):
                self._hide(cell)
        assert not self.pinned(arc), "a cheapest path is a cycle through the cell"

    def _last_resort(self) -> None:
        """Not expected to happen (a cell's own row, or the total with the rows equal to it, always closes a
        cycle when everything is suppressed): publish nothing of this column rather than a pinned cell."""
        log.warning("report suppression hid a whole column: no cycle could free a small cell")
        for key in self.hidden:
            self.hidden[key] = True
        self._residual = None

    def suppress(self) -> LinkedYear:
        """Complementary suppression over the whole year (see the module notes)."""
        for arc in self.arcs:
            if 0 < arc.value < THRESHOLD and self.pinned(arc):
                self._protect(arc)
        return self

    def hide(self, row: int, node: int) -> None:
        self._hide((row, node))

    def is_hidden(self, row: int, node: int) -> bool:
        return self.hidden[(row, node)]

    def cell(self, row: int, node: int) -> Cell:
        if self.hidden[(row, node)]:
            return Cell(None, True)
        return Cell(self.value(row, node), False)


def _reaches(edges: Edges, start: int, goal: int, skip: _Arc) -> bool:
    """A path from start to goal that does not use `skip`."""
    seen, todo = {start}, deque([start])
    while todo:
        node = todo.popleft()
        if node == goal:
            return True
        for nxt, _, arc in edges.get(node, []):
            if arc is not skip and nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def _cheapest(
    edges: Edges, start: int, goal: int, skip: _Arc, cost: Callable[[_Arc], float]
) -> tuple[float, list[tuple[int, _Arc]]] | None:
    """Dijkstra from start to goal not using `skip`; ties go to the path found first (arc order), so it is
    deterministic."""
    dist: dict[int, float] = {start: 0}
    back: dict[int, tuple[int, int, _Arc]] = {}
    heap: list[tuple[float, int, int]] = [(0, 0, start)]
    seq = 1
    done: set[int] = set()
    while heap:
        d, _, node = heapq.heappop(heap)
        if node in done:
            continue
        done.add(node)
        if node == goal:
            path: list[tuple[int, _Arc]] = []
            while node != start:
                prev, direction, arc = back[node]
                path.append((direction, arc))
                node = prev
            return d, path[::-1]
        for nxt, direction, arc in edges.get(node, []):
            if arc is skip:
                continue
            nd = d + cost(arc)
            if nxt not in done and nd < dist.get(nxt, INFINITE):
                dist[nxt] = nd
                back[nxt] = (node, direction, arc)
                heapq.heappush(heap, (nd, seq, nxt))
                seq += 1
    return None


# ------------------------------------------------------------------ a table of several columns


@dataclass
class YearCounts:
    """Monthly counts of one report table for one year: `rows[group][column]` and `total[column]` are
    twelve numbers each; `additive` when every case is in exactly one row (so rows add up to the total)."""

    groups: list[str]
    columns: list[str]
    rows: dict[str, dict[str, list[int]]]
    total: dict[str, list[int]] | None
    additive: bool


@dataclass
class YearPattern:
    """A table's counts and what is suppressed in them, for every period of the year."""

    counts: YearCounts
    linked: dict[str, LinkedYear]

    def rows_at(self, node: int) -> list[dict[str, Cell]]:
        return [{c: self.linked[c].cell(i, node) for c in self.counts.columns}
                for i, _ in enumerate(self.counts.groups)]

    def total_at(self, node: int) -> dict[str, Cell] | None:
        if self.counts.total is None:
            return None
        return {c: self.linked[c].cell(TOTAL, node) for c in self.counts.columns}

    def value(self, group: str | None, column: str, node: int) -> int:
        row = TOTAL if group is None else self.counts.groups.index(group)
        return self.linked[column].value(row, node)

    def hide_total(self, column: str, node: int) -> None:
        """Suppress a total-row cell (more suppression never uncovers a cell)."""
        self.linked[column].hide(TOTAL, node)

    def total_hidden(self, column: str, node: int) -> bool:
        return self.linked[column].is_hidden(TOTAL, node)


def suppress_year(counts: YearCounts) -> YearPattern:
    """Primary and complementary suppression of every column of a table over its whole year."""
    linked = {}
    for column in counts.columns:
        rows = [counts.rows[g][column] for g in counts.groups]
        total = counts.total[column] if counts.total is not None else None
        linked[column] = LinkedYear(rows, total, counts.additive).suppress()
    return YearPattern(counts, linked)


def same_totals(patterns: Iterable[YearPattern]) -> None:
    """Suppress in every pattern each total-row cell that any of them suppresses: tables over the same cases
    (one report in several groupings) then publish one and the same total row."""
    patterns = list(patterns)
    for p in patterns:
        for column in p.counts.columns:
            for node in range(NODES):
                if p.total_hidden(column, node):
                    for other in patterns:
                        other.hide_total(column, node)


# ------------------------------------------------------------------ rates and statistics


def rate_cell(numerator: int, denominator: int, linked: Iterable[Cell] = (), digits: int = 3) -> Cell:
    """numerator / denominator, or suppressed (see the module rules); `linked` are the published cells of the
    counts it derives from."""
    if (denominator < THRESHOLD or numerator < THRESHOLD or denominator - numerator < THRESHOLD
            or any(c.suppressed for c in linked)):
        return Cell(None, True)
    return Cell(round(numerator / denominator, digits), False)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation between closest ranks."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def statistic_cell(values: Sequence[float], q: float, digits: int = 1) -> Cell:
    """The q-quantile of `values`, suppressed when there are fewer than THRESHOLD of them."""
    if len(values) < THRESHOLD:
        return Cell(None, True)
    return Cell(round(percentile(values, q), digits), False)
