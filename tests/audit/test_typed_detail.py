"""The audit trail's `detail` and the alerts' `data` are typed in the OpenAPI document:
after a story touching many actions, every event the API lists fits the shape the
document names for it (not only the plain object kept for unmodelled events), and
comes back exactly as it was written (no key added, none renamed)."""

from __future__ import annotations

import jsonschema_rs  # schemathesis's own validator (the dev extra)

from tests.alerts.stories import alerts
from tests.helpers import company, line, new_client

# The shape each action's detail has in the document.
DETAIL_OF = {
    "auth.login": "NoDetail",
    "auth.login_failed": "LoginFailedDetail",
    "user.created": "UserCreatedDetail",
    "user.updated": "Changes",
    "member.created": "MemberCreatedDetail",
    "group.settings_changed": "Changes",
    "api_key.created": "ApiKeyCreatedDetail",
    "experiences.submitted": "ExperiencesSubmittedDetail",
    "legal_action.created": "LegalActionCreatedDetail",
    "fraud_report.submitted": "FraudReportSubmittedDetail",
    "fraud_report.approved": "FraudReportDecidedDetail",
    "profile.read": "ProfileReadDetail",
    "poll.created": "PollCreatedDetail",
    "poll.answered": "PollAnsweredDetail",
    "meeting.created": "MeetingCreatedDetail",
}


def _validator(document: dict, name: str):
    """The document's schema of that name, its references resolved in the document."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return jsonschema_rs.Draft202012Validator(schema)


def _story(api, world):
    admin, (m1, m2, m3) = world.a.admin, world.a.members
    api.post("/v1/auth/token", data={"username": m1.analyst.email, "password": "wrong-wrong!"})
    api.patch(f"/v1/users/{m1.viewer.id}", headers=m1.admin.headers, json={"role": "viewer"})
    api.patch(f"/v1/users/{m1.viewer.id}", headers=m1.admin.headers,
              json={"role": "credit_analyst"})  # fmt: skip
    api.patch(f"/v1/groups/{world.a.id}", headers=admin.headers,
              json={"settings": {"lookback_months": 10, "dominance_share": 0.9}})  # fmt: skip
    client_id = new_client(api, m1.analyst)
    for member in (m1, m2, m3):
        api.post("/v1/experiences", headers=member.key.headers, json=line(client_id=client_id))
    api.get(f"/v1/clients/{client_id}/profile", headers=m2.analyst.headers)
    api.get(f"/v1/clients/{client_id}/profile", headers=admin.headers)
    legal = {"client_id": client_id, "kind": "lien", "status": "filed", "filed_on": "2026-01-05"}
    api.post("/v1/legal-actions", headers=m1.analyst.headers, json=legal)
    report = api.post("/v1/fraud-reports", headers=m2.analyst.headers, json={
        "client": company(), "category": "other", "description": "x",
        "incident_date": "2026-01-05"}).json()  # fmt: skip
    api.post(f"/v1/fraud-reports/{report['id']}/decision", headers=admin.headers,
             json={"decision": "approve", "note": "confirmed"})  # fmt: skip
    api.patch(f"/v1/groups/{world.a.id}", headers=admin.headers,
              json={"settings": {"min_contributors": 1}})  # fmt: skip
    poll = api.post("/v1/polls", headers=m1.analyst.headers, json={"client_id": client_id}).json()
    api.post(f"/v1/polls/{poll['id']}/responses", headers=m2.analyst.headers,
             json={"experience": "prompt"})  # fmt: skip
    api.post("/v1/meetings", headers=admin.headers,
             json={"title": "Quarterly", "held_on": "2027-01-10"})  # fmt: skip
    return client_id


def test_every_audit_detail_fits_the_shape_named_for_its_action(api, world):
    _story(api, world)
    document = api.get("/openapi.json").json()
    events = api.get("/v1/audit-events", headers=world.a.admin.headers,
                     params={"limit": 500}).json()["items"]  # fmt: skip
    seen = set()
    for event in events:
        name = DETAIL_OF.get(event["action"])
        if name is None:
            continue
        errors = list(_validator(document, name).iter_errors(event["detail"]))
        assert not errors, (event["action"], event["detail"], errors[0].message)
        seen.add(event["action"])
    assert seen == set(DETAIL_OF)
    by_action = {e["action"]: e["detail"] for e in events}
    assert by_action["user.updated"] == {"role": {"from": "viewer", "to": "credit_analyst"}}
    assert by_action["auth.login_failed"] == {"reason": "bad_credentials"}
    reads = [e["detail"] for e in events if e["action"] == "profile.read"]
    assert any("member_id" not in d for d in reads)  # the admin's read: no key, not null
    assert all(set(d) <= {"as_of", "member_id"} for d in reads)

    detail = document["components"]["schemas"]["AuditEventOut"]["properties"]["detail"]
    named = {d.get("$ref", "").rsplit("/", 1)[-1] for d in detail["anyOf"]}
    assert set(DETAIL_OF.values()) <= named


def test_poll_alerts_fit_their_typed_data(api, world):
    client_id = _story(api, world)
    document = api.get("/openapi.json").json()
    m1, m2 = world.a.members[0], world.a.members[1]
    for actor, kind, name in ((m2.analyst, "poll.opened", "PollOpenedData"),
                              (m1.analyst, "poll.answered", "PollAnsweredData")):  # fmt: skip
        items = alerts(api, actor, type=kind)
        assert items, kind
        for alert in items:
            assert alert["client_id"] == client_id
            errors = list(_validator(document, name).iter_errors(alert["data"]))
            assert not errors, (kind, alert["data"], errors[0].message)
