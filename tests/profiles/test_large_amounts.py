"""The largest amounts the API accepts, from many members, never break a pooled figure.

Money is BIGINT cents and the pooled figures sum cents x a DBT of up to 3,650 days (or x
a bucket midpoint of 105). Amounts stay below 10^12 (MONEY_DIGITS) so that one such
product fits 64 bits, and the sums are taken in two halves (app.core.sums) so that no
number of them overflows: a profile, a portfolio, a benchmark and a meeting agenda over
40 members' largest lines are all answered, exactly, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from app.core.db import database
from app.core.sums import joined, split_sum
from tests.helpers import company, new_client, submit_batch
from tests.helpers import line as api_line
from tests.world import PASSWORD, Actor, add_group, login

LARGEST = "999999999999.99"  # 10^12 - 0.01: the largest amount accepted
CENTS = 99999999999999
MEMBERS = 40  # 26 lines of 3,650 x LARGEST already overflow one 64-bit sum


def _reporter(api, group, n: int) -> Actor:
    """A member with one member admin (who may submit lines and read profiles)."""
    tag = uuid.uuid4().hex[:8]
    member = api.post("/v1/members", headers=group.admin.headers, json={"name": f"M{n} {tag}"})
    assert member.status_code == 201, member.text
    email = f"big-{tag}@member.example.com"
    user = api.post(
        "/v1/users",
        headers=group.admin.headers,
        json={
            "email": email,
            "password": PASSWORD,
            "role": "member_admin",
            "member_id": member.json()["id"],
        },
    )
    assert user.status_code == 201, user.text
    return Actor(login(api, email), user.json()["id"], email, member.json()["id"])


def _largest_line(client_id: str, as_of: date, with_dbt: bool) -> dict:
    body = api_line(
        client_id=client_id,
        as_of=as_of.isoformat(),
        high_credit=LARGEST,
        total_owed=LARGEST,
        current="0",
        past_due_1_30="0",
        past_due_31_60="0",
        past_due_61_90="0",
        past_due_over_90=LARGEST,
    )
    if with_dbt:
        body["days_beyond_terms"] = 3650
    return body


def test_the_largest_amounts_from_many_members_still_give_every_pooled_figure(api, platform_admin):
    group = add_group(api, platform_admin, 0)
    reporters = [_reporter(api, group, n) for n in range(MEMBERS)]
    client_id = new_client(api, reporters[0])
    today = date.today()
    for n, reporter in enumerate(reporters):
        # 30 report 3,650 days beyond terms, 10 only the over-90 bucket (x 105).
        submit_batch(api, reporter, _largest_line(client_id, today, with_dbt=n % 4 != 0))

    reader = reporters[0]
    response = api.get(f"/v1/clients/{client_id}/profile", headers=reader.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["contributors"] == MEMBERS
    total = Decimal(LARGEST) * MEMBERS
    assert Decimal(body["totals"]["total_owed"]) == total
    assert Decimal(body["totals"]["high_credit"]) == total
    # (30 x 3,650 + 10 x 105) / 40, every line owing the same.
    assert Decimal(str(body["weighted_dbt"])) == Decimal("2763.75")
    assert body["payment_index"] == 20
    month = body["trend"][-1]
    assert month["contributors"] == MEMBERS
    assert Decimal(month["total_owed"]) == total
    assert Decimal(str(month["weighted_dbt"])) == Decimal("2763.75")

    portfolio = api.get("/v1/portfolio", headers=reader.headers)
    assert portfolio.status_code == 200, portfolio.text
    (item,) = portfolio.json()["items"]
    assert item["contributors"] == MEMBERS and item["payment_index"] == 20

    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    benchmark = api.get(f"/v1/benchmarks/{quarter}", headers=reader.headers)
    assert benchmark.status_code == 200, benchmark.text

    meeting = api.post(
        "/v1/meetings",
        headers=group.admin.headers,
        json={"title": "Large amounts", "held_on": today.isoformat()},
    )
    assert meeting.status_code == 201, meeting.text
    agenda = api.get(f"/v1/meetings/{meeting.json()['id']}/agenda", headers=reader.headers)
    assert agenda.status_code == 200, agenda.text
    (entry,) = agenda.json()["items"]
    assert entry["profile"]["contributors"] == MEMBERS
    assert entry["profile"]["payment_index"] == 20


def test_an_amount_of_a_trillion_or_more_is_refused(api, world):
    member = world.a.members[0]
    for amount in ("1000000000000", "1000000000000.00", 10**12, "9999999999999.99"):
        response = api.post(
            "/v1/experiences",
            headers=member.key.headers,
            json=api_line(company(), high_credit=amount),
        )
        assert response.status_code == 422, (amount, response.text)
        assert response.json()["errors"][0]["loc"][-1] == "high_credit"
    accepted = api.post(
        "/v1/experiences", headers=member.key.headers, json=api_line(company(), high_credit=LARGEST)
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["high_credit"] == LARGEST


# Every product a pooled sum can meet: cents in [0, 10^14) times a DBT in [-30, 3650].
_PRODUCTS = st.integers(min_value=-30 * CENTS, max_value=3650 * CENTS)


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@given(
    values=st.lists(_PRODUCTS, min_size=1, max_size=60)
    | st.lists(st.sampled_from([3650 * CENTS, -30 * CENTS]), min_size=1, max_size=200)
)
def test_a_split_sum_is_the_exact_sum_on_the_database(database_url, values):
    rows = " UNION ALL ".join(f"SELECT CAST(:v{i} AS BIGINT) AS v" for i in range(len(values)))
    sql = text(f"SELECT {split_sum('v', 'v')} FROM ({rows}) t")  # noqa: S608 - fixed text
    with database().system_session(write=False) as session:
        high, low = session.execute(sql, {f"v{i}": v for i, v in enumerate(values)}).one()
    assert joined(high, low) == sum(values)
