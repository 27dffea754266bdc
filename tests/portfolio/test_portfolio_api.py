"""GET /v1/portfolio: a member's own customers with the pooled figures, by risk."""

from __future__ import annotations

from tests.portfolio.helpers import (
    FOUR_MONTHS_AGO,
    YESTERDAY,
    by_client,
    pooled_client,
    portfolio,
)
from tests.profiles.helpers import line, new_client, profile, set_settings, submit


def test_the_portfolio_holds_reported_and_watched_clients_with_own_and_pooled_figures(api, world):
    m1 = world.a.members[0]
    pooled = pooled_client(api, world)
    alone = new_client(api, m1.analyst)  # only member 1 reports it: suppressed
    submit(api, m1.key, line(alone, YESTERDAY, high_credit=900, buckets=(0, 0, 0, 0, 250)))
    watched = new_client(api, m1.analyst)  # watched, never reported by member 1
    assert api.put(f"/v1/watchlist/{watched}", headers=m1.analyst.headers).status_code == 204
    elsewhere = new_client(api, world.a.members[1].analyst)  # neither reported nor watched
    submit(api, world.a.members[1].key, line(elsewhere, YESTERDAY))

    body = portfolio(api, m1.analyst)
    items = by_client(body)
    assert set(items) == {pooled, alone, watched}
    assert body["next_cursor"] is None

    first = items[pooled]
    assert first["own"] == {
        "as_of": YESTERDAY.isoformat(),
        "total_owed": "600.00",
        "high_credit": "1000.00",
    }
    assert first["watched"] is False
    # The profile's own figures: (5·600 + 45·300 + 0·100) / 1000 = 16.5 -> 68, medium.
    assert (first["contributors"], first["suppressed"]) == (3, False)
    assert (first["weighted_dbt"], first["payment_index"], first["risk_tier"]) == (
        16.5,
        68,
        "medium",
    )
    assert first["payment_index_3m_ago"] is None  # nothing was reported back then
    shown = profile(api, m1.analyst, pooled)
    for field in ("contributors", "suppressed", "weighted_dbt", "payment_index", "risk_tier"):
        assert first[field] == shown[field]

    assert items[alone]["own"]["total_owed"] == "250.00"
    assert (items[alone]["contributors"], items[alone]["suppressed"]) == (1, True)
    assert items[alone]["weighted_dbt"] is None and items[alone]["payment_index"] is None
    assert items[alone]["risk_tier"] is None

    assert items[watched]["own"] is None and items[watched]["watched"] is True
    assert (items[watched]["contributors"], items[watched]["suppressed"]) == (0, True)

    # Largest own exposure first; no exposure (watched only) last.
    assert [i["client"]["id"] for i in body["items"]] == [pooled, alone, watched]
    assert body["summary"] == {
        "low": {"clients": 0, "total_owed": "0.00"},
        "medium": {"clients": 1, "total_owed": "600.00"},
        "high": {"clients": 0, "total_owed": "0.00"},
        "unrated": {"clients": 2, "total_owed": "250.00"},
    }


def test_the_own_line_is_the_latest_in_the_lookback_and_older_lines_leave(api, world):
    m1 = world.a.members[0]
    client = new_client(api, m1.analyst)
    submit(api, m1.key, line(client, FOUR_MONTHS_AGO, buckets=(700, 0, 0, 0, 0)))
    submit(api, m1.key, line(client, YESTERDAY, buckets=(300, 0, 0, 0, 0)))
    assert by_client(portfolio(api, m1.analyst))[client]["own"]["total_owed"] == "300.00"
    set_settings(api, world.a, lookback_months=1)
    # Member 1's only lines of `old` are older than the lookback: not in the portfolio.
    old = new_client(api, m1.analyst)
    submit(api, m1.key, line(old, FOUR_MONTHS_AGO))
    assert old not in by_client(portfolio(api, m1.analyst))


def test_the_payment_index_three_months_ago_follows_the_profile_as_of_then(api, world):
    m1, m2, m3 = world.a.members
    client = pooled_client(api, world)  # today: 68
    # Four months ago all three paid promptly (index 80 as of then).
    for member in (m1, m2, m3):
        submit(api, member.key, line(client, FOUR_MONTHS_AGO, buckets=(100, 0, 0, 0, 0)))
    item = by_client(portfolio(api, m1.analyst))[client]
    then = profile(api, m1.analyst, client, as_of=(FOUR_MONTHS_AGO.isoformat()))
    assert (item["payment_index"], item["payment_index_3m_ago"]) == (68, 80)
    assert then["payment_index"] == 80


