"""`profile.deteriorated`: decided when lines land, month over month, once per client month."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.alerts.deterioration import MonthFigures, deteriorated, month_figures
from app.groups.schemas import GroupSettings
from app.profiles.formulas import add_months
from tests.alerts.stories import (
    LAST_MONTH,
    LONG_AGO,
    TODAY,
    alerted_members,
    alerts,
    everyone,
    trade_line,
    watch,
)
from tests.helpers import new_client, submit_batch
from tests.imports.csvs import row, run_import, to_csv
from tests.world import add_group, add_member

TYPE = "profile.deteriorated"


@pytest.fixture
def scene(api, world):
    """Members 0-2 report the client last month, all prompt; member 3 watches it."""
    add_member(api, world.a, "Member 4")
    m = world.a.members
    client_id = new_client(api, m[0].analyst)
    for member in m[:3]:
        submit_batch(api, member.key, trade_line(client_id, LAST_MONTH, dbt=0))
    watch(api, m[3].analyst, client_id)
    return world, client_id


def test_a_landing_that_drops_the_index_ten_points_alerts_the_others(api, scene):
    world, client_id = scene
    m = world.a.members
    # Month by month: the first two lines of this month leave it suppressed (fewer than
    # three contributors), so nothing is decided yet.
    submit_batch(api, m[0].key, trade_line(client_id, TODAY, dbt=0))
    submit_batch(api, m[1].key, trade_line(client_id, TODAY, dbt=0))
    assert alerted_members(api, everyone(world), TYPE, client_id) == set()

    # (0 + 0 + 60) / 3 = 20 days beyond terms: payment index 80 -> 63, tier low -> medium.
    submit_batch(api, m[2].key, trade_line(client_id, TODAY, dbt=60))

    assert alerted_members(api, everyone(world), TYPE, client_id) == {m[0].id, m[1].id, m[3].id}
    (alert,) = alerts(api, m[3].analyst)
    assert alert["data"] == {
        "client_id": client_id,
        "legal_name": alert["data"]["legal_name"],
        "month": TODAY.strftime("%Y-%m"),
        "previous_month": LAST_MONTH.strftime("%Y-%m"),
        "reasons": ["payment_index", "risk_tier"],
    }
    assert m[2].id not in str(alert)


def test_sending_the_same_lines_again_does_not_alert_again(api, scene):
    world, client_id = scene
    m = world.a.members
    submit_batch(api, m[0].key, trade_line(client_id, TODAY, dbt=0))
    submit_batch(api, m[1].key, trade_line(client_id, TODAY, dbt=0))
    worse = trade_line(client_id, TODAY, dbt=60)
    submit_batch(api, m[2].key, worse)
    assert len(alerts(api, m[0].analyst, type=TYPE)) == 1

    assert submit_batch(api, m[2].key, worse)["updated"] == 1
    # Even worse news for the same month was alerted already: once per client and month.
    submit_batch(api, m[2].key, trade_line(client_id, TODAY, dbt=120))
    submit_batch(api, m[1].key, trade_line(client_id, TODAY, dbt=90))
    assert len(alerts(api, m[0].analyst, type=TYPE)) == 1
    assert len(alerts(api, m[3].analyst, type=TYPE)) == 1


def test_a_small_drop_within_the_same_tier_alerts_nobody(api, world):
    m = world.a.members
    client_id = new_client(api, m[0].analyst)
    for member in m:
        submit_batch(api, member.key, trade_line(client_id, LAST_MONTH, dbt=20))  # index 63
    submit_batch(api, m[0].key, trade_line(client_id, TODAY, dbt=20))
    submit_batch(api, m[1].key, trade_line(client_id, TODAY, dbt=20))
    # (20 + 20 + 30) / 3 = 23.3 days: index 58, still medium: down 5 points only.
    submit_batch(api, m[2].key, trade_line(client_id, TODAY, dbt=30))
    assert alerted_members(api, everyone(world), TYPE, client_id) == set()


def test_a_worse_risk_tier_alone_is_enough(api, world):
    m = world.a.members
    client_id = new_client(api, m[0].analyst)
    for member in m:
        submit_batch(api, member.key, trade_line(client_id, LAST_MONTH, dbt=-2))  # 81, low
    submit_batch(api, m[0].key, trade_line(client_id, TODAY, dbt=-2))
    submit_batch(api, m[1].key, trade_line(client_id, TODAY, dbt=-2))
    # (-2 - 2 + 9) / 3 = 1.7 days: index 79, medium; down only 2 points.
    submit_batch(api, m[2].key, trade_line(client_id, TODAY, dbt=9))
    assert alerted_members(api, everyone(world), TYPE, client_id) == {m[0].id, m[1].id}
    (alert,) = alerts(api, m[0].analyst, type=TYPE)
    assert alert["data"]["reasons"] == ["risk_tier"]


def test_a_suppressed_month_decides_nothing(api, world):
    """Two contributors under min_contributors 3: an alert would reveal the other's line."""
    m = world.a.members
    client_id = new_client(api, m[0].analyst)
    for member in m[:2]:
        submit_batch(api, member.key, trade_line(client_id, LAST_MONTH, dbt=0))
    submit_batch(api, m[0].key, trade_line(client_id, TODAY, dbt=0))
    submit_batch(api, m[1].key, trade_line(client_id, TODAY, dbt=120))
    assert alerted_members(api, everyone(world), TYPE, client_id) == set()


