"""The pooled payment profile through the API: which lines count, what each reader sees."""

from datetime import UTC, date, datetime, timedelta

from tests.profiles.helpers import (
    file_legal_action,
    line,
    new_client,
    profile,
    report_fraud,
    set_settings,
    submit,
)
from tests.world import add_key

AS_OF = date(2025, 6, 15)


def three_lines(api, world, client_id, as_of=AS_OF):
    """Members 1-3 of group A report one line each; returns nothing, the figures are:
    member 1: high 1000, owes 600 (400 current, 200 at 1-30)          dbt 5
    member 2: high 5000, owes 300 (all 31-60)                          dbt 45
    member 3: high 2000, owes 100 (current)                            dbt 0
    """
    m1, m2, m3 = world.a.members
    submit(api, m1.key, line(client_id, as_of, high_credit=1000, buckets=(400, 200, 0, 0, 0)))
    submit(api, m2.key, line(client_id, as_of, high_credit=5000, buckets=(0, 0, 300, 0, 0)))
    submit(api, m3.key, line(client_id, as_of, high_credit=2000, buckets=(100, 0, 0, 0, 0)))


def test_the_pooled_figures_of_three_members(api, module_world):
    client = new_client(api, module_world.a.members[0].analyst)
    three_lines(api, module_world, client)
    body = profile(api, module_world.a.members[0].analyst, client, as_of=AS_OF.isoformat())
    assert body["client"]["id"] == client
    assert body["as_of"] == "2025-06-15"
    assert body["currency"] == "USD"
    assert body["contributors"] == 3
    assert body["suppressed"] is False and body["suppression_reason"] is None
    assert body["totals"] == {
        "high_credit": "8000.00",
        "total_owed": "1000.00",
        "current": "500.00",
        "past_due_1_30": "200.00",
        "past_due_31_60": "300.00",
        "past_due_61_90": "0.00",
        "past_due_over_90": "0.00",
    }
    assert body["aging_pct"] == {
        "total_owed": 100.0,
        "current": 50.0,
        "past_due_1_30": 20.0,
        "past_due_31_60": 30.0,
        "past_due_61_90": 0.0,
        "past_due_over_90": 0.0,
    }
    # (5·600 + 45·300 + 0·100) / 1000 = 16.5 -> 70 - 10·1.5/7 = 67.86 -> 68
    assert body["weighted_dbt"] == 16.5
    assert body["payment_index"] == 68
    assert body["risk_tier"] == "medium"
    assert body["legal_actions"] == [] and body["fraud_alerts"] == []


def test_contributor_letters_follow_high_credit_and_mark_the_callers_line(api, module_world):
    analyst = module_world.a.members[0].analyst
    client = new_client(api, analyst)
    three_lines(api, module_world, client)
    lines = profile(api, analyst, client, as_of=AS_OF.isoformat())["trade_lines"]
    assert [(t["contributor"], t["high_credit"], t["is_own"], t["dbt"]) for t in lines] == [
        ("A", "5000.00", False, 45.0),
        ("B", "2000.00", False, 0.0),
        ("C", "1000.00", True, 5.0),
    ]
    assert set(lines[0]) == {
        "contributor",
        "is_own",
        "as_of",
        "terms_days",
        "high_credit",
        "total_owed",
        "current",
        "past_due_1_30",
        "past_due_31_60",
        "past_due_61_90",
        "past_due_over_90",
        "dbt",
        "comments",
    }


def test_no_member_id_or_name_appears_in_a_profile(api, module_world):
    client = new_client(api, module_world.a.members[0].analyst)
    three_lines(api, module_world, client)
    text = api.get(
        f"/v1/clients/{client}/profile",
        params={"as_of": AS_OF.isoformat()},
        headers=module_world.a.members[0].viewer.headers,
    ).text
    for member in module_world.a.members:
        assert member.id not in text
        assert member.name not in text


def test_only_lines_in_the_lookback_count_and_only_each_members_latest(api, world):
    m1, m2, m3 = world.a.members
    client = new_client(api, m1.analyst)
    # Member 1: a line exactly 12 months before as_of (out) and a recent one (in).
    submit(api, m1.key, line(client, date(2024, 6, 15), buckets=(0, 0, 0, 0, 900)))
    submit(api, m1.key, line(client, date(2025, 1, 10), buckets=(100, 0, 0, 0, 0)))
    # Member 2: two lines in the window; the later one counts, whatever order they came.
    submit(api, m2.key, line(client, date(2025, 6, 1), buckets=(0, 300, 0, 0, 0)))
    submit(api, m2.key, line(client, date(2025, 3, 1), buckets=(0, 0, 0, 0, 700)))
    # Member 3: a line a day inside the window, and one after as_of that is not seen.
    submit(api, m3.key, line(client, date(2024, 6, 16), buckets=(50, 0, 0, 0, 0)))
    submit(api, m3.key, line(client, date(2025, 6, 20), buckets=(0, 0, 0, 0, 5000)))
    body = profile(api, m1.analyst, client, as_of="2025-06-15")
    assert body["contributors"] == 3
    assert sorted((t["as_of"], t["total_owed"]) for t in body["trade_lines"]) == [
        ("2024-06-16", "50.00"),
        ("2025-01-10", "100.00"),
        ("2025-06-01", "300.00"),
    ]
    assert body["totals"]["total_owed"] == "450.00"
    # A shorter lookback drops the older lines on the next read.
    set_settings(api, world.a, lookback_months=3, min_contributors=1)
    body = profile(api, m1.analyst, client, as_of="2025-06-15")
    assert [t["as_of"] for t in body["trade_lines"]] == ["2025-06-01"]
    assert len(body["trend"]) == 3


