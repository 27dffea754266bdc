"""The moderation workflow: every allowed move, and every other move refused with 409."""

from __future__ import annotations

import pytest

from tests.fraud.support import PATHS, act, report_in, submit

# The contract's state machine, written out independently of the code's table.
ALLOWED = {
    ("pending", "approve"): "approved",
    ("pending", "reject"): "rejected",
    ("pending", "request_info"): "needs_info",
    ("approved", "retract"): "retracted",
    ("pending", "edit"): "pending",
    ("needs_info", "edit"): "pending",
    ("pending", "withdraw"): "withdrawn",
    ("needs_info", "withdraw"): "withdrawn",
}
ACTIONS = ["approve", "reject", "request_info", "retract", "edit", "withdraw"]
MOVES = [(state, action) for state in PATHS for action in ACTIONS]


@pytest.mark.parametrize(("state", "action"), MOVES)
def test_each_move_is_allowed_exactly_when_the_contract_says(api, setting, state, action):
    world, client_id = setting
    submitter = world.a.members[0].analyst
    report = report_in(api, world.a, submitter, client_id, state)

    response = act(api, world.a, submitter, report["id"], action)

    after = api.get(f"/v1/fraud-reports/{report['id']}", headers=world.a.admin.headers).json()
    if (state, action) in ALLOWED:
        assert response.status_code == 200, response.text
        assert response.json()["status"] == ALLOWED[(state, action)]
        assert after["status"] == ALLOWED[(state, action)]
    else:
        assert response.status_code == 409, response.text
        problem = response.json()
        assert problem["code"] == "invalid_transition"
        assert response.headers["content-type"].startswith("application/problem+json")
        # Nothing changed: same state, same history, same text.
        assert after["status"] == state
        assert after["decisions"] == report["decisions"]
        assert after["description"] == report["description"]


def test_submission_is_pending_with_an_empty_history(api, setting):
    world, client_id = setting
    report = submit(api, world.a.members[0].analyst, client_id)
    assert report["status"] == "pending"
    assert report["decisions"] == []
    assert report["approved_at"] is None
    assert report["submitted_by_you"] is True
    assert report["amount"] == "48250.75"
    assert report["client_id"] == client_id


def test_approval_stamps_approved_at_and_retraction_keeps_it(api, setting):
    world, client_id = setting
    submitter = world.a.members[0].analyst
    approved = report_in(api, world.a, submitter, client_id, "approved")
    assert approved["approved_at"] is not None
    retracted = act(api, world.a, submitter, approved["id"], "retract").json()
    assert retracted["status"] == "retracted"
    assert retracted["approved_at"] == approved["approved_at"]


def test_the_history_records_every_decision_with_its_note_in_order(api, setting):
    world, client_id = setting
    submitter = world.a.members[0].analyst
    report = report_in(api, world.a, submitter, client_id, "needs_info")
    act(api, world.a, submitter, report["id"], "edit")
    act(api, world.a, submitter, report["id"], "approve")
    act(api, world.a, submitter, report["id"], "retract")

    history = api.get(f"/v1/fraud-reports/{report['id']}", headers=submitter.headers).json()[
        "decisions"
    ]
    assert [(d["decision"], d["note"]) for d in history] == [
        ("request_info", "request_info by moderation"),
        ("approve", "approve by moderation"),
        ("retract", "retract by moderation"),
    ]
    assert [d["at"] for d in history] == sorted(d["at"] for d in history)


def test_every_decision_and_submission_is_an_audit_event(api, setting):
    world, client_id = setting
    submitter = world.a.members[0].analyst
    report = report_in(api, world.a, submitter, client_id, "retracted")
    events = api.get(
        "/v1/audit-events",
        headers=world.a.admin.headers,
        params={"resource": f"fraud_report/{report['id']}", "limit": 50},
    ).json()["items"]
    actions = sorted(e["action"] for e in events)
    assert actions == [
        "fraud_report.approved",
        "fraud_report.retracted",
        "fraud_report.submitted",
    ]
    approved = next(e for e in events if e["action"] == "fraud_report.approved")
    assert approved["actor"] == f"user:{world.a.admin.email}"
    assert approved["detail"]["from"] == "pending"
    assert approved["detail"]["to"] == "approved"


def test_withdrawal_and_edits_are_audited_too(api, setting):
    world, client_id = setting
    submitter = world.a.members[0].analyst
    report = submit(api, submitter, client_id)
    act(api, world.a, submitter, report["id"], "edit")
    act(api, world.a, submitter, report["id"], "withdraw")
    events = api.get(
        "/v1/audit-events",
        headers=world.a.admin.headers,
        params={"resource": f"fraud_report/{report['id']}"},
    ).json()["items"]
    assert sorted(e["action"] for e in events) == [
        "fraud_report.submitted",
        "fraud_report.updated",
        "fraud_report.withdrawn",
    ]