def test_a_month_after_a_suppressed_month_decides_nothing(api, world):
    """Three members now, only two the month before: that month shows nothing, so there
    is nothing to compare with, however bad the new month is."""
    m = world.a.members
    client_id = new_client(api, m[0].analyst)
    for member in m[:2]:
        submit_batch(api, member.key, trade_line(client_id, LAST_MONTH, dbt=0))
    for member in m[:3]:
        submit_batch(api, member.key, trade_line(client_id, TODAY, dbt=120))
    assert alerted_members(api, everyone(world), TYPE, client_id) == set()


def test_each_group_decides_with_its_own_settings(api, platform_admin):
    group = add_group(api, platform_admin, 2, min_contributors=1)
    m = group.members
    client_id = new_client(api, m[0].analyst)
    submit_batch(api, m[0].key, trade_line(client_id, LAST_MONTH, dbt=0))
    submit_batch(api, m[1].key, trade_line(client_id, LAST_MONTH, dbt=0))
    # Member 1's line of last month no longer counts for this month: month by month,
    # this month holds member 0's line alone (enough under min_contributors 1).
    submit_batch(api, m[0].key, trade_line(client_id, TODAY, dbt=45))
    assert alerted_members(api, m, TYPE, client_id) == {m[1].id}


def test_lines_outside_the_lookback_decide_nothing(api, platform_admin):
    group = add_group(api, platform_admin, 2, min_contributors=1)
    m = group.members
    client_id = new_client(api, m[0].analyst)
    submit_batch(api, m[1].key, trade_line(client_id, TODAY, dbt=0))  # a holder to alert
    submit_batch(api, m[0].key, trade_line(client_id, add_months(LONG_AGO, -1), dbt=0))
    # 80 -> 20 fourteen months ago: history, not news.
    submit_batch(api, m[0].key, trade_line(client_id, LONG_AGO, dbt=120))
    assert alerted_members(api, m, TYPE, client_id) == set()


def test_a_backfilled_month_is_judged_on_the_members_newest_month_only(api, platform_admin):
    group = add_group(api, platform_admin, 2, min_contributors=1)
    m = group.members
    client_id = new_client(api, m[0].analyst)
    submit_batch(
        api,
        m[0].key,
        trade_line(client_id, LAST_MONTH, dbt=0),
        trade_line(client_id, TODAY, dbt=0),
    )
    watch(api, m[1].analyst, client_id)
    # Member 0 corrects last month: its newest month (this one) is unchanged, no alert.
    submit_batch(api, m[0].key, trade_line(client_id, LAST_MONTH, dbt=-30))
    assert alerted_members(api, m, TYPE, client_id) == set()


def line(member_owed: str, dbt: int):
    class Line:
        total_owed = Decimal(member_owed)
        high_credit = Decimal(member_owed)
        past_due_1_30 = past_due_31_60 = past_due_61_90 = past_due_over_90 = Decimal(0)
        days_beyond_terms = dbt

    return Line()


def test_month_figures_pool_like_the_profile():
    settings = GroupSettings(min_contributors=2)
    assert month_figures([line("100", 0)], settings) is None
    assert month_figures([line("100", 0), line("300", 60)], settings) == MonthFigures(45, "high")
    assert month_figures([], settings) is None
    dominated = GroupSettings(min_contributors=2, dominance_share=0.7)
    assert month_figures([line("100", 0), line("900", 60)], dominated) is None


@pytest.mark.parametrize(
    ("before", "after", "reasons"),
    [
        (MonthFigures(80, "low"), MonthFigures(70, "medium"), ["payment_index", "risk_tier"]),
        (MonthFigures(79, "medium"), MonthFigures(69, "medium"), ["payment_index"]),
        (MonthFigures(79, "medium"), MonthFigures(70, "medium"), []),
        (MonthFigures(80, "low"), MonthFigures(79, "medium"), ["risk_tier"]),
        (MonthFigures(60, "medium"), MonthFigures(90, "low"), []),
        (None, MonthFigures(20, "high"), []),
        (MonthFigures(80, "low"), None, []),
        (MonthFigures(None, None), MonthFigures(20, "high"), []),
    ],
)
def test_what_counts_as_deteriorated(before, after, reasons):
    assert deteriorated(before, after) == reasons


def test_a_csv_import_is_judged_like_any_landing(api, scene, worker):
    world, client_id = scene
    m = world.a.members
    submit_batch(api, m[0].key, trade_line(client_id, TODAY, dbt=0))
    submit_batch(api, m[1].key, trade_line(client_id, TODAY, dbt=0))
    # Member 2 names the client by the number it gave it in an earlier batch.
    submit_batch(api, m[2].key, {**trade_line(client_id, LAST_MONTH, dbt=0), "customer_ref": "D-1"})
    data = to_csv(
        [
            row(
                1,
                "x",
                customer_ref="D-1",
                legal_name="",
                country="",
                tax_id="",
                postal_code="",
                as_of=TODAY,
                days_beyond_terms="90",
                comments="SLOW",
            )
        ]
    )
    job = run_import(api, worker, m[2].analyst, data)
    assert (job["status"], job["created"], job["rejected"]) == ("done", 1, 0), job
    assert alerted_members(api, everyone(world), TYPE, client_id) == {m[0].id, m[1].id, m[3].id}
