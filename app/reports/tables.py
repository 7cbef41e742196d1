"""Report tables (one row per group, never per case or person) and their JSON and CSV forms."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from app.reports.suppression import Cell

TOTAL = "total"


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
