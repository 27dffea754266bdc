"""Idempotency-Key: a retried create is answered from memory, never done twice."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import update

from app.core.config import get_settings
from app.core.db import system_session
from app.core.errors import Conflict
from app.core.security import unseal
from app.core.types import utcnow
from app.idempotency import service
from app.idempotency.models import IdempotencyRecord
from tests.helpers import company, line
from tests.world import add_user


def _key() -> str:
    return str(uuid.uuid4())


def audit_count(api, world, action="experiences.submitted") -> int:
    events = api.get(
        "/v1/audit-events", params={"action": action, "limit": 500}, headers=world.a.admin.headers
    ).json()["items"]
    return len(events)


def test_a_retry_replays_the_first_response_and_stores_nothing_new(api, world):
    erp = world.a.members[0].key
    headers = erp.headers | {"Idempotency-Key": _key()}
    body = {"items": [line(company("Replay Corp")), line(company(), total_owed=-1)]}
    first = api.post("/v1/experiences/batch", headers=headers, json=body)
    again = api.post("/v1/experiences/batch", headers=headers, json=body)
    assert first.status_code == again.status_code == 200
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["content-type"] == first.headers["content-type"]
    assert audit_count(api, world) == 1
    lines = api.get("/v1/experiences", headers=erp.headers).json()["items"]
    assert len(lines) == 1


def test_replay_keeps_the_status_of_a_create(api, world):
    analyst = world.a.members[0].analyst
    headers = analyst.headers | {"Idempotency-Key": _key()}
    body = company(f"Once {uuid.uuid4().hex[:6]}")
    first = api.post("/v1/clients", headers=headers, json=body)
    again = api.post("/v1/clients", headers=headers, json=body)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.json()["match"] == "created"
    # Without the key, the same body is resolved (200), not replayed.
    plain = api.post("/v1/clients", headers=analyst.headers, json=body)
    assert plain.status_code == 200 and "idempotent-replayed" not in plain.headers


def test_the_same_key_with_another_body_is_409(api, world):
    analyst = world.a.members[0].analyst
    headers = analyst.headers | {"Idempotency-Key": _key()}
    assert api.post("/v1/experiences", headers=headers, json=line(company())).status_code == 201
    reused = api.post("/v1/experiences", headers=headers, json=line(company(), terms_days=60))
    assert reused.status_code == 409
    assert reused.headers["content-type"].startswith("application/problem+json")
    assert reused.json()["code"] == "idempotency_key_reused"
    # Another path with the same key is another request too.
    other = api.post("/v1/clients", headers=headers, json=company())
    assert other.json()["code"] == "idempotency_key_reused"
    assert len(api.get("/v1/experiences", headers=analyst.headers).json()["items"]) == 1


def test_keys_belong_to_their_caller(api, world):
    key = _key()
    one, two = world.a.members[0].analyst, world.a.members[1].analyst
    a = api.post(
        "/v1/experiences", headers=one.headers | {"Idempotency-Key": key}, json=line(company())
    )
    b = api.post(
        "/v1/experiences",
        headers=two.headers | {"Idempotency-Key": key},
        json=line(company(), terms_days=45),
    )
    assert (a.status_code, b.status_code) == (201, 201)
    assert "idempotent-replayed" not in b.headers
    assert a.json()["id"] != b.json()["id"]


def test_validation_errors_are_replayed_but_refusals_are_not_remembered(api, world):
    member = world.a.members[0]
    key = _key()
    bad = line(company(), currency="EUR")
    first = api.post(
        "/v1/experiences", headers=member.analyst.headers | {"Idempotency-Key": key}, json=bad
    )
    again = api.post(
        "/v1/experiences", headers=member.analyst.headers | {"Idempotency-Key": key}, json=bad
    )
    assert (first.status_code, again.status_code) == (422, 422)
    assert again.headers["idempotent-replayed"] == "true"
    # A refusal (403, 401) is not remembered: the key stays free for when it may succeed.
    refused_key = _key()
    body = line(company())
    viewer = api.post(
        "/v1/experiences",
        headers=member.viewer.headers | {"Idempotency-Key": refused_key},
        json=body,
    )
    assert viewer.status_code == 403
    unauthenticated = api.post(
        "/v1/experiences",
        headers={"X-API-Key": "cpk_wrong", "Idempotency-Key": refused_key},
        json=body,
    )
    assert unauthenticated.status_code == 401
    assert _records(refused_key) == []
    assert [service.storable(s) for s in (401, 403, 429, 500, 503)] == [False] * 5


def test_a_server_error_lets_the_key_go_so_the_client_can_retry(api, world, monkeypatch):
    from app.experiences import service as experiences

    analyst = world.a.members[0].analyst
    headers = analyst.headers | {"Idempotency-Key": _key()}
    body = line(company())
    real = experiences.submit

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(experiences, "submit", broken)
    failed = api.post("/v1/experiences", headers=headers, json=body)
    assert failed.status_code == 500
    monkeypatch.setattr(experiences, "submit", real)
    retried = api.post("/v1/experiences", headers=headers, json=body)
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers


def _records(key: str) -> list:
    from sqlmodel import select

    with system_session(write=False) as session:
        return list(session.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == key)))


def test_a_malformed_key_is_422(api, world):
    analyst = world.a.members[0].analyst
    response = api.post(
        "/v1/clients", headers=analyst.headers | {"Idempotency-Key": "k" * 256}, json=company()
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert api.get("/v1/clients", headers=analyst.headers).json()["items"] == []


def test_an_expired_key_may_be_used_again_and_is_purged(api, world, worker):
    analyst = world.a.members[0].analyst
    key = _key()
    headers = analyst.headers | {"Idempotency-Key": key}
    assert api.post("/v1/experiences", headers=headers, json=line(company())).status_code == 201
    with system_session() as session:
        session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.key == key)
            .values(created_at=utcnow() - timedelta(hours=25))
        )
    fresh = api.post("/v1/experiences", headers=headers, json=line(company(), terms_days=60))
    assert fresh.status_code == 201 and "idempotent-replayed" not in fresh.headers
    # The worker's purge removes what is past 24 hours.
    with system_session() as session:
        session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.key == key)
            .values(created_at=utcnow() - timedelta(hours=25))
        )
    assert service.purge_expired_now() >= 1
    with system_session(write=False) as session:
        assert session.get(IdempotencyRecord, (f"user:{analyst.id}", key)) is None
    worker.run_once()  # the registered task runs without error


def test_concurrent_requests_with_one_key_store_once(api, world):
    erp = world.a.members[0].key
    headers = erp.headers | {"Idempotency-Key": _key()}
    body = {"items": [line(company(f"Concurrent {i} Inc")) for i in range(50)]}

    def send(_):
        return api.post("/v1/experiences/batch", headers=headers, json=body)

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(send, range(6)))
    assert {r.status_code for r in responses} == {200}, [r.text for r in responses]
    assert len({r.text for r in responses}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 5
    assert responses[0].json()["created"] == 50
    assert audit_count(api, world) == 1
    lines = api.get("/v1/experiences", headers=erp.headers, params={"limit": 500}).json()["items"]
    assert len(lines) == 50


def test_a_secret_shown_once_is_never_stored_and_its_replay_is_a_409(api, world):
    """14.6: a replay of a key's (or a webhook's) creation would show its secret again."""
    admin = world.a.members[0].admin
    key = _key()
    body = {"name": "erp-2", "scopes": ["clients:read"]}
    first = api.post("/v1/api-keys", headers=admin.headers | {"Idempotency-Key": key}, json=body)
    again = api.post("/v1/api-keys", headers=admin.headers | {"Idempotency-Key": key}, json=body)
    assert (first.status_code, again.status_code) == (201, 409)
    assert again.json()["code"] == "idempotency_secret_not_replayed"
    assert first.json()["id"] in again.json()["detail"]
    assert first.json()["key"] not in again.text
    keys = api.get("/v1/api-keys", headers=admin.headers, params={"limit": 500}).json()["items"]
    assert sum(k["name"] == "erp-2" for k in keys) == 1
    (record,) = _records(key)
    stored = unseal(record.response_body)
    assert first.json()["key"].encode() not in stored and b"erp-2" not in stored
    assert api.get("/v1/me", headers={"X-API-Key": first.json()["key"]}).status_code == 200

    hook = {"url": "http://127.0.0.1:9/hooks", "events": ["legal_action.created"]}
    headers = admin.headers | {"Idempotency-Key": _key()}
    made = api.post("/v1/webhooks", headers=headers, json=hook)
    replayed = api.post("/v1/webhooks", headers=headers, json=hook)
    assert (made.status_code, replayed.status_code) == (201, 409)
    assert made.json()["secret"] not in replayed.text


def test_a_caller_who_lost_the_permission_gets_403_not_a_replay(api, world):
    """14.6: authorization runs before the replay."""
    member = world.a.members[0]
    user = add_user(
        api,
        world.a.admin.headers,
        f"demoted-{uuid.uuid4().hex[:6]}@x.example.com",
        "member_admin",
        member.id,
    )
    key = _key()
    body = {
        "email": f"new-{uuid.uuid4().hex[:6]}@x.example.com",
        "password": "long-password-1",
        "role": "viewer",
        "member_id": member.id,
    }
    headers = user.headers | {"Idempotency-Key": key}
    assert api.post("/v1/users", headers=headers, json=body).status_code == 201
    demoted = api.patch(
        f"/v1/users/{user.id}", headers=world.a.admin.headers, json={"role": "viewer"}
    )
    assert demoted.status_code == 200
    replay = api.post("/v1/users", headers=headers, json=body)
    assert replay.status_code == 403 and "idempotent-replayed" not in replay.headers


def test_a_lapsed_lease_is_taken_over_and_a_live_one_answers_409(api, world, monkeypatch):
    """14.11: a request whose process died leaves its key `in_progress`; once its lease
    has lapsed a retry runs the request (nothing of the first try was committed)."""
    analyst = world.a.members[0].analyst
    key = _key()
    body = line(company("Leased Corp"))
    path = "/v1/experiences"
    digest = service.request_hash("POST", path, b"", b"\n", json.dumps(body).encode())
    caller = f"user:{analyst.id}"
    held = service.claim(caller, key, "POST", path, digest, world.a.id)
    assert isinstance(held, service.Claim)  # a request that will never finish
    monkeypatch.setattr(get_settings(), "idempotency_wait_seconds", 0.2)
    headers = analyst.headers | {"Idempotency-Key": key, "content-type": "application/json"}
    busy = api.post(path, headers=headers, content=json.dumps(body))
    assert busy.status_code == 409 and busy.json()["code"] == "idempotency_request_in_progress"
    assert busy.headers["retry-after"] == "1"
    with system_session() as session:
        session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.key == key)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    retried = api.post(path, headers=headers, content=json.dumps(body))
    assert retried.status_code == 201, retried.text
    again = api.post(path, headers=headers, content=json.dumps(body))
    assert again.headers["idempotent-replayed"] == "true" and again.json() == retried.json()
    # The first try, had it lived on, may no longer commit: its lease is gone.
    with system_session() as session, pytest.raises(Conflict):
        service.complete_in(session, held, 201, "application/json", b"{}")


def test_every_post_but_the_token_declares_the_idempotency_dependency(app):
    from fastapi.routing import APIRoute

    from app.idempotency.route import IdempotentRoute

    posts = [
        r
        for r in app.routes
        if isinstance(r, APIRoute) and "POST" in r.methods and r.path.startswith("/v1/")
    ]
    assert len(posts) >= 14
    for route in posts:
        if route.path == "/v1/auth/token":
            continue
        declared = [d.call for d in route.dependant.dependencies]
        assert isinstance(route, IdempotentRoute), route.path
        assert any(getattr(c, "__name__", "") == "idempotency" for c in declared), route.path
