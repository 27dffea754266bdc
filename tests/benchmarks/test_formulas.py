"""The benchmark formulas against numbers worked by hand (and Excel's own example)."""

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.benchmarks.formulas import pct_past_due, percentile_inc, period_days, quartiles


def test_excels_documented_example():
    # PERCENTILE.INC({1,3,2,4}, 0.3) = 1.9: h = 3 x 0.3 = 0.9, 1 + 0.9 x (2 - 1).
    assert percentile_inc([1, 3, 2, 4], Fraction(3, 10)) == Fraction(19, 10)


@pytest.mark.parametrize(
    "values, expected",
    [
        # h = 0.75, 1.5, 2.25 over 1 2 3 4.
        ([1, 2, 3, 4], (Fraction(7, 4), Fraction(5, 2), Fraction(13, 4))),
        # h = 1, 2, 3: exact ranks.
        ([15, 20, 35, 40, 50], (20, 35, 40)),
        # unsorted input; h = 0.5, 1, 1.5.
        ([3, 1, 2], (Fraction(3, 2), 2, Fraction(5, 2))),
        ([10], (10, 10, 10)),
        # h = 0.5 between 30.5 and 45; 1.5 between 45 and 60.
        ([Fraction(61, 2), 45, 60], (Fraction(151, 4), 45, Fraction(105, 2))),
        # ties
        ([5, 5, 5, 9], (5, 5, 6)),
    ],
)
def test_quartiles_worked_by_hand(values, expected):
    assert quartiles(values) == tuple(Fraction(v) for v in expected)


def test_the_ends_are_the_minimum_and_maximum():
    assert percentile_inc([7, 2, 9], Fraction(0)) == 2
    assert percentile_inc([7, 2, 9], Fraction(1)) == 9
    with pytest.raises(ValueError):
        percentile_inc([], Fraction(1, 2))
    with pytest.raises(ValueError):
        percentile_inc([1], Fraction(3, 2))


@given(st.lists(st.integers(-10_000, 10_000), min_size=1, max_size=40))
def test_quartiles_are_ordered_and_within_the_values(values):
    p25, median, p75 = quartiles(values)
    assert min(values) <= p25 <= median <= p75 <= max(values)


@pytest.mark.parametrize(
    "period, first, last",
    [
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2024-Q1", date(2024, 1, 1), date(2024, 3, 31)),
        ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
    ],
)
def test_period_days(period, first, last):
    assert period_days(period) == (first, last)


@pytest.mark.parametrize(
    "period", ["2026-Q0", "2026-Q5", "2026Q1", "26-Q1", "1899-Q4", "", "2026-Q1\n", "٢٠٢٦-Q1"]
)
def test_bad_periods(period):
    with pytest.raises(ValueError):
        period_days(period)


def test_pct_past_due():
    assert pct_past_due(2000, 500) == 25
    assert pct_past_due(3, 1) == Fraction(100, 3)
    assert pct_past_due(0, 0) is None
