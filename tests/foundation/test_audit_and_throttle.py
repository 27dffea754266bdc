"""The audit trail (group admins only, newest first, by cursor, filterable) and the
failed-login throttle (429 with Retry-After, per account)."""

from __future__ import annotations

from tests.foundation.helpers import assert_problem, unique_email
from tests.world import PASSWORD, add_key, login


def test_the_audit_trail_records_who_did_what(api, world):
    a = world.a
    member = a.members[0]
    api.post(
        "/v1/auth/token", data={"username": member.analyst.email, "password": "wrong-password"}
    )
    login(api, member.analyst.email)
    key = add_key(api, member.admin.headers, ["clients:read"])
    api.delete(f"/v1/api-keys/{key.id}", headers=member.admin.headers)
    api.patch(
        f"/v1/users/{member.viewer.id}", headers=member.admin.headers, json={"disabled": True}
    )
    api.patch(
        f"/v1/members/{a.members[1].id}", headers=a.admin.headers, json={"status": "suspended"}
    )
    api.patch(
        f"/v1/groups/{a.id}", headers=a.admin.headers, json={"settings": {"lookback_months": 6}}
    )

    events = api.get("/v1/audit-events", headers=a.admin.headers, params={"limit": 500}).json()[
        "items"
    ]
    actions = [e["action"] for e in events]
    for expected in (
        "group.created",
        "member.created",
        "user.created",
        "auth.login",
        "auth.login_failed",
        "api_key.created",
        "api_key.revoked",
        "user.updated",
        "member.suspended",
        "group.settings_changed",
    ):
        assert expected in actions, expected
    assert set(events[0]) == {"id", "at", "actor", "action", "resource", "detail"}
    times = [e["at"] for e in events]
    assert times == sorted(times, reverse=True), "newest first"
    assert events[0]["action"] == "group.settings_changed"
    assert events[0]["detail"]["lookback_months"] == {"from": 12, "to": 6}
    failed = next(e for e in events if e["action"] == "auth.login_failed")
    assert failed["actor"] == f"user:{member.analyst.email}"
    revoked = next(e for e in events if e["action"] == "api_key.revoked")
    assert revoked["resource"] == f"api_key/{key.id}"
    assert revoked["actor"] == f"user:{member.admin.email}"

    # Filters.
    only = api.get(
        "/v1/audit-events", headers=a.admin.headers, params={"action": "api_key.revoked"}
    ).json()
    assert [e["resource"] for e in only["items"]] == [f"api_key/{key.id}"]
    about = api.get(
        "/v1/audit-events", headers=a.admin.headers, params={"resource": f"user/{member.viewer.id}"}
    ).json()["items"]
    assert {e["action"] for e in about} == {"user.created", "auth.login", "user.updated"}

    by_admin = api.get(
        "/v1/audit-events", headers=a.admin.headers, params={"actor": f"user:{member.admin.email}"}
    ).json()["items"]
    assert by_admin and {e["actor"] for e in by_admin} == {f"user:{member.admin.email}"}

    # Cursor pagination walks the whole trail once, in the same order.
    walked, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.get("/v1/audit-events", headers=a.admin.headers, params=params).json()
        assert len(page["items"]) <= 3
        walked += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert walked == [e["id"] for e in events]

    # Group admins only; keys never.
    for outsider in (
        member.admin.headers,
        member.analyst.headers,
        member.key.headers,
        world.platform,
    ):
        assert_problem(api.get("/v1/audit-events", headers=outsider), 403)
    for bad in ({"limit": 501}, {"limit": -1}, {"cursor": "not-a-cursor"}, {"cursor": "W10"}):
        assert_problem(api.get("/v1/audit-events", headers=a.admin.headers, params=bad), 422)


def test_repeated_failed_logins_are_throttled_per_account(api, world):
    headers = world.a.members[0].admin.headers
    email = unique_email("throttled")
    created = api.post(
        "/v1/users", headers=headers, json={"email": email, "password": PASSWORD, "role": "viewer"}
    )
    assert created.status_code == 201
    # A success before the limit clears the count.
    for _ in range(3):
        assert (
            api.post(
                "/v1/auth/token", data={"username": email, "password": "nope-nope-nope"}
            ).status_code
            == 401
        )
    login(api, email)
    for _ in range(5):
        wrong = api.post("/v1/auth/token", data={"username": email, "password": "nope-nope-nope"})
        assert_problem(wrong, 401, "unauthorized")
    throttled = api.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert_problem(throttled, 429, "too_many_requests")
    assert int(throttled.headers["retry-after"]) >= 1
    # Same email in another case: the same account.
    assert (
        api.post(
            "/v1/auth/token", data={"username": email.upper(), "password": PASSWORD}
        ).status_code
        == 429
    )
    # Other accounts are not affected.
    assert login(api, world.a.members[0].viewer.email)
    # Unknown accounts are throttled the same way (no hint about which emails exist).
    ghost = unique_email("ghost")
    statuses = [
        api.post("/v1/auth/token", data={"username": ghost, "password": "whatever-123"}).status_code
        for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]


def test_login_answers(api, world):
    analyst = world.a.members[0].analyst
    ok = api.post("/v1/auth/token", data={"username": analyst.email, "password": PASSWORD})
    body = ok.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 60 * 60
    assert_problem(api.post("/v1/auth/token", data={"username": analyst.email}), 422)
    assert_problem(
        api.post("/v1/auth/token", json={"username": analyst.email, "password": PASSWORD}), 422
    )
