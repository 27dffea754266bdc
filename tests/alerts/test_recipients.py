"""Each event reaches exactly the members concerned: watchers and holders of a trade line in
the lookback, never the member that caused it, never another group."""

from __future__ import annotations

import pytest

from tests.alerts.stories import (
    LONG_AGO,
    TODAY,
    alerted_members,
    alerts,
    everyone,
    trade_line,
    watch,
)
from tests.fraud.support import decide, submit
from tests.helpers import new_client, submit_batch
from tests.world import add_member


@pytest.fixture
def scene(api, world):
    """Member 0 reports, 1 watches, 2 holds a recent line, 3 only an old line, 4 nothing.

    Members 0 holds a line and watches too: it is the one that causes the events. Group B
    watches a client of the same name, which is another client altogether.
    """
    a = world.a
    add_member(api, a, "Member 4")
    add_member(api, a, "Member 5")
    m = a.members
    client_id = new_client(api, m[0].analyst, "Shared Debtor Corp")
    submit_batch(api, m[0].key, trade_line(client_id, TODAY))
    watch(api, m[0].analyst, client_id)
    watch(api, m[1].analyst, client_id)
    submit_batch(api, m[2].key, trade_line(client_id, TODAY))
    submit_batch(api, m[3].key, trade_line(client_id, LONG_AGO))
    outsider = world.b.members[0]
    foreign = new_client(api, outsider.analyst, "Shared Debtor Corp")
    watch(api, outsider.analyst, foreign)
    submit_batch(api, outsider.key, trade_line(foreign, TODAY))
    return world, client_id, foreign


def test_an_approved_fraud_report_alerts_watchers_and_holders_but_not_its_submitter(api, scene):
    world, client_id, foreign = scene
    m = world.a.members
    report = submit(api, m[0].analyst, client_id, amount="5000.00")
    assert alerts(api, m[1].analyst) == []  # pending: nobody is told yet

    assert decide(api, world.a, report["id"], "approve", "verified").status_code == 200

    assert alerted_members(api, everyone(world), "fraud_report.approved", client_id) == {
        m[1].id,
        m[2].id,
    }
    assert alerted_members(api, everyone(world), "fraud_report.approved", foreign) == set()
    (alert,) = alerts(api, m[2].analyst)
    assert alert["type"] == "fraud_report.approved"
    assert alert["client_id"] == client_id
    assert alert["read"] is False
    assert alert["data"]["fraud_report_id"] == report["id"]
    assert alert["data"]["category"] == "bust_out"
    assert alert["data"]["amount"] == "5000.00"
    assert alert["data"]["legal_name"] == "Shared Debtor Corp"
    text = str(alert)
    assert m[0].id not in text and m[0].name not in text


def test_rejected_or_withdrawn_reports_alert_nobody(api, scene):
    world, client_id, _ = scene
    m = world.a.members
    rejected = submit(api, m[0].analyst, client_id)
    decide(api, world.a, rejected["id"], "reject")
    needs_info = submit(api, m[0].analyst, client_id)
    decide(api, world.a, needs_info["id"], "request_info")
    assert alerted_members(api, everyone(world), "fraud_report.approved", client_id) == set()


def test_a_legal_action_alerts_watchers_and_holders_but_not_its_reporter(api, scene):
    world, client_id, foreign = scene
    m = world.a.members
    response = api.post(
        "/v1/legal-actions",
        headers=m[2].key.headers,
        json={
            "client_id": client_id,
            "kind": "judgment",
            "status": "filed",
            "amount": "12500.50",
            "filed_on": "2026-10-01",
            "jurisdiction": "NY Supreme Court",
            "case_number": "2026-0042",
        },
    )
    assert response.status_code == 201, response.text
    action_id = response.json()["id"]

    assert alerted_members(api, everyone(world), "legal_action.created", client_id) == {
        m[0].id,
        m[1].id,
    }
    assert alerted_members(api, everyone(world), "legal_action.created", foreign) == set()
    (alert,) = alerts(api, m[1].analyst, type="legal_action.created")
    assert alert["data"]["legal_action_id"] == action_id
    assert alert["data"]["kind"] == "judgment"
    assert alert["data"]["amount"] == "12500.50"
    assert alert["data"]["filed_on"] == "2026-10-01"
    assert m[2].id not in str(alert)


def test_a_suspended_member_is_not_alerted(api, scene):
    world, client_id, _ = scene
    m = world.a.members
    response = api.patch(
        f"/v1/members/{m[1].id}", headers=world.a.admin.headers, json={"status": "suspended"}
    )
    assert response.status_code == 200
    report = submit(api, m[0].analyst, client_id)
    decide(api, world.a, report["id"], "approve")
    api.patch(f"/v1/members/{m[1].id}", headers=world.a.admin.headers, json={"status": "active"})
    members = [x for x in everyone(world) if x.id != m[1].id]
    assert alerted_members(api, members, "fraud_report.approved", client_id) == {m[2].id}
    assert alerts(api, m[1].analyst) == []


def test_unwatching_stops_the_alerts(api, scene):
    world, client_id, _ = scene
    m = world.a.members
    assert api.delete(f"/v1/watchlist/{client_id}", headers=m[1].analyst.headers).status_code == 204
    report = submit(api, m[0].analyst, client_id)
    decide(api, world.a, report["id"], "approve")
    assert alerted_members(api, everyone(world), "fraud_report.approved", client_id) == {m[2].id}
