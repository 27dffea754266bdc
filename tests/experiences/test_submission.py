"""POST /v1/experiences: one trade line, its rules, and a member's own lines."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.helpers import company, line, own_lines
from tests.world import add_key


def submit(api, actor, body, status=None):
    response = api.post("/v1/experiences", headers=actor.headers, json=body)
    if status is not None:
        assert response.status_code == status, response.text
    return response


def test_a_line_is_stored_exactly_and_returned(api, world):
    analyst = world.a.members[0].analyst
    body = line(
        company("Fabrikam, Inc.", tax_id="55-1"),
        high_credit=12345.67,
        total_owed="1000.10",
        current="0.10",
        past_due_1_30="999.99",
        past_due_31_60="0.01",
        days_beyond_terms=12,
        last_sale_date="2025-12-01",
        account_opened="2019-04-01",
        comments=["SLOW", "DISPUTE"],
        customer_ref="ERP-0042",
    )
    stored = submit(api, analyst, body, 201).json()
    assert stored["high_credit"] == "12345.67"
    assert (stored["total_owed"], stored["current"], stored["past_due_1_30"]) == (
        "1000.10",
        "0.10",
        "999.99",
    )
    assert stored["past_due_over_90"] == "0.00"
    assert stored["comments"] == ["SLOW", "DISPUTE"]
    assert stored["customer_ref"] == "ERP-0042"
    assert set(stored) == {
        "id", "client_id", "as_of", "currency", "terms_days", "high_credit", "total_owed",
        "current", "past_due_1_30", "past_due_31_60", "past_due_61_90", "past_due_over_90",
        "days_beyond_terms", "last_sale_date", "account_opened", "comments", "customer_ref",
        "created_at", "updated_at",
    }  # fmt: skip
    assert own_lines(api, analyst) == [stored]


def test_the_same_client_and_date_again_replaces_the_line(api, world):
    key = world.a.members[0].key
    first = submit(api, key, line(company()), 201).json()
    again = submit(
        api,
        key,
        line(client_id=first["client_id"], total_owed=50, current=50, past_due_1_30=0),
        201,
    )
    assert again.json()["id"] == first["id"]
    assert again.json()["total_owed"] == "50.00"
    assert [r["total_owed"] for r in own_lines(api, key)] == ["50.00"]


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"high_credit": -1}, "high_credit"),
        ({"total_owed": "-1000.00", "current": "-600.00"}, "total_owed"),
        ({"past_due_over_90": "-0.01", "total_owed": "999.99"}, "past_due_over_90"),
        ({"total_owed": "1000.01"}, "total_owed"),
        ({"current": "600.001"}, "current"),
        ({"current": "six hundred"}, "current"),
        ({"current": True}, "current"),
        ({"as_of": (date.today() + timedelta(days=1)).isoformat()}, "as_of"),
        ({"as_of": "2025-02-30"}, "as_of"),
        ({"terms_days": 366}, "terms_days"),
        ({"terms_days": -1}, "terms_days"),
        ({"days_beyond_terms": -31}, "days_beyond_terms"),
        ({"days_beyond_terms": 3651}, "days_beyond_terms"),
        ({"comments": ["SLOW", "LATE"]}, "comments"),
        ({"currency": "EUR"}, "currency"),
        ({"currency": "dollars"}, "currency"),
        ({"member_id": "someone-else"}, "member_id"),
        ({"group_id": "another-group"}, "group_id"),
        ({"high_credit": None}, "high_credit"),
    ],
)
def test_every_rule_is_a_422_and_nothing_is_stored(api, module_world, overrides, field):
    analyst = module_world.a.members[0].analyst
    body = line(company(), **{k: v for k, v in overrides.items() if v is not None})
    if overrides.get("high_credit", 0) is None:
        del body["high_credit"]
    response = submit(api, analyst, body, 422)
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert any(field in e["loc"] for e in problem["errors"]), problem["errors"]
    assert own_lines(api, analyst) == []
    # The inline client was not created either.
    assert api.get("/v1/clients", headers=analyst.headers).json()["items"] == []


def test_a_client_reference_is_required_and_one_at_a_time(api, world):
    analyst = world.a.members[0].analyst
    missing = submit(api, analyst, line(), 422).json()
    assert missing["errors"][0]["loc"] == ["body", "client_id"]
    made = api.post("/v1/clients", headers=analyst.headers, json=company()).json()
    both = submit(api, analyst, line(company(), client_id=made["id"]) | {"client": company()}, 422)
    assert both.json()["errors"][0]["loc"] == ["body", "client"]
    assert own_lines(api, analyst) == []


def test_customer_ref_is_remembered_per_member(api, world):
    member, other = world.a.members[0], world.a.members[1]
    first = submit(api, member.key, line(company("Contoso Ltd"), customer_ref="C-77"), 201).json()
    later = submit(api, member.analyst, line(customer_ref="C-77", as_of="2025-06-30"), 201).json()
    assert later["client_id"] == first["client_id"]
    assert later["customer_ref"] == "C-77"
    # Another member's customer numbers are its own.
    unknown = submit(api, other.analyst, line(customer_ref="C-77"), 404)
    assert unknown.json()["code"] == "not_found"
    assert own_lines(api, other.analyst) == []


def test_own_lines_only(api, world):
    mine, theirs = world.a.members[0], world.a.members[1]
    client = company("Shared Debtor Corp")
    my_line = submit(api, mine.analyst, line(client), 201).json()
    their_line = submit(api, theirs.analyst, line(client), 201).json()
    assert my_line["client_id"] == their_line["client_id"]
    assert [r["id"] for r in own_lines(api, mine.analyst, client_id=my_line["client_id"])] == [
        my_line["id"]
    ]
    assert [r["id"] for r in own_lines(api, theirs.key)] == [their_line["id"]]
    # Another member's line, or another group's, is not found.
    assert (
        api.delete(f"/v1/experiences/{their_line['id']}", headers=mine.analyst.headers).status_code
        == 404
    )
    outsider = world.b.members[0].analyst
    assert (
        api.delete(f"/v1/experiences/{my_line['id']}", headers=outsider.headers).status_code == 404
    )
    assert own_lines(api, theirs.analyst) != []
    # Your own goes.
    assert (
        api.delete(f"/v1/experiences/{my_line['id']}", headers=mine.analyst.headers).status_code
        == 204
    )
    assert own_lines(api, mine.analyst) == []
    assert (
        api.delete(f"/v1/experiences/{my_line['id']}", headers=mine.analyst.headers).status_code
        == 404
    )


def test_another_groups_client_is_404_in_body_and_query(api, world):
    theirs = api.post(
        "/v1/clients", headers=world.b.members[0].analyst.headers, json=company()
    ).json()
    analyst = world.a.members[0].analyst
    assert submit(api, analyst, line(client_id=theirs["id"]), 404).json()["code"] == "not_found"
    query = api.get("/v1/experiences", params={"client_id": theirs["id"]}, headers=analyst.headers)
    assert query.status_code == 404
    assert own_lines(api, analyst) == []


def test_roles_and_key_scopes(api, world):
    member = world.a.members[0]
    body = line(company())
    assert submit(api, member.viewer, body).status_code == 403
    assert api.get("/v1/experiences", headers=member.viewer.headers).status_code == 403
    reader = add_key(api, member.admin.headers, ["clients:read"], "reader")
    assert submit(api, reader, body).status_code == 403
    writer = add_key(api, member.admin.headers, ["experiences:write"], "erp")
    assert submit(api, writer, body).status_code == 201
    # The group admin acts for no member: no lines of its own to submit.
    assert submit(api, world.a.admin, body).status_code == 403
    assert submit(api, member.analyst, body | {"as_of": "2025-01-31"}).status_code == 201


def test_one_audit_event_per_submission(api, world):
    key = world.a.members[0].key
    submit(api, key, line(company()), 201)
    events = api.get(
        "/v1/audit-events",
        params={"action": "experiences.submitted"},
        headers=world.a.admin.headers,
    ).json()["items"]
    assert len(events) == 1
    assert events[0]["detail"] == {"received": 1, "created": 1, "updated": 0, "rejected": 0}
