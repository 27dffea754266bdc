"""Submitting, correcting, withdrawing and deciding; bad input changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.core.types import today
from tests.foundation.helpers import assert_problem
from tests.fraud.support import REPORT, act, decide, report_in, submit
from tests.helpers import new_client

TOMORROW = (today() + timedelta(days=1)).isoformat()


def all_reports(api, world) -> list[dict]:
    return api.get(
        "/v1/fraud-reports", headers=world.a.admin.headers, params={"limit": 500}
    ).json()["items"]


def test_a_key_with_the_fraud_scope_submits_for_its_member(api, setting):
    world, client_id = setting
    report = submit(api, world.a.members[1].key, client_id, amount=1200)
    assert report["amount"] == "1200.00"
    assert report["submitted_by_you"] is True
    admin_view = api.get(f"/v1/fraud-reports/{report['id']}", headers=world.a.admin.headers)
    assert admin_view.json()["member_id"] == world.a.members[1].id


def test_amount_is_optional_and_exact(api, setting):
    world, client_id = setting
    body = {k: v for k, v in REPORT.items() if k != "amount"}
    response = api.post(
        "/v1/fraud-reports",
        headers=world.a.members[0].analyst.headers,
        json={"client_id": client_id, **body},
    )
    assert response.status_code == 201
    assert response.json()["amount"] is None
    assert submit(api, world.a.members[0].analyst, client_id, amount=0.1)["amount"] == "0.10"


def test_the_groups_currency_may_be_named_and_no_other(api, setting):
    world, client_id = setting
    assert submit(api, world.a.members[0].analyst, client_id, currency="USD")["status"] == (
        "pending"
    )
    before = len(all_reports(api, world))
    response = api.post(
        "/v1/fraud-reports",
        headers=world.a.members[0].analyst.headers,
        json={"client_id": client_id, **REPORT, "currency": "EUR"},
    )
    assert_problem(response, 422, "validation_error")
    assert response.json()["errors"][0]["loc"] == ["body", "currency"]
    assert len(all_reports(api, world)) == before


@pytest.mark.parametrize(
    "change",
    [
        {"category": "tax_evasion"},
        {"category": None},
        {"description": ""},
        {"description": "x" * 5001},
        {"incident_date": TOMORROW},
        {"incident_date": "02/10/2026"},
        {"amount": "-5.00"},
        {"amount": "10.005"},
        {"amount": "ten"},
        {"amount": True},
        {"currency": "usd"},
        {"member_id": "someone-else"},
        {"status": "approved"},
        {"client_id": ""},
    ],
)
def test_a_bad_submission_is_422_and_stores_nothing(api, setting, change):
    world, client_id = setting
    before = len(all_reports(api, world))
    body = {"client_id": client_id, **REPORT, **change}
    response = api.post("/v1/fraud-reports", headers=world.a.members[0].analyst.headers, json=body)
    assert_problem(response, 422, "validation_error")
    assert response.json()["errors"]
    assert len(all_reports(api, world)) == before


@pytest.mark.parametrize("missing", ["category", "description", "incident_date", "client_id"])
def test_a_submission_missing_a_field_is_422(api, setting, missing):
    world, client_id = setting
    body = {k: v for k, v in {"client_id": client_id, **REPORT}.items() if k != missing}
    response = api.post("/v1/fraud-reports", headers=world.a.members[0].analyst.headers, json=body)
    assert_problem(response, 422, "validation_error")


def test_unknown_and_other_groups_clients_are_not_found(api, setting):
    world, _ = setting
    before = len(all_reports(api, world))
    foreign = new_client(api, world.b.members[0].analyst)
    for client_id in (foreign, "no-such-client"):
        response = api.post(
            "/v1/fraud-reports",
            headers=world.a.members[0].analyst.headers,
            json={"client_id": client_id, **REPORT},
        )
        assert_problem(response, 404, "not_found")
    assert len(all_reports(api, world)) == before


def test_who_may_submit(api, setting):
    world, client_id = setting
    body = {"client_id": client_id, **REPORT}
    viewer = api.post("/v1/fraud-reports", headers=world.a.members[0].viewer.headers, json=body)
    assert_problem(viewer, 403, "forbidden")
    # The group admin moderates; it acts for no member, so it does not submit.
    admin = api.post("/v1/fraud-reports", headers=world.a.admin.headers, json=body)
    assert_problem(admin, 403, "forbidden")
    anonymous = api.post("/v1/fraud-reports", json=body)
    assert anonymous.status_code == 401


def test_the_submitter_corrects_a_pending_report(api, setting):
    world, client_id = setting
    submitter = world.a.members[0].analyst
    report = submit(api, submitter, client_id)
    response = api.patch(
        f"/v1/fraud-reports/{report['id']}",
        headers=world.a.members[0].key.headers,
        json={
            "category": "payment_diversion",
            "amount": "99.99",
            "incident_date": "2026-09-30",
            "description": "Bank details changed by a forged letter.",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "pending"
    assert (body["category"], body["amount"], body["incident_date"]) == (
        "payment_diversion",
        "99.99",
        "2026-09-30",
    )
    assert body["updated_at"] > report["updated_at"]
    cleared = api.patch(
        f"/v1/fraud-reports/{report['id']}", headers=submitter.headers, json={"amount": None}
    )
    assert cleared.json()["amount"] is None


def test_answering_a_request_for_information_puts_the_report_back_in_the_queue(api, setting):
    world, client_id = setting
    submitter = world.a.members[0].analyst
    report = report_in(api, world.a, submitter, client_id, "needs_info")
    response = api.patch(
        f"/v1/fraud-reports/{report['id']}",
        headers=submitter.headers,
        json={"description": "Attached: the forged bank letter, reference 77-A."},
    )
    assert response.json()["status"] == "pending"
    queue = api.get(
        "/v1/fraud-reports", headers=world.a.admin.headers, params={"status": "pending"}
    ).json()["items"]
    assert report["id"] in {r["id"] for r in queue}
    assert decide(api, world.a, report["id"], "approve").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"description": None},
        {"category": None},
        {"incident_date": None},
        {"incident_date": TOMORROW},
        {"amount": "-1"},
        {"category": "rumour"},
        {"status": "approved"},
        {"client_id": "elsewhere"},
    ],
)
def test_a_bad_correction_is_422_and_changes_nothing(api, setting, body):
    world, client_id = setting
    submitter = world.a.members[0].analyst
    report = submit(api, submitter, client_id)
    response = api.patch(f"/v1/fraud-reports/{report['id']}", headers=submitter.headers, json=body)
    assert_problem(response, 422, "validation_error")
    after = api.get(f"/v1/fraud-reports/{report['id']}", headers=submitter.headers).json()
    assert after == report


def test_only_the_submitting_member_changes_or_withdraws_a_report(api, setting):
    world, client_id = setting
    submitter = world.a.members[0].analyst
    pending = submit(api, submitter, client_id)
    approved = report_in(api, world.a, submitter, client_id, "approved")
    other = world.a.members[1].analyst
    patch = {"description": "Not mine to change."}

    # Another member cannot see a pending report at all...
    assert_problem(
        api.patch(f"/v1/fraud-reports/{pending['id']}", headers=other.headers, json=patch),
        404,
        "not_found",
    )
    assert_problem(
        api.post(f"/v1/fraud-reports/{pending['id']}/withdraw", headers=other.headers),
        404,
        "not_found",
    )
    # ...and sees an approved one, which it may not touch.
    assert_problem(
        api.patch(f"/v1/fraud-reports/{approved['id']}", headers=other.headers, json=patch),
        403,
        "forbidden",
    )
    assert_problem(
        api.post(f"/v1/fraud-reports/{approved['id']}/withdraw", headers=other.headers),
        403,
        "forbidden",
    )
    # The group admin moderates; editing the text is the submitter's.
    assert_problem(
        api.patch(f"/v1/fraud-reports/{pending['id']}", headers=world.a.admin.headers, json=patch),
        403,
        "forbidden",
    )
    # Another group: not found.
    outsider = world.b.members[0].analyst
    assert_problem(
        api.post(f"/v1/fraud-reports/{pending['id']}/withdraw", headers=outsider.headers),
        404,
        "not_found",
    )
    # A viewer of the submitting member has no write right.
    assert_problem(
        api.post(
            f"/v1/fraud-reports/{pending['id']}/withdraw",
            headers=world.a.members[0].viewer.headers,
        ),
        403,
        "forbidden",
    )
    assert (
        api.get(f"/v1/fraud-reports/{pending['id']}", headers=submitter.headers).json() == pending
    )
    # Any user or key of the submitting member may withdraw.
    withdrawn = api.post(
        f"/v1/fraud-reports/{pending['id']}/withdraw", headers=world.a.members[0].admin.headers
    )
    assert withdrawn.json()["status"] == "withdrawn"


def test_only_the_groups_admin_decides(api, setting):
    world, client_id = setting
    report = submit(api, world.a.members[0].analyst, client_id)
    body = {"decision": "approve", "note": "self-approval"}
    for actor in (world.a.members[0].admin, world.a.members[0].key, world.a.members[1].analyst):
        response = api.post(
            f"/v1/fraud-reports/{report['id']}/decision", headers=actor.headers, json=body
        )
        assert_problem(response, 403, "forbidden")
    response = api.post(
        f"/v1/fraud-reports/{report['id']}/decision", headers=world.b.admin.headers, json=body
    )
    assert_problem(response, 404, "not_found")
    response = api.post(
        "/v1/fraud-reports/no-such-report/decision", headers=world.a.admin.headers, json=body
    )
    assert_problem(response, 404, "not_found")
    after = api.get(f"/v1/fraud-reports/{report['id']}", headers=world.a.admin.headers).json()
    assert after["status"] == "pending"
    assert after["decisions"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"decision": "accept"},
        {"decision": None},
        {"note": "missing decision"},
        {"decision": "approve", "note": "x" * 2001},
        {"decision": "approve", "note": None},
        {"decision": "approve", "decided_by": "someone"},
    ],
)
def test_a_bad_decision_is_422_and_changes_nothing(api, setting, body):
    world, client_id = setting
    report = submit(api, world.a.members[0].analyst, client_id)
    response = api.post(
        f"/v1/fraud-reports/{report['id']}/decision", headers=world.a.admin.headers, json=body
    )
    assert_problem(response, 422, "validation_error")
    after = api.get(f"/v1/fraud-reports/{report['id']}", headers=world.a.admin.headers).json()
    assert after["status"] == "pending"
    assert after["decisions"] == []


def test_a_decision_note_is_optional(api, setting):
    world, client_id = setting
    report = submit(api, world.a.members[0].analyst, client_id)
    response = api.post(
        f"/v1/fraud-reports/{report['id']}/decision",
        headers=world.a.admin.headers,
        json={"decision": "reject"},
    )
    assert response.status_code == 200
    assert response.json()["decisions"][0]["note"] == ""


def test_withdrawing_twice_is_an_invalid_transition(api, setting):
    world, client_id = setting
    submitter = world.a.members[0].analyst
    report = submit(api, submitter, client_id)
    assert act(api, world.a, submitter, report["id"], "withdraw").status_code == 200
    assert_problem(
        act(api, world.a, submitter, report["id"], "withdraw"), 409, "invalid_transition"
    )


def test_the_client_may_be_named_inline_or_by_the_members_customer_number(api, setting):
    world, _ = setting
    analyst = world.a.members[0].analyst
    inline = {"legal_name": "Bust Out Traders LLC", "country": "US", "tax_id": "98-7654321"}
    first = api.post(
        "/v1/fraud-reports",
        headers=analyst.headers,
        json={"client": inline, "customer_ref": "CUST-0042", **REPORT},
    )
    assert first.status_code == 201, first.text
    client_id = first.json()["client_id"]
    again = api.post(
        "/v1/fraud-reports",
        headers=world.a.members[0].key.headers,
        json={"customer_ref": "CUST-0042", **REPORT},
    )
    assert again.status_code == 201, again.text
    assert again.json()["client_id"] == client_id
    # The same company named by another member resolves to the same client...
    other = submit(api, world.a.members[1].analyst, None, client=inline)
    assert other["client_id"] == client_id
    # ...but a customer number is its member's own.
    before = len(all_reports(api, world))
    response = api.post(
        "/v1/fraud-reports",
        headers=world.a.members[1].analyst.headers,
        json={"customer_ref": "CUST-0042", **REPORT},
    )
    assert_problem(response, 404, "not_found")
    response = api.post(
        "/v1/fraud-reports",
        headers=analyst.headers,
        json={"client": {"legal_name": "No Country Ltd"}, **REPORT},
    )
    assert_problem(response, 422, "validation_error")
    assert len(all_reports(api, world)) == before
