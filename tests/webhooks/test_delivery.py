"""Deliveries to a real HTTP receiver on loopback: signed, retried, durable."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from app.core.db import system_session
from app.core.types import utcnow
from app.webhooks import delivery as webhook_delivery
from app.webhooks.models import WebhookDelivery
from tests.webhooks.helpers import (
    Receiver,
    deliveries,
    emit,
    register,
    run_until_settled,
    verify,
)


def _make_due(webhook_id: str) -> None:
    """Bring the next try forward (instead of waiting out the backoff)."""
    with system_session() as session:
        session.execute(
            update(WebhookDelivery.__table__)
            .where(WebhookDelivery.__table__.c.webhook_id == webhook_id)
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()


def test_a_delivery_is_signed_over_its_raw_body(api, world, receiver, worker):
    member = world.a.members[0]
    hook = register(api, member.admin, receiver.url(), ["legal_action.created"])
    event = emit(
        world.a.id,
        {member.id},
        client_id="client-1",
        data={"legal_action_id": "la-1", "kind": "judgment", "amount": "1250.50"},
    )
    worker.run_once()

    [received] = receiver.to("/hook")
    assert received.headers["Content-Type"] == "application/json"
    verify(hook["secret"], received)
    body = json.loads(received.body)
    assert body == {
        "id": event.id,
        "type": "legal_action.created",
        "created_at": body["created_at"],
        "data": {
            "client_id": "client-1",
            "legal_action_id": "la-1",
            "kind": "judgment",
            "amount": "1250.50",
        },
    }
    assert body["created_at"].endswith("Z")
    assert received.headers["Creditpool-Event-Id"] == event.id
    # A wrong secret, or a body changed by one byte, does not verify.
    with pytest.raises(AssertionError):
        verify("whsec_not-the-secret", received)
    tampered = type(received)(received.path, received.headers, received.body + b" ", received.at)
    with pytest.raises(AssertionError):
        verify(hook["secret"], tampered)

    [log] = api.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=member.admin.headers).json()[
        "items"
    ]
    assert log["status"] == "delivered" and log["attempts"] == 1
    assert log["event_id"] == event.id and log["last_status_code"] == 200


def test_an_event_reaches_only_the_subscribed_webhooks_of_the_members_it_reaches(
    api, world, receiver
):
    m1, m2, m3 = world.a.members
    fraud_only = register(api, m1.admin, receiver.url("/m1"), ["fraud_report.approved"])
    legal = register(api, m2.admin, receiver.url("/m2"), ["legal_action.created"])
    not_reached = register(api, m3.admin, receiver.url("/m3"), ["legal_action.created"])
    other_group = register(api, world.b.members[0].admin, receiver.url("/b"))

    emit(world.a.id, {m1.id, m2.id})
    run_until_settled([legal["id"]])
    webhook_delivery.deliver_due()

    assert len(receiver.to("/m2")) == 1
    assert receiver.to("/m1") == [] and receiver.to("/m3") == [] and receiver.to("/b") == []
    for hook in (fraud_only, not_reached, other_group):
        assert deliveries(hook["id"]) == []
    # Even an event naming a member of another group queues nothing there.
    emit(world.a.id, {world.b.members[0].id})
    assert deliveries(other_group["id"]) == []


def test_no_delivery_survives_an_event_that_rolled_back(api, world, receiver):
    member = world.a.members[0]
    hook = register(api, member.admin, receiver.url())
    emit(world.a.id, {member.id}, commit=False)
    assert deliveries(hook["id"]) == []
    webhook_delivery.deliver_due()
    assert receiver.requests == []


def test_a_suspended_members_webhooks_get_nothing(api, world, receiver):
    member = world.a.members[0]
    hook = register(api, member.admin, receiver.url())
    suspended = api.patch(
        f"/v1/members/{member.id}", headers=world.a.admin.headers, json={"status": "suspended"}
    )
    assert suspended.status_code == 200
    emit(world.a.id, {member.id})
    assert deliveries(hook["id"]) == []


def test_a_500_is_retried_with_the_same_event_id_until_accepted(api, world, receiver, fast_retries):
    member = world.a.members[0]
    hook = register(api, member.admin, receiver.url())
    receiver.plan = lambda _path, n: (500 if n < 2 else 204, 0.0)
    event = emit(world.a.id, {member.id})
    run_until_settled([hook["id"]])

    tries = receiver.to("/hook")
    assert len(tries) == 3
    assert {json.loads(t.body)["id"] for t in tries} == {event.id}
    assert len({t.body for t in tries}) == 1, "every try sends the same body"
    for received in tries:
        verify(hook["secret"], received)
    assert [t.headers["Creditpool-Attempt"] for t in tries] == ["1", "2", "3"]
    [row] = deliveries(hook["id"])
    assert row.status == "delivered" and row.attempts == 3 and row.last_status_code == 204


def test_retries_back_off_exponentially_from_the_base(api, world, receiver, settings):
    assert settings.webhook_retry_base_seconds == 30  # the documented default
    assert [webhook_delivery.retry_delay(n, 30) for n in (1, 2, 3, 4, 5)] == [
        30,
        60,
        120,
        240,
        480,
    ]
    member = world.a.members[0]
    hook = register(api, member.admin, receiver.url())
    receiver.plan = lambda _path, _n: (503, 0.0)
    emit(world.a.id, {member.id})
    for attempt, delay in ((1, 30), (2, 60), (3, 120)):
        before = utcnow()
        webhook_delivery.deliver_due()
        [row] = deliveries(hook["id"])
        assert row.attempts == attempt and row.status == "pending"
        assert row.last_status_code == 503 and row.last_error == "HTTP 503"
        wait = (row.next_attempt_at - before).total_seconds()
        assert delay - 1 <= wait <= delay + 5, (attempt, wait)
        # Not due yet: another round sends nothing.
        webhook_delivery.deliver_due()
        assert len(receiver.to("/hook")) == attempt
        _make_due(hook["id"])


def test_a_timeout_is_retried_like_a_failure(api, world, receiver, fast_retries, monkeypatch):
    monkeypatch.setattr(fast_retries, "webhook_timeout_seconds", 0.3)
    member = world.a.members[0]
    hook = register(api, member.admin, receiver.url())
    receiver.plan = lambda _path, n: (200, 1.5 if n == 0 else 0.0)
    event = emit(world.a.id, {member.id})

    webhook_delivery.deliver_due()
    [row] = deliveries(hook["id"])
    assert row.status == "pending" and row.attempts == 1
    assert row.last_error.startswith("timed out") and row.last_status_code is None
    run_until_settled([hook["id"]])
    tries = receiver.to("/hook")
    assert len(tries) == 2
    assert {json.loads(t.body)["id"] for t in tries} == {event.id}
    [row] = deliveries(hook["id"])
    assert row.status == "delivered" and row.attempts == 2


def test_a_delivery_fails_for_good_after_the_last_try(
    api, world, receiver, fast_retries, monkeypatch
):
    monkeypatch.setattr(fast_retries, "webhook_max_attempts", 5)
    member = world.a.members[0]
    hook = register(api, member.admin, receiver.url())
    receiver.plan = lambda _path, _n: (500, 0.0)
    event = emit(world.a.id, {member.id})
    run_until_settled([hook["id"]])

    tries = receiver.to("/hook")
    assert len(tries) == 5
    assert {json.loads(t.body)["id"] for t in tries} == {event.id}
    [log] = api.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=member.admin.headers).json()[
        "items"
    ]
    assert log["status"] == "failed" and log["attempts"] == 5
    assert log["last_status_code"] == 500 and log["next_attempt_at"] is None
    # Failed is final: later rounds leave it alone.
    _make_due(hook["id"])
    webhook_delivery.deliver_due()
    assert len(receiver.to("/hook")) == 5


def test_a_redirect_is_not_followed(api, world, receiver):
    member = world.a.members[0]
    hook = register(api, member.admin, receiver.url())
    receiver.plan = lambda path, _n: (302, 0.0) if path == "/hook" else (200, 0.0)
    emit(world.a.id, {member.id})
    webhook_delivery.deliver_due()
    assert [r.path for r in receiver.requests] == ["/hook"]
    [row] = deliveries(hook["id"])
    assert row.status == "pending" and row.last_status_code == 302


def test_a_slow_receiver_does_not_hold_up_the_others(
    api, world, receiver, fast_retries, monkeypatch
):
    monkeypatch.setattr(fast_retries, "webhook_timeout_seconds", 5.0)
    slow_member, fast_member, _ = world.a.members
    slow = register(api, slow_member.admin, receiver.url("/slow"))
    fast = register(api, fast_member.admin, receiver.url("/fast"))
    receiver.plan = lambda path, _n: (200, 2.0 if path == "/slow" else 0.0)
    for _ in range(3):
        emit(world.a.id, {slow_member.id, fast_member.id})

    started = time.monotonic()
    webhook_delivery.deliver_due()
    fast_arrivals = [r.at - started for r in receiver.to("/fast")]
    assert len(fast_arrivals) == 3 and len(receiver.to("/slow")) == 3
    assert max(fast_arrivals) < 1.5, "the fast receiver waited for the slow one"
    assert all(d.status == "delivered" for h in (slow, fast) for d in deliveries(h["id"]))


def test_a_pending_delivery_is_sent_after_a_restart(api, world):
    from app.core.db import reset_engine
    from app.main import create_app

    member = world.a.members[0]
    # The receiver is down when the event happens: the first try fails.
    down = Receiver()
    port = down.port
    down.stop()
    hook = register(api, member.admin, f"http://127.0.0.1:{port}/hook")
    event = emit(world.a.id, {member.id})
    webhook_delivery.deliver_due()
    [row] = deliveries(hook["id"])
    assert row.status == "pending" and row.attempts == 1 and row.last_error

    # A second event is claimed by a worker that dies mid-send (its lease is left behind).
    second = emit(world.a.id, {member.id})
    claimed = webhook_delivery.claim()
    assert [c.event_id for c in claimed] == [second.id]

    # The process goes away: its engine and worker with it. A new one starts on the same
    # database, with the receiver back up on the same port.
    reset_engine()
    app = create_app()
    receiver = Receiver(port=port)
    try:
        _make_due(hook["id"])
        # The dead worker's lease runs out.
        with system_session() as session:
            session.execute(
                update(WebhookDelivery.__table__)
                .where(WebhookDelivery.__table__.c.webhook_id == hook["id"])
                .values(locked_until=utcnow() - timedelta(seconds=1))
            )
            session.commit()
        app.state.worker.run_once()
        got = sorted(json.loads(r.body)["id"] for r in receiver.to("/hook"))
        assert got == sorted([event.id, second.id])
        for received in receiver.to("/hook"):
            verify(hook["secret"], received)
        rows = {d.event_id: d for d in deliveries(hook["id"])}
        assert rows[event.id].status == "delivered" and rows[event.id].attempts == 2
        assert rows[second.id].status == "delivered" and rows[second.id].attempts == 2
    finally:
        receiver.stop()
        app.state.worker.stop()


def test_one_delivery_is_never_sent_twice_at_once_within_a_process(
    api, world, receiver, fast_retries
):
    """Two rounds running side by side (the served loop and a nudge) split the work."""
    member = world.a.members[0]
    hook = register(api, member.admin, receiver.url())
    receiver.plan = lambda _path, _n: (200, 0.05)
    events = [emit(world.a.id, {member.id}) for _ in range(12)]
    threads = [threading.Thread(target=run_until_settled, args=([hook["id"]],)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    ids = [json.loads(r.body)["id"] for r in receiver.to("/hook")]
    assert sorted(ids) == sorted(e.id for e in events)


def test_a_failed_delivery_can_be_sent_again_by_its_member(
    api, world, receiver, fast_retries, monkeypatch
):
    monkeypatch.setattr(fast_retries, "webhook_max_attempts", 2)
    member = world.a.members[0]
    hook = register(api, member.admin, receiver.url())
    receiver.plan = lambda _path, _n: (500, 0.0)
    event = emit(world.a.id, {member.id})
    run_until_settled([hook["id"]])
    [failed] = api.get(
        f"/v1/webhooks/{hook['id']}/deliveries", headers=member.admin.headers
    ).json()["items"]
    assert failed["status"] == "failed"
    path = f"/v1/webhooks/{hook['id']}/deliveries/{failed['id']}/redeliver"

    for outsider in (world.a.members[1].admin, world.b.members[0].admin):
        assert api.post(path, headers=outsider.headers).status_code == 404
    assert api.post(path, headers=member.analyst.headers).status_code == 403
    assert (
        api.post(
            f"/v1/webhooks/{hook['id']}/deliveries/no-such-delivery/redeliver",
            headers=member.admin.headers,
        ).status_code
        == 404
    )

    receiver.plan = lambda _path, _n: (200, 0.0)
    again = api.post(path, headers=member.admin.headers)
    assert again.status_code == 202, again.text
    assert again.json()["status"] == "pending" and again.json()["attempts"] == 0
    conflict = api.post(path, headers=member.admin.headers)
    assert conflict.status_code == 409 and conflict.json()["code"] == "invalid_transition"
    run_until_settled([hook["id"]])
    tries = receiver.to("/hook")
    assert len(tries) == 3
    assert {json.loads(t.body)["id"] for t in tries} == {event.id}
    [row] = deliveries(hook["id"])
    assert row.status == "delivered" and row.attempts == 1


def test_deliveries_of_a_member_suspended_after_the_event_are_cancelled(api, world, receiver):
    member = world.a.members[0]
    hook = register(api, member.admin, receiver.url())
    emit(world.a.id, {member.id})
    api.patch(
        f"/v1/members/{member.id}", headers=world.a.admin.headers, json={"status": "suspended"}
    )
    webhook_delivery.deliver_due()
    assert receiver.requests == []
    [row] = deliveries(hook["id"])
    assert row.status == "cancelled" and row.attempts == 0


def test_the_verification_example_of_the_docs_accepts_a_real_delivery(api, world, receiver):
    source = (Path(__file__).resolve().parents[2] / "docs" / "WEBHOOKS.md").read_text()
    example = source.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(example, "WEBHOOKS.md", "exec"), namespace)  # noqa: S102 - our own docs
    docs_verify = namespace["verify"]

    member = world.a.members[0]
    hook = register(api, member.admin, receiver.url())
    emit(world.a.id, {member.id})
    webhook_delivery.deliver_due()
    [received] = receiver.to("/hook")
    header = received.headers["Creditpool-Signature"]
    assert docs_verify(hook["secret"], header, received.body)
    assert not docs_verify(hook["secret"], header, received.body.replace(b"}", b" }", 1))
    assert not docs_verify("whsec_other", header, received.body)
    assert not docs_verify(hook["secret"], "garbage", received.body)
    old = int(time.time()) - 3600
    replayed = webhook_delivery.signature_header(hook["secret"], received.body, old)
    assert not docs_verify(hook["secret"], replayed, received.body)
