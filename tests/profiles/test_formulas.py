"""The profile formulas, against cases computed by hand (see docs/METHODOLOGY.md)."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.profiles.formulas import (
    INDEX_POINTS,
    contributor_letter,
    contributor_order_key,
    line_dbt,
    lookback_start,
    payment_index,
    risk_tier,
    round_half_up,
    suppression_from_summary,
    suppression_reason,
    trend_months,
    weighted_dbt,
)

D = Decimal


# --- line DBT -------------------------------------------------------------------------


def test_line_dbt_from_buckets_uses_the_bucket_midpoints():
    # (15·100 + 45·200 + 75·300 + 105·400) / 1000 = 75000 / 1000
    assert line_dbt(D("1000"), [D("100"), D("200"), D("300"), D("400")]) == 75


def test_line_dbt_of_a_current_account_is_zero():
    assert line_dbt(D("500"), [D(0)] * 4) == 0


def test_line_dbt_keeps_fractions_exact():
    # 15·1 / 3 = 5 and 45·1 / 7 = 45/7: no rounding on the way
    assert line_dbt(D("0.03"), [D("0.01"), 0, 0, 0]) == 5
    assert line_dbt(D("7"), [0, D("1"), 0, 0]) == Fraction(45, 7)


def test_line_dbt_is_zero_when_nothing_is_owed():
    assert line_dbt(D(0), [D(0)] * 4) == 0


def test_reported_days_beyond_terms_win_over_the_buckets():
    assert line_dbt(D("1000"), [D("1000"), 0, 0, 0], days_beyond_terms=3) == 3
    assert line_dbt(D(0), [D(0)] * 4, days_beyond_terms=-12) == -12  # pays early
    assert line_dbt(D(0), [D(0)] * 4, days_beyond_terms=0) == 0


# --- weighted DBT ----------------------------------------------------------------------


def test_weighted_dbt_weighs_lines_by_what_is_owed():
    # (10·100 + 40·300) / 400 = 13000 / 400 = 32.5
    assert weighted_dbt([(10, D("100"), D("500")), (40, D("300"), D("500"))]) == Fraction(65, 2)


def test_weighted_dbt_falls_back_to_high_credit_when_nothing_is_owed():
    # (5·100 + 20·300) / 400 = 16.25
    assert weighted_dbt([(5, D(0), D("100")), (20, D(0), D("300"))]) == Fraction(65, 4)


def test_weighted_dbt_is_null_when_nothing_is_owed_and_no_credit_given():
    assert weighted_dbt([(5, D(0), D(0)), (0, D(0), D(0))]) is None
    assert weighted_dbt([]) is None


def test_weighted_dbt_of_negative_line_dbts():
    # (-10·200 + 0·200) / 400 = -5
    assert weighted_dbt([(-10, D("200"), D("1")), (0, D("200"), D("1"))]) == -5


# --- payment index ---------------------------------------------------------------------


@pytest.mark.parametrize(("dbt", "index"), INDEX_POINTS)
def test_payment_index_exactly_on_each_point(dbt, index):
    assert payment_index(dbt) == index


@pytest.mark.parametrize(
    ("dbt", "index"),
    [
        (-10, 85),  # between (-20, 90) and (0, 80): 90 - 10·10/20
        (-25, 95),
        (10, 73),  # 80 - 10·10/15 = 73.33
        (18.5, 65),  # 70 - 10·3.5/7
        (26, 55),  # 60 - 10·4/8
        (45, 45),
        (75, 35),
        (105, 25),
        (D("4.5"), 77),  # 80 - 3
    ],
)
def test_payment_index_is_linear_between_points(dbt, index):
    assert payment_index(dbt) == index


@pytest.mark.parametrize(
    ("dbt", "index"),
    [
        (D("11.25"), 73),  # 80 - 7.5 = 72.5 -> 73
        (D("3.75"), 78),  # 77.5 -> 78
        (D("-25.5"), 96),  # 100 - 4.5 = 95.5 -> 96
        (Fraction(363, 20), 66),  # 18.15: 70 - 10·3.15/7 = 65.5 -> 66
        (Fraction(45, 4), 73),
    ],
)
def test_payment_index_rounds_halves_up(dbt, index):
    assert payment_index(dbt) == index


def test_payment_index_just_below_a_half_rounds_down():
    assert payment_index(Fraction(1125, 100) + Fraction(1, 10**9)) == 72  # 72.4999...


def test_payment_index_is_flat_beyond_both_ends():
    assert payment_index(-31) == 100
    assert payment_index(-3650) == 100
    assert payment_index(121) == 20
    assert payment_index(3650) == 20


def test_payment_index_of_no_dbt_is_null():
    assert payment_index(None) is None


def test_round_half_up():
    assert round_half_up(Fraction(5, 2)) == 3
    assert round_half_up(Fraction(49, 20)) == 2
    assert round_half_up(Fraction(-1, 2)) == 0


dbts = st.fractions(min_value=-200, max_value=400, max_denominator=10_000)


@given(dbts, dbts)
def test_payment_index_never_rises_as_dbt_rises(a, b):
    low, high = sorted((a, b))
    assert payment_index(low) >= payment_index(high)


@given(dbts)
def test_payment_index_stays_between_20_and_100(dbt):
    assert 20 <= payment_index(dbt) <= 100


# --- risk tier -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "tier"), [(0, "high"), (49, "high"), (50, "medium"), (79, "medium"), (80, "low")]
)
def test_risk_tier_bands_of_the_payment_index(index, tier):
    assert risk_tier(index) == tier


def test_an_open_legal_action_keeps_a_good_payer_out_of_low():
    assert risk_tier(90, legal=[("suit", "filed")]) == "medium"
    assert risk_tier(90, legal=[("collection_placement", "pending")]) == "medium"
    assert risk_tier(90, legal=[("suit", "dismissed"), ("judgment", "satisfied")]) == "low"


@pytest.mark.parametrize("kind", ["judgment", "lien", "bankruptcy"])
@pytest.mark.parametrize("status", ["filed", "pending"])
def test_an_open_judgment_lien_or_bankruptcy_is_high(kind, status):
    assert risk_tier(95, legal=[(kind, status)]) == "high"
    assert risk_tier(None, legal=[(kind, status)]) == "high"


def test_approved_fraud_is_high_whatever_the_index():
    assert risk_tier(100, approved_fraud=True) == "high"
    assert risk_tier(None, approved_fraud=True) == "high"


def test_without_an_index_only_deciding_facts_give_a_tier():
    assert risk_tier(None) is None
    # An open suit rules out `low` but not `high`: the hidden index would decide.
    assert risk_tier(None, legal=[("suit", "filed")]) is None
    assert risk_tier(None, legal=[("lien", "released")]) is None


# --- anonymity -------------------------------------------------------------------------


def test_too_few_contributors():
    assert suppression_reason([], min_contributors=3) == "min_contributors"
    assert suppression_reason([D(1), D(2)], min_contributors=3) == "min_contributors"
    assert suppression_reason([D(1), D(2), D(3)], min_contributors=3) is None


def test_dominance_is_more_than_the_share_not_exactly_it():
    # 700 of 1000 = 0.7 > 0.6
    assert (
        suppression_reason([D(700), D(200), D(100)], min_contributors=3, dominance_share=0.6)
        == "dominance"
    )
    # 600 of 1000 = 0.6, not more than 0.6
    assert (
        suppression_reason([D(600), D(300), D(100)], min_contributors=3, dominance_share=0.6)
        is None
    )


def test_p_percent_rule():
    # Σ − x1 − x2 = 950 − 500 − 400 = 50 < 20% of 500 = 100
    assert (
        suppression_reason([D(500), D(400), D(50)], min_contributors=3, p_percent=20) == "p_percent"
    )
    # 1000 − 500 − 400 = 100, not < 100
    assert suppression_reason([D(500), D(400), D(100)], min_contributors=3, p_percent=20) is None
    # order of the list does not matter
    assert (
        suppression_reason([D(50), D(400), D(500)], min_contributors=3, p_percent=20) == "p_percent"
    )


def test_p_percent_with_a_single_contributor_allowed():
    # x2 = 0: Σ − x1 = 0 < p% of x1 as soon as anything is owed
    assert suppression_reason([D(10)], min_contributors=1, p_percent=1) == "p_percent"
    assert suppression_reason([D(0)], min_contributors=1, p_percent=1) is None


def test_rules_are_checked_in_the_contract_order():
    owed = [D(900), D(50)]
    assert (
        suppression_reason(owed, min_contributors=3, dominance_share=0.6, p_percent=50)
        == "min_contributors"
    )
    assert (
        suppression_reason(owed, min_contributors=2, dominance_share=0.6, p_percent=50)
        == "dominance"
    )
    assert suppression_reason(owed, min_contributors=2, p_percent=50) == "p_percent"


def test_nothing_owed_is_neither_dominated_nor_disclosive():
    assert (
        suppression_reason([D(0)] * 3, min_contributors=3, dominance_share=0.51, p_percent=100)
        is None
    )


def test_summary_form_agrees_with_the_list_form():
    assert suppression_from_summary(
        3, D(950), D(500), D(400), min_contributors=3, p_percent=20
    ) == suppression_reason([D(500), D(400), D(50)], min_contributors=3, p_percent=20)


@given(
    st.lists(st.integers(min_value=0, max_value=10**9), max_size=8),
    st.integers(min_value=1, max_value=5),
    st.one_of(st.none(), st.floats(min_value=0.51, max_value=1)),
    st.one_of(st.none(), st.floats(min_value=0.01, max_value=100)),
)
def test_summary_and_list_forms_always_agree(owed, minimum, share, p):
    ranked = sorted(owed, reverse=True) + [0, 0]
    assert suppression_from_summary(
        len(owed),
        sum(owed),
        ranked[0],
        ranked[1],
        min_contributors=minimum,
        dominance_share=share,
        p_percent=p,
    ) == suppression_reason(owed, min_contributors=minimum, dominance_share=share, p_percent=p)


# --- letters, windows, months ----------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "letter"),
    [(0, "A"), (1, "B"), (25, "Z"), (26, "AA"), (27, "AB"), (52, "BA"), (701, "ZZ"), (702, "AAA")],
)
def test_contributor_letters(position, letter):
    assert contributor_letter(position) == letter


def test_contributor_order_is_by_descending_high_credit_then_owed():
    day = date(2026, 1, 31)
    lines = {
        "m1": (D(100), D(50)),
        "m2": (D(900), D(10)),
        "m3": (D(100), D(80)),
    }
    ordered = sorted(lines, key=lambda m: contributor_order_key("c", m, *lines[m], day))
    assert ordered == ["m2", "m3", "m1"]


def test_exact_ties_are_broken_differently_per_client():
    day = date(2026, 1, 31)
    members = [f"member-{i}" for i in range(8)]

    def order(client):
        return sorted(members, key=lambda m: contributor_order_key(client, m, 1, 1, day))

    assert order("client-1") == order("client-1")
    assert len({tuple(order(f"client-{i}")) for i in range(10)}) > 1


def test_lookback_start_clamps_to_month_end():
    assert lookback_start(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert lookback_start(date(2024, 2, 29), 12) == date(2023, 2, 28)
    assert lookback_start(date(2026, 6, 15), 12) == date(2025, 6, 15)


def test_trend_months_end_with_the_month_of_as_of():
    assert trend_months(date(2026, 3, 15), 3) == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]
    assert trend_months(date(2026, 1, 10), 2) == [date(2025, 12, 1), date(2026, 1, 1)]
    assert len(trend_months(date(2026, 1, 10), 24)) == 24


def test_the_worked_example_of_the_methodology():
    """docs/METHODOLOGY.md, 'Worked example', figure by figure."""
    lines = {  # member: (high credit, total owed, (1-30, 31-60, 61-90, >90), reported DBT)
        "alpha": (50_000, 20_000, (6_000, 2_000, 0, 0), None),
        "beta": (30_000, 10_000, (3_000, 2_000, 1_000, 0), None),
        "gamma": (12_000, 5_000, (0, 0, 0, 0), -3),
        "delta": (8_000, 0, (0, 0, 0, 0), None),
    }
    dbt = {m: line_dbt(owed, past_due, days) for m, (_, owed, past_due, days) in lines.items()}
    assert dbt == {"alpha": 9, "beta": 21, "gamma": -3, "delta": 0}
    weighted = weighted_dbt([(dbt[m], owed, high) for m, (high, owed, _, _) in lines.items()])
    assert weighted == Fraction(375_000, 35_000)
    assert payment_index(weighted) == 73
    assert risk_tier(73) == "medium"
    assert risk_tier(73, legal=[("suit", "filed")]) == "medium"
    assert risk_tier(73, legal=[("lien", "filed")]) == "high"
    owed = [o for _, o, _, _ in lines.values()]
    assert suppression_reason(owed, min_contributors=3, dominance_share=0.6) is None
    assert suppression_reason(owed, min_contributors=3, dominance_share=0.55) == "dominance"
    assert suppression_reason(owed, min_contributors=3, p_percent=25) is None
    assert suppression_reason(owed, min_contributors=3, p_percent=30) == "p_percent"
    order = sorted(
        lines,
        key=lambda m: contributor_order_key("c", m, lines[m][0], lines[m][1], date(2026, 6, 30)),
    )
    assert [contributor_letter(i) for i, _ in enumerate(order)] == ["A", "B", "C", "D"]
    assert order == ["alpha", "beta", "gamma", "delta"]


def test_display_figures_round_half_up_to_two_decimals():
    from app.profiles.service import two_places

    assert two_places(Fraction(75, 7)) == 10.71  # 10.714...
    assert two_places(Fraction(1, 200)) == 0.01  # 0.005 exactly
    assert two_places(Fraction(-1, 200)) == -0.01
    assert two_places(D("2.345")) == 2.35
    assert two_places(Fraction(9000, 35000) * 100) == 25.71
    assert two_places(-3) == -3.0


# --- the integer arithmetic against the contract's formulas in plain Fractions ----------
# The formulas compute on integer (numerator, denominator) pairs for speed; these are the
# same formulas written the obvious way, and the two must agree exactly.

cents = st.integers(min_value=-(10**9), max_value=10**11).map(lambda c: D(c) / 100)


def _reference_index(dbt: Fraction) -> int:
    points = INDEX_POINTS
    if dbt <= points[0][0]:
        return points[0][1]
    if dbt >= points[-1][0]:
        return points[-1][1]
    for (d0, i0), (d1, i1) in zip(points, points[1:], strict=False):
        if d0 <= dbt <= d1:
            return round_half_up(i0 + Fraction(i1 - i0, d1 - d0) * (dbt - d0))
    raise AssertionError


@given(st.fractions(min_value=-100, max_value=200, max_denominator=10**7))
def test_payment_index_is_the_plain_fraction_formula(dbt):
    assert payment_index(dbt) == _reference_index(dbt)


@given(cents, st.lists(cents, min_size=4, max_size=4))
def test_line_dbt_is_the_plain_fraction_formula(owed, buckets):
    expected = (
        sum((m * Fraction(b) for m, b in zip((15, 45, 75, 105), buckets, strict=True)), Fraction(0))
        / Fraction(owed)
        if owed
        else Fraction(0)
    )
    assert line_dbt(owed, buckets) == expected


@given(
    st.lists(
        st.tuples(st.fractions(min_value=-50, max_value=500, max_denominator=10**6), cents, cents),
        max_size=6,
    )
)
def test_weighted_dbt_is_the_plain_fraction_formula(lines):
    owed = sum((Fraction(o) for _, o, _ in lines), Fraction(0))
    high = sum((Fraction(h) for _, _, h in lines), Fraction(0))
    if owed:
        expected = sum((d * Fraction(o) for d, o, _ in lines), Fraction(0)) / owed
    elif high:
        expected = sum((d * Fraction(h) for d, _, h in lines), Fraction(0)) / high
    else:
        expected = None
    assert weighted_dbt(lines) == expected


@given(
    st.lists(cents, min_size=1, max_size=8),
    st.one_of(st.none(), st.floats(min_value=0.01, max_value=1)),
    st.one_of(st.none(), st.floats(min_value=0, max_value=100)),
)
def test_suppression_is_the_plain_fraction_rule(owed, share, p):
    ranked = sorted((Fraction(x) for x in owed), reverse=True) + [Fraction(0)] * 2
    total, x1, x2 = sum(ranked), ranked[0], ranked[1]
    if share is not None and x1 > Fraction(D(repr(share))) * total:
        expected = "dominance"
    elif p is not None and total - x1 - x2 < Fraction(D(repr(p))) / 100 * x1:
        expected = "p_percent"
    else:
        expected = None
    assert suppression_reason(owed, min_contributors=1, dominance_share=share, p_percent=p) == (
        expected
    )