def test_trend_has_one_entry_per_month_each_suppressed_on_its_own(api, world):
    m1, m2, m3 = world.a.members
    client = new_client(api, m1.analyst)
    set_settings(api, world.a, lookback_months=3)
    # April: three members. May: two members. June: three, member 1 twice (latest counts).
    for member, owed in ((m1, 100), (m2, 200), (m3, 300)):
        submit(api, member.key, line(client, date(2025, 4, 30), buckets=(owed, 0, 0, 0, 0)))
    for member in (m1, m2):
        submit(api, member.key, line(client, date(2025, 5, 10), buckets=(0, 100, 0, 0, 0)))
    submit(api, m1.key, line(client, date(2025, 6, 2), buckets=(0, 0, 0, 0, 100)))
    submit(api, m1.key, line(client, date(2025, 6, 9), buckets=(0, 0, 100, 0, 0)))
    submit(api, m2.key, line(client, date(2025, 6, 3), buckets=(0, 0, 100, 0, 0)))
    submit(api, m3.key, line(client, date(2025, 6, 4), buckets=(100, 0, 0, 0, 0)))
    submit(api, m3.key, line(client, date(2025, 6, 20), buckets=(0, 0, 0, 0, 999)))  # after
    trend = profile(api, m1.analyst, client, as_of="2025-06-15")["trend"]
    assert trend == [
        {
            "month": "2025-04",
            "contributors": 3,
            "total_owed": "600.00",
            "weighted_dbt": 0.0,
            "payment_index": 80,
            "in_progress": False,
        },
        {
            "month": "2025-05",
            "contributors": 2,
            "total_owed": None,
            "weighted_dbt": None,
            "payment_index": None,
            "in_progress": False,
        },
        {
            # (45·100 + 45·100 + 0·100) / 300 = 30
            "month": "2025-06",
            "contributors": 3,
            "total_owed": "300.00",
            "weighted_dbt": 30.0,
            "payment_index": 50,
            "in_progress": False,
        },
    ]


def test_nothing_owed_weighs_lines_by_high_credit(api, module_world):
    client = new_client(api, module_world.a.members[0].analyst)
    m1, m2, m3 = module_world.a.members
    zero = (0, 0, 0, 0, 0)
    submit(api, m1.key, line(client, AS_OF, high_credit=100, buckets=zero, days_beyond_terms=10))
    submit(api, m2.key, line(client, AS_OF, high_credit=300, buckets=zero, days_beyond_terms=-2))
    submit(api, m3.key, line(client, AS_OF, high_credit=0, buckets=zero))
    body = profile(api, m1.analyst, client, as_of=AS_OF.isoformat())
    assert body["suppressed"] is False
    assert body["totals"]["total_owed"] == "0.00"
    assert body["aging_pct"] is None  # a share of nothing
    # (10·100 + -2·300 + 0·0) / 400 = 1 -> 80 - 10/15 = 79.33 -> 79
    assert body["weighted_dbt"] == 1.0
    assert body["payment_index"] == 79
    assert body["risk_tier"] == "medium"


def test_legal_actions_and_approved_fraud_show_even_when_suppressed(api, module_world):
    group_id = module_world.a.id
    m1, m2, _ = module_world.a.members
    client = new_client(api, m1.analyst)
    submit(api, m1.key, line(client, date.today() - timedelta(days=5)))
    mine = file_legal_action(group_id, m1.id, client, kind="suit", filed_on=date(2025, 1, 5))
    theirs = file_legal_action(
        group_id, m2.id, client, kind="lien", status="released", filed_on=date(2025, 3, 1)
    )
    approved = report_fraud(group_id, m2.id, client)
    report_fraud(group_id, m2.id, client, status="pending")
    report_fraud(group_id, m2.id, client, status="retracted")
    response = api.get(f"/v1/clients/{client}/profile", headers=m1.analyst.headers)
    body = response.json()
    assert body["suppressed"] is True
    assert [(a["id"], a["reported_by_you"]) for a in body["legal_actions"]] == [
        (theirs, False),
        (mine, True),
    ]
    assert set(body["legal_actions"][0]) == {
        "id",
        "client_id",
        "kind",
        "status",
        "amount",
        "filed_on",
        "jurisdiction",
        "case_number",
        "reported_by_you",
        "created_at",
        "updated_at",
    }
    assert body["legal_actions"][0]["amount"] == "2500.00"
    assert [f["id"] for f in body["fraud_alerts"]] == [approved]
    assert set(body["fraud_alerts"][0]) == {
        "id",
        "category",
        "incident_date",
        "amount",
        "approved_at",
    }
    assert body["risk_tier"] == "high"  # approved fraud decides it even when suppressed
    assert "Ordered far above" not in response.text
    assert m2.id not in response.text


