"""Registering, listing and deleting webhooks; who may, and who sees the delivery log."""

from __future__ import annotations

import pytest

from tests.webhooks.helpers import deliveries, emit, register, run_until_settled

EVENTS = ["fraud_report.approved", "legal_action.created", "profile.deteriorated"]


def test_a_member_admin_registers_a_webhook_and_sees_its_secret_once(api, world, receiver):
    admin = world.a.members[0].admin
    created = api.post(
        "/v1/webhooks", headers=admin.headers, json={"url": receiver.url(), "events": EVENTS}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 30
    assert body["url"] == receiver.url()
    assert body["events"] == EVENTS
    assert body["member_id"] == world.a.members[0].id

    listed = api.get("/v1/webhooks", headers=admin.headers).json()
    assert [w["id"] for w in listed["items"]] == [body["id"]]
    assert "secret" not in listed["items"][0]
    one = api.get(f"/v1/webhooks/{body['id']}", headers=admin.headers).json()
    assert "secret" not in one and one["events"] == EVENTS

    audit = api.get(
        "/v1/audit-events", headers=world.a.admin.headers, params={"action": "webhook.created"}
    ).json()["items"]
    assert [e["resource"] for e in audit] == [f"webhook/{body['id']}"]
    assert body["secret"] not in str(audit)


@pytest.mark.parametrize(
    "payload",
    [
        {"url": "URL", "events": ["legal_action.created"]},
        {"url": "ftp://127.0.0.1/hook", "events": ["legal_action.created"]},
        {"url": "file:///etc/passwd", "events": ["legal_action.created"]},
        {"url": "javascript:alert(1)", "events": ["legal_action.created"]},
        {"url": "http://", "events": ["legal_action.created"]},
        {"url": "HOOK", "events": []},
        {"url": "HOOK", "events": ["client.created"]},
        {"url": "HOOK", "events": "legal_action.created"},
        {"url": "HOOK"},
        {"events": ["legal_action.created"]},
        {"url": "HOOK", "events": ["legal_action.created"], "secret": "mine"},
        {"url": "HOOK", "events": ["legal_action.created"], "member_id": "x"},
        {"url": "http://user:pass@127.0.0.1/hook", "events": ["legal_action.created"]},
        {"url": "http://127.0.0.1:99999/hook", "events": ["legal_action.created"]},
        {"url": "http://no-such-host.invalid/hook", "events": ["legal_action.created"]},
    ],
)
def test_a_bad_registration_is_a_422_that_stores_nothing(api, module_world, receiver, payload):
    admin = module_world.a.members[0].admin
    payload = {
        k: (receiver.url() if v == "HOOK" else ("" if v == "URL" else v))
        for k, v in payload.items()
    }
    response = api.post("/v1/webhooks", headers=admin.headers, json=payload)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "validation_error"
    assert api.get("/v1/webhooks", headers=admin.headers).json()["items"] == []


def test_only_member_admins_manage_webhooks(api, world, receiver):
    member = world.a.members[0]
    hook = register(api, member.admin, receiver.url())
    body = {"url": receiver.url(), "events": ["legal_action.created"]}
    for actor in (member.analyst, member.viewer, member.key):
        assert api.post("/v1/webhooks", headers=actor.headers, json=body).status_code == 403
        assert api.get("/v1/webhooks", headers=actor.headers).status_code == 403
        assert api.delete(f"/v1/webhooks/{hook['id']}", headers=actor.headers).status_code == 403
        assert (
            api.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=actor.headers).status_code
            == 403
        )
    # A group admin acts for no member: it has no webhooks of its own.
    assert api.post("/v1/webhooks", headers=world.a.admin.headers, json=body).status_code == 403
    assert api.post("/v1/webhooks", json=body).status_code == 401
    assert (
        api.get("/v1/webhooks", headers=member.admin.headers).json()["items"][0]["id"] == hook["id"]
    )


