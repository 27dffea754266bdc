"""Tokens and API keys: only tokens we signed, still valid, of active people; only keys
that are neither revoked nor expired, of active members, within their scopes."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient
from jose import jwt
from sqlalchemy import update

from app.auth.models import ApiKey
from app.core.config import get_settings
from app.core.db import system_session
from app.core.types import utcnow
from app.deps import require
from tests.foundation.helpers import assert_problem
from tests.world import PASSWORD, add_key, login


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def claims_for(user_id: str, **overrides) -> dict:
    now = int(time.time())
    claims = {"sub": user_id, "iat": now, "exp": now + 600, "typ": "access"}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def test_only_valid_tokens_we_signed_are_accepted(api, world):
    user_id = world.a.members[0].analyst.id
    key = get_settings().signing_key
    good = jwt.encode(claims_for(user_id), key, algorithm="HS256")
    assert api.get("/v1/me", headers=bearer(good)).status_code == 200
    unsigned = _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(claims_for(user_id)) + "."
    refused = {
        "alg none": unsigned,
        "wrong key": jwt.encode(claims_for(user_id), "another-secret-key-xyz", algorithm="HS256"),
        "other algorithm": jwt.encode(claims_for(user_id), key, algorithm="HS512"),
        "expired": jwt.encode(
            claims_for(user_id, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),
            key,
            algorithm="HS256",
        ),
        "no exp": jwt.encode(claims_for(user_id, exp=None), key, algorithm="HS256"),
        "no iat": jwt.encode(claims_for(user_id, iat=None), key, algorithm="HS256"),
        "issued in the future": jwt.encode(
            claims_for(user_id, iat=int(time.time()) + 3600), key, algorithm="HS256"
        ),
        "missing sub": jwt.encode(claims_for(user_id, sub=None), key, algorithm="HS256"),
        "unknown sub": jwt.encode(claims_for("no-such-user"), key, algorithm="HS256"),
        "not an access token": jwt.encode(
            claims_for(user_id, typ="refresh"), key, algorithm="HS256"
        ),
        "malformed": "not-a-jwt",
        "three garbage parts": "abc.def.ghi",
    }
    for name, token in refused.items():
        response = api.get("/v1/me", headers=bearer(token))
        assert response.status_code == 401, name
        assert_problem(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"
    assert_problem(api.get("/v1/me"), 401)
    assert_problem(api.get("/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401)
    assert_problem(api.get("/v1/me", headers={"X-API-Key": "cpk_nope"}), 401)


def test_me_says_who_is_asking(api, world):
    admin = api.get("/v1/me", headers=world.a.admin.headers).json()
    assert admin == {
        "id": world.a.admin.id,
        "email": world.a.admin.email,
        "role": "group_admin",
        "group_id": world.a.id,
        "member_id": None,
    }
    member = world.a.members[0]
    analyst = api.get("/v1/me", headers=member.analyst.headers).json()
    assert set(analyst) == {"id", "email", "role", "group_id", "member_id"}
    assert analyst["member_id"] == member.id
    platform = api.get("/v1/me", headers=world.platform).json()
    assert platform["role"] == "platform_admin" and platform["group_id"] is None
    key = api.get("/v1/me", headers=member.key.headers).json()
    assert set(key) == {"api_key_id", "scopes", "group_id", "member_id"}
    assert key["api_key_id"] == member.key.id and key["group_id"] == world.a.id


def test_a_key_outside_its_scopes_is_refused_with_403(app, api, world):
    # A route of another domain, declared the same way, stands in for a submission.
    from fastapi import APIRouter

    from app.main import create_app

    scratch = create_app()
    router = APIRouter()

    @router.post("/v1/scratch-experiences", dependencies=[Depends(require("experiences:write"))])
    def submit() -> dict:
        return {"ok": True}

    scratch.include_router(router)
    reader = add_key(api, world.a.members[0].admin.headers, ["clients:read"])
    with TestClient(scratch, raise_server_exceptions=False) as client:
        body = assert_problem(client.post("/v1/scratch-experiences", headers=reader.headers), 403)
        assert "scope" in body["detail"]
        writer = world.a.members[0].key.headers
        assert client.post("/v1/scratch-experiences", headers=writer).status_code == 200
        assert_problem(
            client.post("/v1/scratch-experiences", headers=world.a.members[0].viewer.headers), 403
        )


def test_revoked_and_expired_keys_are_refused(api, world):
    admin = world.a.members[0].admin.headers
    revoked = add_key(api, admin, ["clients:read"])
    assert api.get("/v1/me", headers=revoked.headers).status_code == 200
    assert api.delete(f"/v1/api-keys/{revoked.id}", headers=admin).status_code == 204
    assert_problem(api.get("/v1/me", headers=revoked.headers), 401)
    listed = {k["id"]: k for k in api.get("/v1/api-keys", headers=admin).json()["items"]}
    assert listed[revoked.id]["revoked_at"] is not None
    # Revoking again is harmless.
    assert api.delete(f"/v1/api-keys/{revoked.id}", headers=admin).status_code == 204

    expiring = add_key(api, admin, ["clients:read"])
    with system_session() as session:
        session.execute(
            update(ApiKey)
            .where(ApiKey.id == expiring.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()
    assert_problem(api.get("/v1/me", headers=expiring.headers), 401)


def test_key_expiry_must_be_in_the_future_with_a_time_zone(api, world):
    admin = world.a.members[0].admin.headers
    for expires_at in ("2001-01-01T00:00:00Z", "2999-01-01T00:00:00", "soon"):
        body = {"name": "x", "scopes": ["clients:read"], "expires_at": expires_at}
        assert_problem(api.post("/v1/api-keys", headers=admin, json=body), 422, "validation_error")
    body = {"name": "x", "scopes": ["clients:read"], "expires_at": "2999-01-01T00:00:00Z"}
    created = api.post("/v1/api-keys", headers=admin, json=body)
    assert created.status_code == 201
    assert created.json()["expires_at"].startswith("2999-01-01T00:00:00")
    assert set(created.json()) >= {"id", "name", "prefix", "scopes", "key"}
    assert created.json()["key"].startswith(created.json()["prefix"])
    assert "key" not in api.get("/v1/api-keys", headers=admin).json()["items"][0]


def test_a_keys_first_use_is_recorded_even_on_a_writing_request(api, world):
    admin = world.a.members[0].admin.headers
    fresh = add_key(api, admin, ["clients:read"])
    started = time.monotonic()
    # A writing request (DELETE) as the key's very first use: answered at once, no lock wait.
    assert_problem(api.delete(f"/v1/api-keys/{fresh.id}", headers=fresh.headers), 403)
    assert time.monotonic() - started < 5
    listed = {k["id"]: k for k in api.get("/v1/api-keys", headers=admin).json()["items"]}
    assert listed[fresh.id]["last_used_at"] is not None


@pytest.mark.parametrize("via", ["token", "key"])
def test_a_suspended_member_is_locked_out_at_once(api, world, via):
    member = world.a.members[1]
    caller = member.analyst.headers if via == "token" else member.key.headers
    assert api.get("/v1/me", headers=caller).status_code == 200
    suspended = api.patch(
        f"/v1/members/{member.id}", headers=world.a.admin.headers, json={"status": "suspended"}
    )
    assert suspended.json()["status"] == "suspended"
    assert_problem(api.get("/v1/me", headers=caller), 401)
    assert_problem(
        api.post("/v1/auth/token", data={"username": member.analyst.email, "password": PASSWORD}),
        401,
    )
    api.patch(f"/v1/members/{member.id}", headers=world.a.admin.headers, json={"status": "active"})
    assert api.get("/v1/me", headers=caller).status_code == 200


def test_a_disabled_user_is_locked_out_at_once(api, world):
    member = world.a.members[2]
    analyst = member.analyst
    disabled = api.patch(
        f"/v1/users/{analyst.id}", headers=member.admin.headers, json={"disabled": True}
    )
    assert disabled.json()["disabled"] is True
    assert_problem(api.get("/v1/me", headers=analyst.headers), 401)
    assert_problem(
        api.post("/v1/auth/token", data={"username": analyst.email, "password": PASSWORD}), 401
    )
    api.patch(f"/v1/users/{analyst.id}", headers=member.admin.headers, json={"disabled": False})
    assert api.get("/v1/me", headers=analyst.headers).status_code == 200
    assert login(api, analyst.email.upper())  # emails are case-insensitive at login too
