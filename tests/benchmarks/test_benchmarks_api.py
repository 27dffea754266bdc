"""Benchmarks through the API: quartiles worked by hand, the latest line per client,
suppression per metric, and no other group's data."""

from __future__ import annotations

from datetime import date, timedelta

from app.core.types import today
from tests.foundation.helpers import assert_problem
from tests.helpers import new_client, submit_batch


def _previous_quarter() -> tuple[str, date]:
    now = today()
    quarter = (now.month - 1) // 3 + 1
    year, quarter = (now.year - 1, 4) if quarter == 1 else (now.year, quarter - 1)
    return f"{year}-Q{quarter}", date(year, 3 * quarter - 2, 1)


PERIOD, FIRST = _previous_quarter()


def line(client_id, day, owed, *, current=None, b1=0, b2=0, b4=0, dbt=None) -> dict:
    body = {
        "client_id": client_id,
        "as_of": day.isoformat(),
        "currency": "USD",
        "terms_days": 30,
        "high_credit": str(owed),
        "total_owed": str(owed),
        "current": str(owed - b1 - b2 - b4 if current is None else current),
        "past_due_1_30": str(b1),
        "past_due_31_60": str(b2),
        "past_due_61_90": "0",
        "past_due_over_90": str(b4),
    }
    if dbt is not None:
        body["days_beyond_terms"] = dbt
    return body


def put(api, actor, period: str, **body):
    return api.put(f"/v1/benchmarks/{period}", headers=actor.headers, json=body)


