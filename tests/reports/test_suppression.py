"""Unit tests of the small-cell suppression rules (pure, no database)."""

from __future__ import annotations

import itertools
import random

import pytest

from app.reports.suppression import (
    THRESHOLD,
    Cell,
    count_cells,
    percentile,
    rate_cell,
    statistic_cell,
    suppress_columns,
    suppress_group,
)


def published(values: list[int], total: int | None = None) -> tuple[list[int | None], int | None]:
    cells, total_cell = count_cells(values, total)
    return [c.value for c in cells], (total_cell.value if total_cell else None)


def test_cells_under_eleven_are_null_and_suppressed() -> None:
    cells, _ = count_cells([0, 1, 10, 11, 250])
    assert [c.as_dict() for c in cells] == [
        {"value": None, "suppressed": True}, {"value": None, "suppressed": True},
        {"value": None, "suppressed": True}, {"value": 11, "suppressed": False},
        {"value": 250, "suppressed": False},
    ]
    assert THRESHOLD == 11


def test_one_suppressed_cell_takes_the_smallest_other_cell_with_it() -> None:
    assert published([40, 3, 25, 60], 128) == ([40, None, None, 60], 128)


def test_suppressed_cells_known_to_sum_to_zero_take_another_cell_with_them() -> None:
    # 0 and 0 are both hidden, but the total minus the published cells would be 0: each must be 0. One more
    # cell would leave a single non-zero hidden cell, so two join them.
    assert published([0, 0, 30, 45, 50], 125) == ([None, None, None, None, 50], 125)


def test_one_nonzero_cell_among_zeros_is_not_left_alone() -> None:
    # Someone who knows the zero rows are structurally empty would otherwise read the 7 back.
    assert published([7, 0, 30, 45], 82) == ([None, None, None, 45], 82)


def test_cells_at_the_top_of_their_range_take_another_cell_with_them() -> None:
    # two hidden cells known to sum to 20, each under 11: both must be 10
    assert published([10, 10, 30], 50) == ([None, None, None], 50)


def test_two_suppressed_cells_with_an_ambiguous_sum_stand_alone() -> None:
    assert published([4, 6, 30], 40) == ([None, None, 30], 40)


def test_a_small_total_is_suppressed() -> None:
    assert published([3, 4], 7) == ([None, None], None)


def test_the_total_goes_when_nothing_else_can_hide_a_lone_cell() -> None:
    # not additive (a case may count in several groups), and only one cell to hide
    flags, total_flag = suppress_group([5], 12)
    assert flags == [True] and total_flag is True


def test_without_a_total_only_small_cells_are_suppressed() -> None:
    assert published([3, 12]) == ([None, 12], None)


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        suppress_group([-1, 20], 19)


def test_columns_are_suppressed_each_against_its_own_total() -> None:
    rows, total = suppress_columns(
        [{"a": 3, "b": 20}, {"a": 30, "b": 25}, {"a": 40, "b": 12}], {"a": 73, "b": 57}, ["a", "b"])
    assert [r["a"].value for r in rows] == [None, None, 40]
    assert [r["b"].value for r in rows] == [20, 25, 12]
    assert total is not None and total["a"].value == 73 and total["b"].value == 57


def _recoverable(values: list[int], cells: list[Cell], total: Cell | None) -> list[int]:
    """Indexes of suppressed cells whose value follows from the published cells and the published total:
    every assignment of non-negative counts to the suppressed cells that matches the total is tried."""
    if total is None or total.suppressed:
        return []
    hidden = [i for i, c in enumerate(cells) if c.suppressed]
    if not hidden:
        return []
    remaining = total.value - sum(c.value for c in cells if not c.suppressed)  # type: ignore[operator]
    assert remaining == sum(values[i] for i in hidden)
    possible: dict[int, set[int]] = {i: set() for i in hidden}
    if len(hidden) == 1:
        return hidden
    if (remaining + 1) ** len(hidden) > 20_000:
        # too many to try: with two or more non-negative hidden cells, each can be anything from 0 to the sum
        return [i for i in hidden if remaining == 0]
    for combo in itertools.product(range(remaining + 1), repeat=len(hidden)):
        if sum(combo) == remaining:
            for i, v in zip(hidden, combo, strict=True):
                possible[i].add(v)
    return [i for i in hidden if len(possible[i]) == 1]


def test_no_suppressed_cell_can_be_recovered_by_subtracting_published_cells_from_a_published_total() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        n = rng.randint(1, 7)
        values = [rng.choice([0, 0, rng.randint(1, 10), rng.randint(11, 40), rng.randint(1, 60)]) for _ in range(n)]
        total = sum(values)
        cells, total_cell = count_cells(values, total)
        assert all(c.value is None for c in cells if c.suppressed)
        assert all(c.value == v for c, v in zip(cells, values, strict=True) if not c.suppressed)
        assert all(c.suppressed for c, v in zip(cells, values, strict=True) if v < THRESHOLD)
        assert _recoverable(values, cells, total_cell) == [], (values, cells, total_cell)
        # a total that is not small is never suppressed when its cells add up to it, so every grouping of
        # the same data publishes the same total
        assert total_cell is not None and total_cell.suppressed == (total < THRESHOLD)


def test_the_recoverability_check_itself_catches_primary_suppression_alone() -> None:
    # what primary suppression alone would publish: one hidden cell next to a total gives it back
    cells = [Cell(None, True), Cell(40, False)]
    assert _recoverable([3, 40], cells, Cell(43, False)) == [0]


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
