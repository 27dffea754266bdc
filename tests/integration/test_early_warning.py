"""The early-warning chain end to end, through the public API only: a fraud report is
approved by the group admin, and the members who deal with the client hear of it as an
alert and as a signed webhook delivery; the submitter hears nothing, and nobody learns
who submitted it."""

from __future__ import annotations

import json

import pytest

from app.core.security import sign_payload
from tests.helpers import new_client
from tests.webhooks.helpers import Receiver


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


def test_an_approved_fraud_report_reaches_watchers_as_alert_and_signed_webhook(
    api, world, worker, receiver
):
    submitter, watcher, bystander = world.a.members
    client_id = new_client(api, submitter.analyst, "Bust Out Trading LLC", tax_id="98-7654321")
    assert api.put(f"/v1/watchlist/{client_id}", headers=watcher.analyst.headers).status_code == 204
    assert (
        api.put(f"/v1/watchlist/{client_id}", headers=submitter.analyst.headers).status_code == 204
    )
    hook = api.post(
        "/v1/webhooks",
        headers=watcher.admin.headers,
        json={"url": receiver.url("/watcher"), "events": ["fraud_report.approved"]},
    )
    assert hook.status_code == 201, hook.text
    secret = hook.json()["secret"]
    submitter_hook = api.post(
        "/v1/webhooks",
        headers=submitter.admin.headers,
        json={"url": receiver.url("/submitter"), "events": ["fraud_report.approved"]},
    )
    assert submitter_hook.status_code == 201, submitter_hook.text

    report = api.post(
        "/v1/fraud-reports",
        headers=submitter.analyst.headers,
        json={
            "client_id": client_id,
            "category": "bust_out",
            "description": "Ten times the usual order, then silence.",
            "amount": "48250.75",
            "incident_date": "2026-10-02",
        },
    )
    assert report.status_code == 201, report.text
    report_id = report.json()["id"]
    # Nothing is announced while the report waits for moderation.
    assert api.get("/v1/alerts", headers=watcher.analyst.headers).json()["items"] == []

    decision = api.post(
        f"/v1/fraud-reports/{report_id}/decision",
        headers=world.a.admin.headers,
        json={"decision": "approve", "note": "Confirmed by two members"},
    )
    assert decision.status_code == 200, decision.text

    alerts = api.get("/v1/alerts?unread=true", headers=watcher.analyst.headers).json()["items"]
    assert [(a["type"], a["client_id"]) for a in alerts] == [("fraud_report.approved", client_id)]
    assert api.get("/v1/alerts", headers=submitter.analyst.headers).json()["items"] == []
    assert api.get("/v1/alerts", headers=bystander.analyst.headers).json()["items"] == []
    assert api.get("/v1/alerts", headers=world.b.members[0].analyst.headers).json()["items"] == []

    worker.run_once()
    deliveries = receiver.to("/watcher")
    assert len(deliveries) == 1
    assert receiver.to("/submitter") == []
    delivered = deliveries[0]
    parts = dict(p.split("=", 1) for p in delivered.headers["Creditpool-Signature"].split(","))
    assert parts["v1"] == sign_payload(secret, int(parts["t"]), delivered.body)
    event = json.loads(delivered.body)
    assert event["type"] == "fraud_report.approved"
    assert set(event) == {"id", "type", "created_at", "data"}
    # Neither the alert nor the webhook names the member that submitted the report.
    for text in (delivered.body.decode(), json.dumps(alerts)):
        assert submitter.id not in text
        assert submitter.name not in text
