"""No password, password hash or API key secret in any response or any log line of a
whole scenario: people created, logging in (right and wrong), keys issued, used,
listed and revoked, validation errors, and the audit trail read back."""

from __future__ import annotations

import logging

from sqlalchemy import select

from app.auth.models import ApiKey
from app.core.db import system_session
from app.core.logging import JsonFormatter
from app.users.models import User
from tests.foundation.helpers import unique_email
from tests.world import add_group


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


def test_no_secret_in_any_response_or_log_line(api, platform_admin):
    capture = Capture()
    loggers = [logging.getLogger(), logging.getLogger("creditpool")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(capture)
        lg.setLevel(logging.DEBUG)
    bodies: list[str] = []

    def call(method, path, **kw):
        response = api.request(method, path, **kw)
        bodies.append(
            response.text + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        )
        return response

    password = "S3cret-Passw0rd-" + unique_email()[:6]
    try:
        group = add_group(api, platform_admin, 1)
        admin = group.members[0].admin.headers
        email = unique_email("secret")
        created = call(
            "POST",
            "/v1/users",
            headers=admin,
            json={"email": email, "password": password, "role": "credit_analyst"},
        )
        assert created.status_code == 201
        call("POST", "/v1/auth/token", data={"username": email, "password": password + "x"})
        token = call("POST", "/v1/auth/token", data={"username": email, "password": password})
        assert token.status_code == 200
        call(
            "POST",
            "/v1/users",
            headers=admin,
            json={"email": email, "password": password, "role": "viewer"},
        )
        call(
            "POST",
            "/v1/users",
            headers=admin,
            json={"email": "bad", "password": password, "role": "x"},
        )
        key_response = call(
            "POST", "/v1/api-keys", headers=admin, json={"name": "erp", "scopes": ["clients:read"]}
        )
        key = key_response.json()["key"]
        call("GET", "/v1/me", headers={"X-API-Key": key})
        call("GET", "/v1/api-keys", headers=admin)
        call("GET", "/v1/users", headers=admin)
        call("DELETE", f"/v1/api-keys/{key_response.json()['id']}", headers=admin)
        call("GET", "/v1/me", headers={"X-API-Key": key})
        call("GET", "/v1/audit-events", headers=group.admin.headers, params={"limit": 500})
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(capture)
            lg.setLevel(level)

    with system_session() as session:
        password_hash = session.execute(
            select(User.password_hash).where(User.email == email)
        ).scalar_one()
        key_hash = session.execute(
            select(ApiKey.key_hash).where(ApiKey.id == key_response.json()["id"])
        ).scalar_one()
    key_secret = key[len(key_response.json()["prefix"]) :]
    assert capture.lines, "nothing was logged: the capture is not working"
    secrets = {"password": password, "hash": password_hash, "key": key_secret, "key hash": key_hash}
    # The key itself appears once: in the response that created it.
    bodies.remove(next(b for b in bodies if key in b))
    for name, secret in secrets.items():
        for text in bodies:
            assert secret not in text, f"{name} in a response: {text[:300]}"
        for line in capture.lines:
            assert secret not in line, f"{name} in a log line: {line[:300]}"
