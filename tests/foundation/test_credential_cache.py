"""Each process remembers who a key or token belongs to for `auth_cache_seconds`: a change
made through the application (here or in another process: the credential version,
tests/foundation/test_revocation_across_processes.py) applies to the next request; one
made around it, by hand in the database, within that bound (app/auth/cache.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from app.accounts import service as auth_service
from app.auth.cache import CREDENTIALS
from app.auth.models import ApiKey
from app.core.config import get_settings
from app.core.db import system_session
from app.core.types import utcnow
from tests.foundation.helpers import assert_problem
from tests.world import add_key


def _revoke_by_hand(key_id: str) -> None:
    """A revocation made around the application (an UPDATE by hand): a committed row
    change, and no credential version bump."""
    with system_session() as session:
        session.execute(update(ApiKey).where(ApiKey.id == key_id).values(revoked_at=utcnow()))
        session.commit()


@pytest.fixture
def later(monkeypatch):
    """Move the cache's clock forward by `seconds`."""
    now = CREDENTIALS.clock()

    def move(seconds: float) -> None:
        monkeypatch.setattr(CREDENTIALS, "clock", lambda: now + seconds)

    return move


def test_a_key_revoked_by_hand_in_the_database_is_refused_within_the_bound(api, world, later):
    key = add_key(api, world.a.members[0].admin.headers, ["clients:read"])
    assert api.get("/v1/me", headers=key.headers).status_code == 200
    _revoke_by_hand(key.id)
    ttl = get_settings().auth_cache_seconds
    later(ttl / 2)
    assert api.get("/v1/me", headers=key.headers).status_code == 200
    later(ttl + 1)
    assert_problem(api.get("/v1/me", headers=key.headers), 401)


def test_with_the_cache_off_every_request_asks_the_database(api, world, monkeypatch):
    monkeypatch.setattr(get_settings(), "auth_cache_seconds", 0)
    key = add_key(api, world.a.members[0].admin.headers, ["clients:read"])
    assert api.get("/v1/me", headers=key.headers).status_code == 200
    _revoke_by_hand(key.id)
    assert_problem(api.get("/v1/me", headers=key.headers), 401)


def test_a_remembered_key_is_refused_once_it_expires(api, world, monkeypatch):
    admin = world.a.members[0].admin.headers
    expires = utcnow() + timedelta(hours=1)
    body = {"name": "short", "scopes": ["clients:read"], "expires_at": expires.isoformat()}
    created = api.post("/v1/api-keys", headers=admin, json=body)
    assert created.status_code == 201, created.text
    headers = {"X-API-Key": created.json()["key"]}
    assert api.get("/v1/me", headers=headers).status_code == 200
    monkeypatch.setattr(auth_service, "utcnow", lambda: expires + timedelta(seconds=1))
    assert_problem(api.get("/v1/me", headers=headers), 401)


def test_a_role_change_applies_to_the_next_request(api, world):
    member = world.a.members[0]
    analyst = member.analyst
    can_submit = {"items": []}
    first = api.post("/v1/experiences/batch", headers=analyst.headers, json=can_submit)
    assert first.status_code != 403, first.text
    response = api.patch(
        f"/v1/users/{analyst.id}", headers=member.admin.headers, json={"role": "viewer"}
    )
    assert response.status_code == 200, response.text
    assert_problem(api.post("/v1/experiences/batch", headers=analyst.headers, json=can_submit), 403)
    # And back: the cache never holds on to the old answer either way.
    response = api.patch(
        f"/v1/users/{analyst.id}", headers=member.admin.headers, json={"role": "credit_analyst"}
    )
    assert response.status_code == 200, response.text
    again = api.post("/v1/experiences/batch", headers=analyst.headers, json=can_submit)
    assert again.status_code != 403, again.text


def test_an_unknown_key_is_never_remembered(api, world):
    before = len(CREDENTIALS)
    for _ in range(3):
        assert_problem(api.get("/v1/me", headers={"X-API-Key": "cpk_nope"}), 401)
    assert len(CREDENTIALS) == before
