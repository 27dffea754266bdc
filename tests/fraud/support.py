"""Submitting fraud reports and moving them through their states, through the API."""

from __future__ import annotations

from tests.world import GroupWorld

REPORT = {
    "category": "bust_out",
    "description": "Ordered ten times its usual volume, then stopped answering.",
    "amount": "48250.75",
    "incident_date": "2026-10-02",
}


def submit(api, actor, client_id: str, **fields) -> dict:
    response = api.post(
        "/v1/fraud-reports",
        headers=actor.headers,
        json={"client_id": client_id, **REPORT, **fields},
    )
    assert response.status_code == 201, response.text
    return response.json()


def decide(api, group: GroupWorld, report_id: str, decision: str, note: str = ""):
    return api.post(
        f"/v1/fraud-reports/{report_id}/decision",
        headers=group.admin.headers,
        json={"decision": decision, "note": note},
    )


def act(api, group: GroupWorld, submitter, report_id: str, action: str):
    """Take one action of the workflow as the one who may take it."""
    if action == "edit":
        return api.patch(
            f"/v1/fraud-reports/{report_id}",
            headers=submitter.headers,
            json={"description": "More detail: the references were forged."},
        )
    if action == "withdraw":
        return api.post(f"/v1/fraud-reports/{report_id}/withdraw", headers=submitter.headers)
    return decide(api, group, report_id, action, note=f"{action} by moderation")


# How to bring a fresh report into each state, from pending.
PATHS = {
    "pending": [],
    "needs_info": ["request_info"],
    "approved": ["approve"],
    "rejected": ["reject"],
    "withdrawn": ["withdraw"],
    "retracted": ["approve", "retract"],
}


def report_in(api, group: GroupWorld, submitter, client_id: str, state: str) -> dict:
    report = submit(api, submitter, client_id)
    for action in PATHS[state]:
        response = act(api, group, submitter, report["id"], action)
        assert response.status_code == 200, response.text
        report = response.json()
    assert report["status"] == state
    return report