def test_pooled_figures_are_suppressed_by_the_groups_anonymity_rules(api, world):
    m1 = world.a.members[0]
    client = pooled_client(api, world, m1_owed=(9000, 0, 0, 0, 0))  # member 1: 9,000 of 9,400
    set_settings(api, world.a, dominance_share=0.9)
    item = by_client(portfolio(api, m1.analyst))[client]
    assert item["suppressed"] is True and item["contributors"] == 3
    assert item["payment_index"] is None and item["weighted_dbt"] is None
    assert item["risk_tier"] is None
    assert profile(api, m1.analyst, client)["suppression_reason"] == "dominance"


def test_legal_and_fraud_facts_decide_the_tier_as_on_the_profile(api, world):
    m1, m2, _ = world.a.members
    judged = pooled_client(api, world)
    response = api.post(
        "/v1/legal-actions",
        headers=m2.analyst.headers,
        json={
            "client_id": judged,
            "kind": "judgment",
            "status": "filed",
            "filed_on": YESTERDAY.isoformat(),
        },
    )
    assert response.status_code == 201, response.text
    alone = new_client(api, m1.analyst)
    submit(api, m1.key, line(alone, YESTERDAY))
    report = api.post(
        "/v1/fraud-reports",
        headers=m2.analyst.headers,
        json={
            "client_id": alone,
            "category": "bust_out",
            "description": "Ordered far above the usual, then vanished.",
            "incident_date": YESTERDAY.isoformat(),
        },
    )
    assert report.status_code == 201, report.text
    decided = api.post(
        f"/v1/fraud-reports/{report.json()['id']}/decision",
        headers=world.a.admin.headers,
        json={"decision": "approve", "note": "Confirmed with the bank."},
    )
    assert decided.status_code == 200, decided.text

    items = by_client(portfolio(api, m1.analyst))
    assert items[judged]["risk_tier"] == "high" == profile(api, m1.analyst, judged)["risk_tier"]
    assert items[alone]["suppressed"] is True and items[alone]["risk_tier"] == "high"


def test_filter_by_tier_sort_by_index_and_walk_the_pages(api, world):
    m1 = world.a.members[0]
    medium = pooled_client(api, world)  # 68
    prompt = pooled_client(api, world, m1_owed=(600, 0, 0, 0, 0))  # all current -> low
    late = pooled_client(api, world, m1_owed=(0, 0, 0, 0, 600))  # high
    alone = new_client(api, m1.analyst)
    submit(api, m1.key, line(alone, YESTERDAY))

    body = portfolio(api, m1.analyst, sort="payment_index")
    order = [i["client"]["id"] for i in body["items"]]
    assert order == [late, medium, prompt, alone]  # worst first, unrated last
    assert [i["client"]["id"] for i in portfolio(api, m1.analyst, risk_tier="high")["items"]] == [
        late
    ]
    unrated = portfolio(api, m1.analyst, risk_tier="unrated")
    assert [i["client"]["id"] for i in unrated["items"]] == [alone]
    assert unrated["summary"]["high"]["clients"] == 1  # the summary covers everything

    for sort in ("payment_index", "exposure"):
        seen, cursor = [], None
        while True:
            params = {"limit": 1, "sort": sort}
            if cursor:
                params["cursor"] = cursor
            page = portfolio(api, m1.analyst, **params)
            seen += [i["client"]["id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        expected = portfolio(api, m1.analyst, sort=sort)["items"]
        assert seen == [i["client"]["id"] for i in expected] and len(seen) == 4


def test_reading_the_portfolio_records_no_inquiry(api, world):
    m1, m2, _ = world.a.members
    client = pooled_client(api, world)
    portfolio(api, m1.analyst)
    assert profile(api, m2.analyst, client)["inquiries_90d"] == 1  # member 2's own read only


def test_another_groups_clients_never_show(api, world):
    outsider = world.b.members[0]
    client = pooled_client(api, world)
    mine = new_client(api, outsider.analyst)
    submit(api, outsider.key, line(mine, YESTERDAY))
    assert set(by_client(portfolio(api, outsider.analyst))) == {mine}
    assert client in by_client(portfolio(api, world.a.members[1].viewer))


def test_who_may_read_it_and_bad_input(api, world):
    m1 = world.a.members[0]
    pooled_client(api, world)
    assert portfolio(api, world.a.admin, 403)["code"] == "forbidden"  # no member
    assert portfolio(api, world.b.members[0].analyst, 403)["code"] == "reciprocity_required"
    assert portfolio(api, m1.key)["items"]  # an ERP key with profiles:read
    for params in (
        {"risk_tier": "severe"},
        {"sort": "name"},
        {"limit": 0},
        {"limit": 501},
        {"cursor": "not-a-cursor"},
        {"cursor": "WyJ4IiwgImEiLCAiYiJd"},  # ["x", "a", "b"]: not an amount
    ):
        body = portfolio(api, m1.analyst, 422, **params)
        assert body["code"] == "validation_error", params