def test_another_members_or_groups_webhook_does_not_exist_for_you(api, world, receiver):
    owner = world.a.members[0]
    hook = register(api, owner.admin, receiver.url())
    emit(world.a.id, {owner.id})
    run_until_settled([hook["id"]])
    for outsider in (world.a.members[1].admin, world.b.members[0].admin):
        for path in (f"/v1/webhooks/{hook['id']}", f"/v1/webhooks/{hook['id']}/deliveries"):
            response = api.get(path, headers=outsider.headers)
            assert response.status_code == 404, response.text
            assert response.json()["code"] == "not_found"
        assert api.delete(f"/v1/webhooks/{hook['id']}", headers=outsider.headers).status_code == 404
        assert api.get("/v1/webhooks", headers=outsider.headers).json()["items"] == []
    # Nothing was changed by the attempts: the owner's webhook and its log are intact.
    log = api.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=owner.admin.headers).json()
    assert [d["status"] for d in log["items"]] == ["delivered"]


def test_the_delivery_log_lists_tries_newest_first_page_by_page(api, world, receiver):
    member = world.a.members[0]
    hook = register(api, member.admin, receiver.url())
    events = [emit(world.a.id, {member.id}) for _ in range(3)]
    run_until_settled([hook["id"]])

    first = api.get(
        f"/v1/webhooks/{hook['id']}/deliveries", headers=member.admin.headers, params={"limit": 2}
    ).json()
    second = api.get(
        f"/v1/webhooks/{hook['id']}/deliveries",
        headers=member.admin.headers,
        params={"limit": 2, "cursor": first["next_cursor"]},
    ).json()
    assert second["next_cursor"] is None
    items = first["items"] + second["items"]
    assert [d["event_id"] for d in items] == [e.id for e in reversed(events)]
    entry = items[0]
    assert set(entry) == {
        "id",
        "event_id",
        "event_type",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "created_at",
        "delivered_at",
    }
    assert entry["status"] == "delivered" and entry["attempts"] == 1
    assert entry["last_status_code"] == 200 and entry["last_error"] is None
    assert entry["next_attempt_at"] is None and entry["delivered_at"] is not None
    filtered = api.get(
        f"/v1/webhooks/{hook['id']}/deliveries",
        headers=member.admin.headers,
        params={"status": "failed"},
    ).json()
    assert filtered["items"] == []
    bad = api.get(
        f"/v1/webhooks/{hook['id']}/deliveries",
        headers=member.admin.headers,
        params={"status": "lost"},
    )
    assert bad.status_code == 422


def test_deleting_a_webhook_stops_its_deliveries(api, world, receiver, settings, monkeypatch):
    member = world.a.members[0]
    hook = register(api, member.admin, receiver.url())
    receiver.plan = lambda _path, _n: (500, 0.0)
    emit(world.a.id, {member.id})
    run_once = __import__("app.webhooks.delivery", fromlist=["deliver_due"]).deliver_due
    run_once()
    assert len(receiver.requests) == 1
    assert [d.status for d in deliveries(hook["id"])] == ["pending"]

    assert api.delete(f"/v1/webhooks/{hook['id']}", headers=member.admin.headers).status_code == 204
    assert [d.status for d in deliveries(hook["id"])] == ["cancelled"]
    monkeypatch.setattr(settings, "webhook_retry_base_seconds", 0.0)
    receiver.plan = lambda _path, _n: (200, 0.0)
    emit(world.a.id, {member.id})
    run_once()
    assert len(receiver.requests) == 1, "nothing more is sent to a deleted webhook"
    assert len(deliveries(hook["id"])) == 1, "nothing more is queued for it"
    assert api.get("/v1/webhooks", headers=member.admin.headers).json()["items"] == []
    assert api.get(f"/v1/webhooks/{hook['id']}", headers=member.admin.headers).status_code == 404
    assert api.delete(f"/v1/webhooks/{hook['id']}", headers=member.admin.headers).status_code == 404
    audit = api.get(
        "/v1/audit-events", headers=world.a.admin.headers, params={"action": "webhook.deleted"}
    ).json()["items"]
    assert [e["resource"] for e in audit] == [f"webhook/{hook['id']}"]


def test_a_member_has_at_most_twenty_webhooks(api, world, receiver):
    admin = world.a.members[0].admin
    for i in range(20):
        register(api, admin, receiver.url(f"/hook/{i}"))
    response = api.post(
        "/v1/webhooks",
        headers=admin.headers,
        json={"url": receiver.url("/one-more"), "events": ["legal_action.created"]},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "webhook_limit_reached"
    assert len(api.get("/v1/webhooks", headers=admin.headers).json()["items"]) == 20