def test_risk_tier_from_open_severe_legal_actions(api, module_world):
    group_id = module_world.a.id
    client = new_client(api, module_world.a.members[0].analyst)
    three_lines(api, module_world, client)
    m1 = module_world.a.members[0]
    file_legal_action(
        group_id, m1.id, client, kind="judgment", status="satisfied", filed_on=date(2025, 1, 1)
    )
    assert profile(api, m1.analyst, client, as_of=AS_OF.isoformat())["risk_tier"] == "medium"
    file_legal_action(
        group_id, m1.id, client, kind="bankruptcy", status="pending", filed_on=date(2025, 2, 1)
    )
    assert profile(api, m1.analyst, client, as_of=AS_OF.isoformat())["risk_tier"] == "high"


def test_a_past_as_of_sees_only_what_was_filed_and_approved_by_then(api, module_world):
    group_id = module_world.a.id
    m1, m2, _ = module_world.a.members
    client = new_client(api, m1.analyst)
    three_lines(api, module_world, client)
    file_legal_action(group_id, m2.id, client, kind="lien", filed_on=date(2025, 7, 1))
    report_fraud(group_id, m2.id, client, approved_at=datetime(2025, 6, 16, 0, 0, tzinfo=UTC))
    before = profile(api, m1.analyst, client, as_of="2025-06-15")
    assert before["legal_actions"] == [] and before["fraud_alerts"] == []
    assert before["risk_tier"] == "medium"
    after = profile(api, m1.analyst, client, as_of="2025-07-01")
    assert len(after["legal_actions"]) == 1 and len(after["fraud_alerts"]) == 1
    assert after["risk_tier"] == "high"


def test_as_of_in_the_future_or_not_a_date_is_422(api, module_world):
    client = new_client(api, module_world.a.members[0].analyst)
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    for bad in (tomorrow, "2025-13-01", "yesterday"):
        response = api.get(
            f"/v1/clients/{client}/profile",
            params={"as_of": bad},
            headers=module_world.a.admin.headers,
        )
        assert response.status_code == 422, bad
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "validation_error"


def test_another_groups_client_is_not_found(api, module_world):
    theirs = new_client(api, module_world.b.members[0].analyst)
    mine = new_client(api, module_world.a.members[0].analyst)
    three_lines(api, module_world, mine)
    for client in (theirs, "no-such-client"):
        response = api.get(
            f"/v1/clients/{client}/profile", headers=module_world.a.members[0].analyst.headers
        )
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_viewers_and_keys_with_profiles_read_may_read(api, module_world):
    client = new_client(api, module_world.a.members[0].analyst)
    three_lines(api, module_world, client)
    m1 = module_world.a.members[0]
    profile(api, m1.viewer, client)
    profile(api, m1.key, client)
    reader = add_key(api, m1.admin.headers, ["profiles:read"], name="reader")
    assert profile(api, reader, client, as_of=AS_OF.isoformat())["contributors"] == 3
    writer = add_key(api, m1.admin.headers, ["experiences:write", "clients:read"], name="writer")
    response = api.get(f"/v1/clients/{client}/profile", headers=writer.headers)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert api.get(f"/v1/clients/{client}/profile").status_code == 401


def test_aging_percentages_round_half_up_to_two_decimals(api, module_world):
    client = new_client(api, module_world.a.members[0].analyst)
    m1, m2, m3 = module_world.a.members
    # The worked example of docs/METHODOLOGY.md (member delta left out: it owes nothing).
    submit(api, m1.key, line(client, AS_OF, high_credit=50000, buckets=(12000, 6000, 2000, 0, 0)))
    submit(api, m2.key, line(client, AS_OF, high_credit=30000, buckets=(4000, 3000, 2000, 1000, 0)))
    submit(
        api,
        m3.key,
        line(client, AS_OF, high_credit=12000, buckets=(5000, 0, 0, 0, 0), days_beyond_terms=-3),
    )
    body = profile(api, m2.analyst, client, as_of=AS_OF.isoformat())
    assert body["aging_pct"] == {
        "total_owed": 100.0,
        "current": 60.0,
        "past_due_1_30": 25.71,
        "past_due_31_60": 11.43,
        "past_due_61_90": 2.86,
        "past_due_over_90": 0.0,
    }
    assert body["weighted_dbt"] == 10.71
    assert body["payment_index"] == 73
    assert [(t["contributor"], t["is_own"]) for t in body["trade_lines"]] == [
        ("A", False),
        ("B", True),
        ("C", False),
    ]
