"""Small-cell suppression for aggregate reports. Pure functions: no database, no clock.

Rules:
- Primary: a count under THRESHOLD (zero included) is published as null with suppressed=true.
- Complementary: in a group of cells published with a total, the suppressed cells' sum is known
  (total minus the published cells). While that sum would give a suppressed cell back (a single suppressed
  cell, or a known sum of zero), or would with a little side knowledge (fewer than two non-zero suppressed
  cells, or every suppressed cell at the top of its range), the smallest other published cell of the group
  is suppressed too; when none is left and subtraction would still give a cell back, the total is
  suppressed. For a total at or above the threshold over cells that add up to it, that last step never
  happens, so such a total is published alike in every grouping of the same data.
- A rate is published only when its numerator, its denominator and their difference are all at least
  THRESHOLD and no count it is derived from was suppressed (with the counts beside it, a rate would
  otherwise give a suppressed count back).
- A statistic (median, percentile) of fewer than THRESHOLD items is suppressed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

THRESHOLD = 11


@dataclass(frozen=True)
class Cell:
    value: int | float | None
    suppressed: bool

    def as_dict(self) -> dict[str, int | float | bool | None]:
        return {"value": self.value, "suppressed": self.suppressed}


def _exposed(values: Sequence[int], hidden: list[int]) -> bool:
    """Subtraction from the total gives a hidden cell back: a single hidden cell, or hidden cells whose known
    sum is zero (counts are never negative, so each of them is zero)."""
    return len(hidden) < 2 or sum(values[i] for i in hidden) == 0


def _weak(values: Sequence[int], hidden: list[int], threshold: int) -> bool:
    """Side knowledge would give a hidden cell back: fewer than two non-zero hidden cells (someone who knows
    the others are structurally zero has the one left), or hidden cells that all failed the threshold and sum
    to the top of their range (each must then be threshold - 1)."""
    if sum(1 for i in hidden if values[i] > 0) < 2:
        return True
    known_sum = sum(values[i] for i in hidden)
    return all(values[i] < threshold for i in hidden) and known_sum == (threshold - 1) * len(hidden)


def suppress_group(
    values: Sequence[int], total: int | None = None, threshold: int = THRESHOLD
) -> tuple[list[bool], bool]:
    """Suppression flags for the cells of one group and for its total (False when there is no total).

    While the hidden cells are exposed or weak, the smallest published cell joins them; when none is left
    and they are still exposed, the total is suppressed."""
    if any(v < 0 for v in values) or (total is not None and total < 0):
        raise ValueError("counts are never negative")
    flags = [v < threshold for v in values]
    total_flag = total is not None and total < threshold
    if total is None or total_flag:
        return flags, total_flag
    while True:
        hidden = [i for i, f in enumerate(flags) if f]
        if not hidden:
            return flags, False
        exposed = _exposed(values, hidden)
        if not exposed and not _weak(values, hidden, threshold):
            return flags, False
        shown = [i for i, f in enumerate(flags) if not f]
        if not shown:
            return flags, exposed
        flags[min(shown, key=lambda i: (values[i], i))] = True


def count_cells(values: Sequence[int], total: int | None = None) -> tuple[list[Cell], Cell | None]:
    """Cells for one group of counts and its total, suppressed as the rules say."""
    flags, total_flag = suppress_group(values, total)
    cells = [Cell(None, True) if f else Cell(int(v), False) for v, f in zip(values, flags, strict=True)]
    if total is None:
        return cells, None
    return cells, Cell(None, True) if total_flag else Cell(int(total), False)


def suppress_columns(
    rows: Sequence[Mapping[str, int]], total: Mapping[str, int] | None, columns: Sequence[str]
) -> tuple[list[dict[str, Cell]], dict[str, Cell] | None]:
    """Each column is a group of its own (the rows' cells and the total's cell in that column)."""
    out_rows: list[dict[str, Cell]] = [{} for _ in rows]
    out_total: dict[str, Cell] | None = {} if total is not None else None
    for col in columns:
        cells, total_cell = count_cells([r[col] for r in rows], total[col] if total is not None else None)
        for out, cell in zip(out_rows, cells, strict=True):
            out[col] = cell
        if out_total is not None and total_cell is not None:
            out_total[col] = total_cell
    return out_rows, out_total


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
