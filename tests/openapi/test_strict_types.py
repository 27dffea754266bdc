"""Strict input types: the API takes exactly the forms its OpenAPI document names.

Money is `^[0-9]+(\\.[0-9]{1,2})?$` (as a string, or a JSON number written the same way),
booleans are JSON true/false, dates are YYYY-MM-DD. Anything else is a 422 that changes
nothing, never a guess (issue 14 item 8, issue 17).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.helpers import company, line

BAD_AMOUNTS = [
    "1_000",  # Decimal() reads digit separators
    "١٠٠٠",  # Arabic-Indic digits
    "１０００",  # full-width digits
    "1e3",
    "1E+3",
    " 1000",
    "1000\n",
    "-0",
    "-1000",
    "+1000",
    "1,000",
    "$1000",
    "1000.005",
    "1000.",
    ".5",
    "NaN",
    "Infinity",
    "",
    "1000000000000",  # 10^12: above the largest amount
    "0000000000001",  # 13 digits, whatever their value
    -1,
    1000.005,
    1e12,
    True,
    [],
    {},
]


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
def test_an_amount_not_in_the_documented_form_is_refused(api, module_world, amount):
    member = module_world.a.members[0]
    client = company()
    body = line(client, high_credit=amount)
    response = api.post("/v1/experiences", headers=member.key.headers, json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert problem["errors"][0]["loc"][-1] == "high_credit"
    assert not problem["errors"][0]["msg"].startswith("Value error")
    listed = api.get("/v1/experiences", headers=member.key.headers).json()["items"]
    assert listed == []


@pytest.mark.parametrize(
    ("amount", "stored"),
    [
        ("2500", "2500.00"),
        ("2500.5", "2500.50"),
        (2500, "2500.00"),
        (2500.25, "2500.25"),
        ("999999999999.99", "999999999999.99"),
        ("0", "0.00"),
    ],
)
def test_an_amount_in_the_documented_form_is_stored_exactly(api, world, amount, stored):
    member = world.a.members[0]
    response = api.post(
        "/v1/experiences", headers=member.key.headers, json=line(company(), high_credit=amount)
    )
    assert response.status_code == 201, response.text
    assert response.json()["high_credit"] == stored


@pytest.mark.parametrize("amount", ["1_000", "١٠٠", "-5", "5.001", 1e16])
def test_legal_and_fraud_amounts_follow_the_same_rule(api, module_world, amount):
    member = module_world.a.members[0]
    legal = api.post(
        "/v1/legal-actions",
        headers=member.analyst.headers,
        json={
            "client": company(),
            "kind": "suit",
            "status": "filed",
            "amount": amount,
            "filed_on": "2026-01-05",
        },
    )
    assert legal.status_code == 422, legal.text
    fraud = api.post(
        "/v1/fraud-reports",
        headers=member.analyst.headers,
        json={
            "client": company(),
            "category": "other",
            "description": "x",
            "amount": amount,
            "incident_date": "2026-01-05",
        },
    )
    assert fraud.status_code == 422, fraud.text
    assert api.get("/v1/legal-actions", headers=member.analyst.headers).json()["items"] == []


@pytest.mark.parametrize("value", ["yes", "no", "true", 0, 1, "1", None])
def test_a_boolean_must_be_true_or_false(api, module_world, value):
    member = module_world.a.members[0]
    url = f"/v1/users/{member.viewer.id}"
    response = api.patch(url, headers=member.admin.headers, json={"disabled": value})
    assert response.status_code == 422, response.text
    # Nothing changed: the viewer still works.
    assert api.get("/v1/me", headers=member.viewer.headers).status_code == 200
    users = api.get("/v1/users", headers=member.admin.headers, params={"limit": 500}).json()
    assert [u["disabled"] for u in users["items"] if u["id"] == member.viewer.id] == [False]


def test_true_and_false_still_disable_and_enable(api, world):
    member = world.a.members[0]
    url = f"/v1/users/{member.viewer.id}"
    assert (
        api.patch(url, headers=member.admin.headers, json={"disabled": True}).json()["disabled"]
        is True
    )
    assert api.get("/v1/me", headers=member.viewer.headers).status_code == 401
    assert (
        api.patch(url, headers=member.admin.headers, json={"disabled": False}).json()["disabled"]
        is False
    )


@pytest.mark.parametrize("value", ["1", "yes", "True", "on"])
def test_a_boolean_query_parameter_is_the_word_true_or_false(api, module_world, value):
    member = module_world.a.members[0]
    response = api.get("/v1/alerts", headers=member.analyst.headers, params={"unread": value})
    assert response.status_code == 422, response.text
    for word in ("true", "false"):
        ok = api.get("/v1/alerts", headers=member.analyst.headers, params={"unread": word})
        assert ok.status_code == 200, ok.text


@pytest.mark.parametrize(
    "as_of", ["0", "1", "20260105", "2026-1-5", "05/01/2026", "2026-02-30", "2026-01-05T00:00:00"]
)
def test_a_date_query_parameter_is_yyyy_mm_dd(api, module_world, as_of):
    member = module_world.a.members[0]
    client_id = api.post("/v1/clients", headers=member.analyst.headers, json=company()).json()["id"]
    response = api.get(
        f"/v1/clients/{client_id}/profile",
        headers=module_world.a.admin.headers,
        params={"as_of": as_of},
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["query", "as_of"]


@pytest.mark.parametrize("as_of", [0, 1767225600, "0", "2026/01/05", "05.01.2026"])
def test_a_date_in_a_body_is_yyyy_mm_dd(api, module_world, as_of):
    member = module_world.a.members[0]
    response = api.post(
        "/v1/experiences", headers=member.key.headers, json=line(company(), as_of=as_of)
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"][-1] == "as_of"
    assert api.get("/v1/experiences", headers=member.key.headers).json()["items"] == []


@pytest.mark.parametrize("expires_at", [0, 4102444800, "4102444800"])
def test_a_time_in_a_body_is_iso_8601(api, module_world, expires_at):
    member = module_world.a.members[0]
    response = api.post(
        "/v1/api-keys",
        headers=member.admin.headers,
        json={"name": "erp", "scopes": ["clients:read"], "expires_at": expires_at},
    )
    assert response.status_code == 422, response.text
    future = (date.today() + timedelta(days=30)).isoformat() + "T00:00:00Z"
    ok = api.post(
        "/v1/api-keys",
        headers=member.admin.headers,
        json={"name": "erp", "scopes": ["clients:read"], "expires_at": future},
    )
    assert ok.status_code == 201, ok.text


@pytest.mark.parametrize("value", ["6", "6.0", 6.0, 6.5, True, " 6", None])
def test_an_integer_setting_must_be_a_json_integer(api, world, value):
    group = world.a
    url = f"/v1/groups/{group.id}"
    response = api.patch(url, headers=group.admin.headers,
                         json={"settings": {"lookback_months": value}})  # fmt: skip
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"][-1] == "lookback_months"
    settings = api.get(url, headers=group.admin.headers).json()["settings"]
    assert settings["lookback_months"] == 12  # unchanged
    ok = api.patch(url, headers=group.admin.headers, json={"settings": {"lookback_months": 6}})
    assert ok.status_code == 200 and ok.json()["settings"]["lookback_months"] == 6


@pytest.mark.parametrize("field", ["dominance_share", "p_percent"])
def test_a_number_setting_must_be_a_json_number(api, world, field):
    group = world.a
    url = f"/v1/groups/{group.id}"
    refused = api.patch(url, headers=group.admin.headers, json={"settings": {field: "0.75"}})
    assert refused.status_code == 422, refused.text
    assert api.get(url, headers=group.admin.headers).json()["settings"][field] is None
    ok = api.patch(url, headers=group.admin.headers, json={"settings": {field: 0.75}})
    assert ok.status_code == 200 and ok.json()["settings"][field] == 0.75


@pytest.mark.parametrize("value", ["7", "7.0", 7.0, True])
def test_a_polls_closing_days_must_be_a_json_integer(api, world, value):
    asker = world.a.members[0].analyst
    body = {"client": company(), "closes_in_days": value}
    response = api.post("/v1/polls", headers=asker.headers, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"][-1] == "closes_in_days"
    assert api.get("/v1/polls", headers=asker.headers).json()["items"] == []
    ok = api.post("/v1/polls", headers=asker.headers, json={**body, "closes_in_days": 7})
    assert ok.status_code == 201, ok.text


@pytest.mark.parametrize(("field", "value"), [("terms_days", "30"), ("terms_days", 30.0),
                                              ("terms_days", False), ("days_beyond_terms", "5"),
                                              ("days_beyond_terms", 5.0)])  # fmt: skip
def test_an_experiences_days_must_be_a_json_integer(api, module_world, field, value):
    member = module_world.a.members[0]
    response = api.post(
        "/v1/experiences", headers=member.key.headers, json=line(company(), **{field: value})
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"][-1] == field
    assert api.get("/v1/experiences", headers=member.key.headers).json()["items"] == []
    batch = api.post("/v1/experiences/batch", headers=member.key.headers,
                     json={"items": [line(company(), **{field: value})]})  # fmt: skip
    assert batch.status_code == 200 and batch.json()["rejected"] == 1


@pytest.mark.parametrize("limit", ["30.5", "3e1", " 30", "30 ", "+30", "0x1e", "٣٠", "", "30.0"])
def test_an_integer_query_parameter_is_digits_only(api, module_world, limit):
    member = module_world.a.members[0]
    response = api.get("/v1/alerts", headers=member.analyst.headers, params={"limit": limit})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["query", "limit"]
    ok = api.get("/v1/alerts", headers=member.analyst.headers, params={"limit": "30"})
    assert ok.status_code == 200, ok.text