def read(api, actor, period: str = PERIOD) -> dict:
    response = api.get(f"/v1/benchmarks/{period}", headers=actor.headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_quartiles_from_submitted_and_computed_figures(api, world):
    m0, m1, m2 = world.a.members
    x = new_client(api, m0.analyst, "X Corp")
    y = new_client(api, m0.analyst, "Y Corp")
    day = FIRST
    # m0: X's early line (all over 90) is replaced by its later one (all current);
    # Y owes 1000 with 500 in 1-30 days (DBT 15 x 500 / 1000 = 7.5).
    # -> past due 500 of 2000 = 25 %, weighted DBT (0 x 1000 + 7.5 x 1000) / 2000 = 3.75.
    submit_batch(api, m0.key, line(x, day + timedelta(days=5), 1000, b4=1000))
    submit_batch(api, m0.key, line(x, day + timedelta(days=40), 1000))
    submit_batch(api, m0.key, line(y, day + timedelta(days=10), 1000, b1=500))
    # m1: X owes 2000, 1000 in 31-60 days: 50 %, DBT 45 x 1000 / 2000 = 22.5.
    submit_batch(api, m1.key, line(x, day + timedelta(days=20), 2000, b2=1000))
    # m2: Y all current, 10 days beyond terms as reported: 0 %, DBT 10. Its line of the
    # quarter before (all past due) is not in the quarter.
    submit_batch(api, m2.key, line(y, day + timedelta(days=30), 500, dbt=10))
    submit_batch(api, m2.key, line(x, day - timedelta(days=1), 900, b4=900))

    assert put(api, m0.admin, PERIOD, dso=30.5, bad_debt_pct="1.25").status_code == 200
    assert put(api, m1.admin, PERIOD, dso=45, bad_debt_pct=0.5).status_code == 200
    first = put(api, m2.admin, PERIOD, dso=60)
    assert first.status_code == 200, first.text
    assert first.json()["dso"] == 60.0 and first.json()["bad_debt_pct"] is None

    seen = read(api, m0.viewer)
    assert seen["period"] == PERIOD and seen["members_reporting"] == 3
    assert seen["suppressed"] is False
    # dso [30.5, 45, 60]: h = 0.5, 1, 1.5.
    assert seen["metrics"]["dso"] == {"p25": 37.75, "median": 45.0, "p75": 52.5, "n": 3}
    # bad debt from two members only: under min_contributors (3).
    assert seen["metrics"]["bad_debt_pct"] is None
    # past due [0, 25, 50].
    assert seen["metrics"]["pct_past_due"] == {"p25": 12.5, "median": 25.0, "p75": 37.5, "n": 3}
    # weighted DBT [3.75, 10, 22.5]: 3.75 + 0.5 x 6.25 = 6.875 (shown 6.88), 10, 16.25.
    assert seen["metrics"]["weighted_dbt"] == {"p25": 6.88, "median": 10.0, "p75": 16.25, "n": 3}
    assert seen["yours"] == {
        "dso": 30.5,
        "bad_debt_pct": 1.25,
        "pct_past_due": 25.0,
        "weighted_dbt": 3.75,
    }
    assert read(api, m2.analyst)["yours"]["bad_debt_pct"] is None

    # A second PUT replaces: dso [30.5, 45, 90].
    assert put(api, m2.admin, PERIOD, dso=90, bad_debt_pct=2).status_code == 200
    again = read(api, m1.analyst)
    assert again["metrics"]["dso"] == {"p25": 37.75, "median": 45.0, "p75": 67.5, "n": 3}
    assert again["metrics"]["bad_debt_pct"] == {"p25": 0.88, "median": 1.25, "p75": 1.63, "n": 3}
    assert again["yours"]["dso"] == 45.0

    # Another group's figures never enter: B's member sees only its own, suppressed.
    outsider = world.b.members[0]
    z = new_client(api, outsider.analyst)
    submit_batch(api, outsider.key, line(z, day + timedelta(days=3), 1000, b1=1000))
    assert put(api, outsider.admin, PERIOD, dso=400).status_code == 200
    theirs = read(api, outsider.viewer)
    assert theirs["members_reporting"] == 1 and theirs["suppressed"] is True
    assert all(metric is None for metric in theirs["metrics"].values())
    assert theirs["yours"] == {
        "dso": 400.0,
        "bad_debt_pct": None,
        "pct_past_due": 100.0,
        "weighted_dbt": 15.0,
    }
    assert read(api, m0.viewer)["metrics"] == again["metrics"]
    events = api.get(
        "/v1/audit-events",
        headers=world.a.admin.headers,
        params={"action": "benchmark.submitted", "limit": 500},
    ).json()["items"]
    assert len(events) == 4


def test_a_quarter_nobody_reported_is_suppressed(api, world):
    seen = read(api, world.a.members[0].analyst, "2001-Q3")
    assert seen["members_reporting"] == 0 and seen["suppressed"] is True
    assert seen["yours"] == {
        "dso": None,
        "bad_debt_pct": None,
        "pct_past_due": None,
        "weighted_dbt": None,
    }
    assert read(api, world.a.admin, "2001-Q3")["suppressed"] is True


def test_only_member_admins_submit(api, world):
    member = world.a.members[0]
    for actor in (member.analyst, member.viewer, member.key, world.a.admin):
        assert_problem(put(api, actor, PERIOD, dso=10), 403)
    assert_problem(api.get(f"/v1/benchmarks/{PERIOD}", headers=member.key.headers), 403)
    assert read(api, member.analyst)["yours"]["dso"] is None


BAD = [
    ("2026-Q5", {"dso": 10}),
    ("2026Q1", {"dso": 10}),
    ("26-Q1", {"dso": 10}),
    ("1899-Q4", {"dso": 10}),
    (PERIOD, {}),
    (PERIOD, {"dso": None}),
    (PERIOD, {"dso": -1}),
    (PERIOD, {"dso": 3650.1}),
    (PERIOD, {"dso": 12.34}),
    (PERIOD, {"dso": "long"}),
    (PERIOD, {"dso": "NaN"}),
    (PERIOD, {"dso": True}),
    (PERIOD, {"dso": 10, "bad_debt_pct": 100.01}),
    (PERIOD, {"dso": 10, "bad_debt_pct": -0.5}),
    (PERIOD, {"dso": 10, "bad_debt_pct": 1.234}),
    (PERIOD, {"dso": 10, "member_id": "x"}),
]


def test_bad_input_is_422_and_stores_nothing(api, world):
    admin = world.a.members[0].admin
    for period, body in BAD:
        assert_problem(put(api, admin, period, **body), 422, "validation_error")
    assert_problem(api.get("/v1/benchmarks/2026-Q9", headers=admin.headers), 422)
    assert read(api, admin)["yours"]["dso"] is None
    assert read(api, admin)["members_reporting"] == 0
