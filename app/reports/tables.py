"""Report tables (one row per group, never per case or person) and their JSON and CSV forms."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.reports.periods import MONTHS
from app.reports.suppression import Cell, YearPattern, statistic_cell

TOTAL = "total"
# group -> measure -> [(month, value)]: the durations behind a table's medians and percentiles
Durations = dict[str, dict[str, list[tuple[int, float]]]]
# (group, its unsuppressed counts, its cells) -> adds the group's rates and statistics to its cells
Extra = Callable[[str, dict[str, int], dict[str, Cell]], None]


@dataclass
class Table:
    columns: list[str]
    rows: list[tuple[str, dict[str, Cell]]]
    total: dict[str, Cell] | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "columns": list(self.columns),
            "rows": [{"group": g, "cells": _cells(c, self.columns)} for g, c in self.rows],
            "total": {"group": TOTAL, "cells": _cells(self.total, self.columns)} if self.total is not None else None,
            "notes": list(self.notes),
        }

    def all_rows(self) -> list[tuple[str, dict[str, Cell]]]:
        return self.rows + ([(TOTAL, self.total)] if self.total is not None else [])


def _cells(cells: dict[str, Cell], columns: Sequence[str]) -> dict[str, dict[str, Any]]:
    return {c: cells[c].as_dict() for c in columns}


def _safe(text: str) -> str:
    """Keep a label from being read as a formula by a spreadsheet."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(sections: Sequence[tuple[str | None, Table]]) -> str:
    """One CSV row per group (and one for each total). Every measure has a value column and a
    `<measure>_suppressed` column: a suppressed cell has an empty value and `true`; a measure that does not
    apply to a section has both empty. With several sections, the first column names the section."""
    columns: list[str] = []
    for _, table in sections:
        columns += [c for c in table.columns if c not in columns]
    with_section = len(sections) > 1 or sections[0][0] is not None
    header = (["section"] if with_section else []) + ["group"]
    for c in columns:
        header += [c, f"{c}_suppressed"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for name, table in sections:
        for group, cells in table.all_rows():
            line: list[Any] = ([name or ""] if with_section else []) + [_safe(group)]
            for c in columns:
                cell = cells.get(c)
                if cell is None:
                    line += ["", ""]
                else:
                    line += ["" if cell.value is None else cell.value, "true" if cell.suppressed else "false"]
            writer.writerow(line)
    return out.getvalue()


def new_durations() -> Durations:
    return defaultdict(lambda: defaultdict(list))


def stat_cells(found: dict[str, list[tuple[int, float]]], prefix: str, months: range,
               quantiles: Sequence[tuple[str, float]] = (("median", 0.5), ("p90", 0.9))) -> dict[str, Cell]:
    """`<prefix>_median` and `<prefix>_p90` (or the quantiles named) of the durations in `months`."""
    values = [v for m, v in found.get(prefix, []) if m in months]
    return {f"{prefix}_{name}": statistic_cell(values, q) for name, q in quantiles}


def table_at(pattern: YearPattern, node: int, columns: list[str], extra: Extra, notes: list[str]) -> Table:
    """The table of one period (node) of a suppressed year, with the extra cells (rates, statistics) of each
    row and the total from their unsuppressed counts."""
    rows = list(zip(pattern.counts.groups, pattern.rows_at(node), strict=True))
    total = pattern.total_at(node)
    for group, cells in rows + ([(TOTAL, total)] if total is not None else []):
        counts = {c: pattern.value(None if group == TOTAL else group, c, node) for c in pattern.counts.columns}
        extra(group, counts, cells)
    return Table(columns, rows, total, notes)


def added(rows: dict[str, dict[str, list[int]]], columns: list[str]) -> dict[str, list[int]]:
    """The total of an additive table: the sum of its rows, month by month."""
    return {c: [sum(r[c][m] for r in rows.values()) for m in range(MONTHS)] for c in columns}
