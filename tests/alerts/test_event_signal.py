"""`event_emitted`: what webhooks receive, inside the transaction of the fact."""

from __future__ import annotations

import pytest

from app.core import hooks
from app.fraud.models import FraudReport
from tests.alerts.stories import TODAY, trade_line, watch
from tests.fraud.support import decide, submit
from tests.helpers import new_client, submit_batch


@pytest.fixture
def emitted():
    events: list[tuple[hooks.Event, bool]] = []

    def receive(session, event):
        # Sent before the commit: the approval is visible in the session, not yet committed.
        report_id = event.data.get("fraud_report_id")
        in_session = report_id is not None and session.get(FraudReport, report_id) is not None
        events.append((event, in_session and session.in_transaction()))

    hooks.event_emitted.connect(receive)
    yield events
    hooks.event_emitted.disconnect(receive)


def test_an_approval_sends_one_event_naming_its_recipients(api, world, emitted):
    m = world.a.members
    client_id = new_client(api, m[0].analyst)
    submit_batch(api, m[2].key, trade_line(client_id, TODAY))
    watch(api, m[1].analyst, client_id)
    report = submit(api, m[0].analyst, client_id)
    decide(api, world.a, report["id"], "approve")

    ((event, in_transaction),) = emitted
    assert in_transaction
    assert event.type == "fraud_report.approved"
    assert event.group_id == world.a.id
    assert event.client_id == client_id
    assert event.member_ids == {m[1].id, m[2].id}
    assert event.data["fraud_report_id"] == report["id"]
    assert m[0].id not in str(event.data)
    alert = api.get("/v1/alerts", headers=m[1].analyst.headers).json()["items"][0]
    assert alert["data"] == event.data
