"""Reading the portfolio through the API."""

from __future__ import annotations

from datetime import date, timedelta

from app.profiles.formulas import add_months

TODAY = date.today()
YESTERDAY = TODAY - timedelta(days=1)
FOUR_MONTHS_AGO = add_months(TODAY, -4)


def portfolio(api, actor, status: int = 200, **params) -> dict:
    response = api.get("/v1/portfolio", headers=actor.headers, params=params)
    assert response.status_code == status, response.text
    return response.json()


def by_client(body: dict) -> dict[str, dict]:
    return {item["client"]["id"]: item for item in body["items"]}
