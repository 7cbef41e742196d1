"""Someone who reads every published answer of a year (each month, quarter and the year, rows and total) of
one table and solves for the suppressed cells: linear programming over all published equations.

It knows what the suppression module says it knows, independently of how that module works: every
published cell, that months add up to quarters and quarters to the year, that rows add up to the total in an
additive table (in any other table, that no row exceeds the total), that counts are never negative, which
suppressed cells are zero and that a cell suppressed as small holds at most THRESHOLD - 1. For each
suppressed cell holding 1..THRESHOLD-1 it finds the least and the greatest value consistent with all of
that; the cell is recovered when they meet."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linprog

from app.reports.periods import MONTHS, NODES, Period, node_months
from app.reports.suppression import THRESHOLD, YearCounts

TOTAL = "total"


@dataclass
class Published:
    """One column of one table over a year, as published and as it truly is.

    `shown[(group, node)]` is the published value or None; `truth` the same cells' true values (nodes as in
    app.reports.periods: 0 the year, 1..4 quarters, 5..16 months); `groups` excludes the total."""

    groups: list[str]
    has_total: bool
    additive: bool
    shown: dict[tuple[str, int], int | None]
    truth: dict[tuple[str, int], int]


def recovered(p: Published) -> list[tuple[str, int, int, float, float]]:
    """Every suppressed cell holding 1..THRESHOLD-1 whose value the published answers pin:
    (group, node, true value, least, greatest)."""
    own = p.groups + ([TOTAL] if p.has_total and not p.additive else [])
    index = {(g, m): i for i, (g, m) in enumerate((g, m) for g in own for m in range(MONTHS))}
    n = len(index)

    def row_of(group: str, node: int) -> np.ndarray:
        v = np.zeros(n)
        members = p.groups if (group == TOTAL and p.additive) else [group]
        for g in members:
            for m in node_months(node):
                v[index[(g, m)]] = 1
        return v

    eq_a, eq_b, ub_a, ub_b = [], [], [], []
    for (group, node), value in p.shown.items():
        true = p.truth[(group, node)]
        if value is not None:
            assert value == true
            eq_a.append(row_of(group, node))
            eq_b.append(value)
        elif true == 0:
            eq_a.append(row_of(group, node))
            eq_b.append(0)
        elif true < THRESHOLD:
            ub_a.append(row_of(group, node))
            ub_b.append(THRESHOLD - 1)
    if p.has_total and not p.additive:
        for g in p.groups:
            for node in range(NODES):
                ub_a.append(row_of(g, node) - row_of(TOTAL, node))
                ub_b.append(0)
    out = []
    for (group, node), value in p.shown.items():
        true = p.truth[(group, node)]
        if value is not None or not 0 < true < THRESHOLD:
            continue
        c = row_of(group, node)
        # the cell is free when it can be larger than it is, or else smaller
        greatest = _extreme(c, True, ub_a, ub_b, eq_a, eq_b)
        least = true if greatest > true + 0.5 else _extreme(c, False, ub_a, ub_b, eq_a, eq_b)
        assert least - 1e-6 <= true <= greatest + 1e-6
        if math.ceil(least - 1e-6) >= math.floor(greatest + 1e-6):
            out.append((group, node, true, least, greatest))
    return out


def _extreme(c: np.ndarray, greatest: bool, ub_a: list, ub_b: list, eq_a: list, eq_b: list) -> float:
    """The greatest (or least) value of the cell c.x under the constraints; unbounded is infinite."""
    sign = -1 if greatest else 1
    res = linprog(sign * c, A_ub=np.array(ub_a) if ub_a else None, b_ub=ub_b or None,
                  A_eq=np.array(eq_a) if eq_a else None, b_eq=eq_b or None, bounds=(0, None), method="highs")
    if res.status == 3:
        return math.inf
    assert res.status == 0, res.message
    return float(sign * res.fun)


async def fetch_year(world: Any, actor: Any, url: str, params: Mapping[str, str], year: int) -> dict[int, Any]:
    """Every answer of a year through the API: node -> JSON body (each of the 17 periods)."""
    out = {}
    for node in range(NODES):
        r = await world.get(actor, url, params={**params, "period": str(Period(year, node))})
        assert r.status_code == 200, r.text
        out[node] = r.json()
    return out


def from_bodies(bodies: Mapping[int, Mapping[str, Any]], counts: YearCounts, column: str) -> Published:
    """One column of a table as published in every answer of the year, with the true counts beside it."""
    shown: dict[tuple[str, int], int | None] = {}
    truth: dict[tuple[str, int], int] = {}
    for node, table in bodies.items():
        rows = [*table["rows"], *([table["total"]] if table["total"] is not None else [])]
        assert [r["group"] for r in table["rows"]] == counts.groups
        for row in rows:
            shown[(row["group"], node)] = row["cells"][column]["value"]
            series = counts.total if row["group"] == TOTAL else counts.rows[row["group"]]
            assert series is not None
            truth[(row["group"], node)] = sum(series[column][m] for m in node_months(node))
    return Published(counts.groups, counts.total is not None, counts.additive, shown, truth)
