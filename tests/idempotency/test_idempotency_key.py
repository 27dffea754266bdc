"""Idempotency-Key: a retried create is answered from memory, never done twice."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session

from app.core.db import get_engine
from app.core.types import utcnow
from app.idempotency import service
from app.idempotency.models import IdempotencyRecord
from tests.experiences.lines import company, line


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

    with Session(get_engine()) as session:
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
    with Session(get_engine()) as session:
        session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.key == key)
            .values(created_at=utcnow() - timedelta(hours=25))
        )
        session.commit()
    fresh = api.post("/v1/experiences", headers=headers, json=line(company(), terms_days=60))
    assert fresh.status_code == 201 and "idempotent-replayed" not in fresh.headers
    # The worker's purge removes what is past 24 hours.
    with Session(get_engine()) as session:
        session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.key == key)
            .values(created_at=utcnow() - timedelta(hours=25))
        )
        session.commit()
    assert service.purge_expired_now() >= 1
    with Session(get_engine()) as session:
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


def test_a_key_creation_is_replayed_with_its_secret_which_is_stored_sealed(api, world):
    admin = world.a.members[0].admin
    key = _key()
    body = {"name": "erp-2", "scopes": ["clients:read"]}
    first = api.post("/v1/api-keys", headers=admin.headers | {"Idempotency-Key": key}, json=body)
    again = api.post("/v1/api-keys", headers=admin.headers | {"Idempotency-Key": key}, json=body)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    keys = api.get("/v1/api-keys", headers=admin.headers, params={"limit": 500}).json()["items"]
    assert [k["id"] for k in keys].count(first.json()["id"]) == 1
    assert sum(k["name"] == "erp-2" for k in keys) == 1
    (record,) = _records(key)
    # The answer holds the key itself: it is kept encrypted, never in clear.
    assert first.json()["key"].encode() not in (record.response_body or b"")
    assert b"erp-2" not in (record.response_body or b"")
    # And the replayed key works.
    assert api.get("/v1/me", headers={"X-API-Key": again.json()["key"]}).status_code == 200
