"""Reading the portfolio through the API, and the pooled client its stories read."""

from __future__ import annotations

from datetime import date, timedelta

from app.profiles.formulas import add_months
from tests.profiles.helpers import line, new_client, submit

TODAY = date.today()
YESTERDAY = TODAY - timedelta(days=1)
FOUR_MONTHS_AGO = add_months(TODAY, -4)


def portfolio(api, actor, status: int = 200, **params) -> dict:
    response = api.get("/v1/portfolio", headers=actor.headers, params=params)
    assert response.status_code == status, response.text
    return response.json()


def by_client(body: dict) -> dict[str, dict]:
    return {item["client"]["id"]: item for item in body["items"]}


def pooled_client(api, world, *, as_of=YESTERDAY, m1_owed=(400, 200, 0, 0, 0)) -> str:
    """A client that members 1-3 of group A all report (not suppressed)."""
    m1, m2, m3 = world.a.members
    client = new_client(api, m1.analyst)
    submit(api, m1.key, line(client, as_of, high_credit=1000, buckets=m1_owed))
    submit(api, m2.key, line(client, as_of, high_credit=5000, buckets=(0, 0, 300, 0, 0)))
    submit(api, m3.key, line(client, as_of, high_credit=2000, buckets=(100, 0, 0, 0, 0)))
    return client
