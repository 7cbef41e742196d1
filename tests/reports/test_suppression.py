"""Unit tests of the small-cell suppression rules (pure, no database), and the property that no suppressed
cell can be recovered from all published answers of a year together."""

from __future__ import annotations

import random

import pytest

from app.reports.periods import NODES, YEAR_NODE, month_node, quarter_node
from app.reports.suppression import (
    THRESHOLD,
    Cell,
    LinkedYear,
    YearCounts,
    percentile,
    rate_cell,
    same_totals,
    statistic_cell,
    suppress_year,
)
from tests.reports.attacker import TOTAL, Published, recovered

JAN = month_node(0)


def in_january(values: list[int], total: int | None = None, additive: bool = True) -> LinkedYear:
    """A year whose counts all fall in January (so January, Q1 and the year are one and the same table)."""
    rows = [[v] + [0] * 11 for v in values]
    t = None if total is None and not additive else [sum(values) if total is None else total] + [0] * 11
    return LinkedYear(rows, t, additive).suppress()


def published(values: list[int], total: int | None = None, additive: bool = True) -> tuple[list, int | None]:
    ly = in_january(values, total, additive)
    cells = [ly.cell(i, JAN).value for i in range(len(values))]
    return cells, (ly.cell(-1, JAN).value if ly.total is not None else None)


def year_of(rows: list[list[int]], total: list[int] | None, additive: bool) -> Published:
    """Every answer of the year (17 periods, rows and total) as the reports publish them."""
    groups = [f"g{i}" for i in range(len(rows))]
    counts = YearCounts(groups, ["n"], {g: {"n": r} for g, r in zip(groups, rows, strict=True)},
                        {"n": total} if total is not None else None, additive)
    pattern = suppress_year(counts)
    shown: dict[tuple[str, int], int | None] = {}
    truth: dict[tuple[str, int], int] = {}
    for node in range(NODES):
        for g, cells in zip(groups, pattern.rows_at(node), strict=True):
            shown[(g, node)] = cells["n"].value
            truth[(g, node)] = pattern.value(g, "n", node)
        total_cells = pattern.total_at(node)
        if total_cells is not None:
            shown[(TOTAL, node)] = total_cells["n"].value
            truth[(TOTAL, node)] = pattern.value(None, "n", node)
    return Published(groups, total is not None, additive, shown, truth)


def test_cells_under_eleven_are_null_and_suppressed() -> None:
    ly = in_january([0, 1, 10, 11, 250])
    assert [ly.cell(i, JAN).as_dict() for i in range(5)][:3] == [{"value": None, "suppressed": True}] * 3
    assert all(ly.cell(i, JAN).suppressed for i in range(3))
    assert THRESHOLD == 11


def test_one_suppressed_cell_takes_the_smallest_other_cell_with_it() -> None:
    assert published([40, 3, 25, 60]) == ([40, None, None, 60], 128)


def test_zeros_are_suppressed_but_need_no_company() -> None:
    # a zero discloses no one: the cells beside it stay published (the sum of the hidden zeros is known)
    assert published([0, 0, 30, 45, 50]) == ([None, None, 30, 45, 50], 125)


def test_one_nonzero_cell_among_zeros_is_not_left_alone() -> None:
    # Someone who knows the zero rows are structurally empty would otherwise read the 7 back.
    assert published([7, 0, 30, 45]) == ([None, None, None, 45], 82)


def test_cells_at_the_top_of_their_range_take_another_cell_with_them() -> None:
    # two hidden cells known to sum to 20, each under 11: both must be 10
    assert published([10, 10, 30]) == ([None, None, None], 50)


def test_two_suppressed_cells_with_an_ambiguous_sum_stand_alone() -> None:
    assert published([4, 6, 30]) == ([None, None, 30], 40)


def test_a_small_total_is_suppressed() -> None:
    assert published([3, 4]) == ([None, None], None)


def test_a_row_that_is_not_part_of_the_total_is_protected_along_time() -> None:
    # not additive (a case may count in several rows): the total says only that no row exceeds it
    assert published([5], 12, additive=False) == ([None], 12)


def test_without_a_total_only_small_cells_are_suppressed() -> None:
    assert published([3, 12], additive=False) == ([None, 12], None)


def test_bad_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        LinkedYear([[-1] + [0] * 11], [0] * 12, True)
    with pytest.raises(ValueError):
        LinkedYear([[1] * 11], None, False)
    with pytest.raises(ValueError):
        LinkedYear([[1] * 12], [2] * 12, True)  # an additive total is the sum of its rows


