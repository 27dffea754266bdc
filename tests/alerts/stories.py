"""Helpers for alert stories: clients, trade lines through the batch API, alerts by member."""

from __future__ import annotations

from datetime import date

from app.core.types import today
from app.profiles.formulas import add_months
from tests.helpers import line

TODAY = today()
LAST_MONTH = add_months(TODAY, -1)
LONG_AGO = add_months(TODAY, -14)  # outside the default 12-month lookback


def trade_line(client_id: str, as_of: date, *, dbt: int = 0, owed: str = "1000.00") -> dict:
    """A line all current, whose DBT is `dbt` (days_beyond_terms)."""
    return line(
        client_id=client_id,
        as_of=as_of.isoformat(),
        high_credit=owed,
        total_owed=owed,
        current=owed,
        past_due_1_30="0",
        days_beyond_terms=dbt,
    )


def alerts(api, actor, **params) -> list[dict]:
    response = api.get("/v1/alerts", headers=actor.headers, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def alerted_members(api, members, type: str, client_id: str) -> set[str]:
    """The ids of the members (MemberWorld) that got an alert of `type` about the client."""
    return {
        m.id
        for m in members
        if any(a["type"] == type and a["client_id"] == client_id for a in alerts(api, m.analyst))
    }


def watch(api, actor, client_id: str) -> None:
    response = api.put(f"/v1/watchlist/{client_id}", headers=actor.headers)
    assert response.status_code == 204, response.text


def everyone(world) -> list:
    """Every member of both groups (MemberWorld), for asking who was alerted."""
    return [*world.a.members, *world.b.members]