def test_a_small_month_is_hidden_with_another_month_and_its_quarter_stays() -> None:
    # 30 cases a month, but 4 in February: February and the cheapest month beside it in the same quarter go,
    # in that row and in the total (one row), and the quarter and the year stay published
    ly = LinkedYear([[30, 4, 30] + [30] * 9], [30, 4, 30] + [30] * 9, True).suppress()
    assert ly.cell(-1, month_node(1)).suppressed and ly.cell(0, month_node(1)).suppressed
    assert sum(ly.cell(-1, month_node(m)).suppressed for m in range(3)) == 2
    assert ly.cell(-1, quarter_node(0)).value == 64 and ly.cell(-1, YEAR_NODE).value == 334


def test_the_same_counts_give_the_same_pattern() -> None:
    rng = random.Random(3)
    rows = [[rng.choice([0, 2, 7, 15, 40]) for _ in range(12)] for _ in range(4)]
    total = [sum(c) for c in zip(*rows, strict=True)]
    first = LinkedYear(rows, total, True).suppress().hidden
    assert all(LinkedYear(rows, total, True).suppress().hidden == first for _ in range(3))


def test_tables_over_the_same_cases_publish_one_total_row() -> None:
    rows_a = [[12] * 12, [3] + [20] * 11]
    rows_b = [[15] * 12, [0] + [17] * 11]
    total = [sum(c) for c in zip(*rows_a, strict=True)]
    a = suppress_year(YearCounts(["x", "y"], ["n"], {"x": {"n": rows_a[0]}, "y": {"n": rows_a[1]}},
                                 {"n": total}, True))
    b = suppress_year(YearCounts(["x", "y"], ["n"], {"x": {"n": rows_b[0]}, "y": {"n": rows_b[1]}},
                                 {"n": total}, False))
    same_totals([a, b])
    assert all(a.total_at(n) == b.total_at(n) for n in range(NODES))


def _random_year(rng: random.Random) -> tuple[list[list[int]], list[int] | None, bool]:
    groups = rng.randint(1, 5)
    busy = rng.random()

    def month() -> int:
        if rng.random() > busy:
            return 0
        return rng.choice([rng.randint(1, 10), rng.randint(1, 10), rng.randint(1, 4), rng.randint(11, 40),
                           rng.randint(1, 60)])

    rows = [[month() for _ in range(12)] for _ in range(groups)]
    kind = rng.choice(["additive", "additive", "overlapping", "none"])
    if kind == "additive":
        return rows, [sum(c) for c in zip(*rows, strict=True)], True
    if kind == "none":
        return rows, None, False
    # a case may count in several rows, or in none: the total lies between the largest row and the sum plus
    total = [rng.randint(max(c), sum(c) + rng.choice([0, 0, 3])) for c in zip(*rows, strict=True)]
    return rows, total, False


def test_no_suppressed_cell_can_be_recovered_from_all_published_answers_of_a_year() -> None:
    rng = random.Random(11)
    for _ in range(150):
        rows, total, additive = _random_year(rng)
        p = year_of(rows, total, additive)
        for (group, node), value in p.shown.items():
            true = p.truth[(group, node)]
            assert value is None or value == true >= THRESHOLD, (group, node)
            if true < THRESHOLD:
                assert value is None
        assert recovered(p) == [], (rows, total, additive)


def test_the_attacker_recovers_what_primary_suppression_alone_leaves() -> None:
    # what the old per-window tables allowed: each period on its own hides small cells, but January is
    # the quarter minus February and March
    rows = [[4, 30, 30] + [0] * 9]
    shown: dict[tuple[str, int], int | None] = {}
    truth: dict[tuple[str, int], int] = {}
    for node in range(NODES):
        for g in ("g0", TOTAL):
            value = LinkedYear(rows, rows[0], True).value(0, node)
            truth[(g, node)] = value
            shown[(g, node)] = value if value >= THRESHOLD else None
    p = Published(["g0"], True, True, shown, truth)
    assert [(g, n, v) for g, n, v, _, _ in recovered(p)] == [("g0", JAN, 4), (TOTAL, JAN, 4)]


def test_rates_need_eleven_on_every_side_and_no_suppressed_source() -> None:
    assert rate_cell(15, 30) == Cell(0.5, False)
    assert rate_cell(15, 20).suppressed  # the 5 others would follow from rate and denominator
    assert rate_cell(5, 30).suppressed
    assert rate_cell(9, 9).suppressed
    assert rate_cell(15, 30, linked=[Cell(None, True)]).suppressed
    assert rate_cell(15, 30, linked=[Cell(15, False)]) == Cell(0.5, False)


def test_statistics_of_fewer_than_eleven_items_are_suppressed() -> None:
    assert statistic_cell([1.0] * 10, 0.5) == Cell(None, True)
    assert statistic_cell([float(i) for i in range(1, 12)], 0.5) == Cell(6.0, False)
    assert statistic_cell([float(i) for i in range(1, 12)], 0.9) == Cell(10.0, False)


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([10], 0.9) == 10
    assert percentile([0, 10], 0.9) == 9.0
    with pytest.raises(ValueError):
        percentile([], 0.5)
