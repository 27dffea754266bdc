"""PATCH /v1/me: a person changes their own password; their other sessions end."""

from __future__ import annotations

from tests.world import PASSWORD, login

NEW = "a-brand-new-password-42"


def change(api, headers, body, status: int = 204):
    response = api.patch("/v1/me", headers=headers, json=body)
    assert response.status_code == status, response.text
    return response


def test_the_new_password_logs_in_and_the_old_one_no_longer_does(api, world):
    analyst = world.a.members[0].analyst
    change(api, analyst.headers, {"current_password": PASSWORD, "new_password": NEW})
    assert api.get("/v1/me", headers=login(api, analyst.email, NEW)).status_code == 200
    refused = api.post("/v1/auth/token", data={"username": analyst.email, "password": PASSWORD})
    assert refused.status_code == 401


def test_the_users_other_tokens_stop_working_and_the_one_used_keeps_working(api, world):
    analyst = world.a.members[0].analyst
    other_session = login(api, analyst.email)
    assert api.get("/v1/me", headers=other_session).status_code == 200  # cached meanwhile
    change(api, analyst.headers, {"current_password": PASSWORD, "new_password": NEW})
    gone = api.get("/v1/me", headers=other_session)
    assert gone.status_code == 401 and gone.json()["code"] == "unauthorized"
    assert api.get("/v1/me", headers=analyst.headers).status_code == 200
    assert api.get("/v1/me", headers=login(api, analyst.email, NEW)).status_code == 200
    # Another change ends the session that made the first one, if it is not the one used.
    newest = login(api, analyst.email, NEW)
    change(api, newest, {"current_password": NEW, "new_password": NEW + "!"})
    assert api.get("/v1/me", headers=analyst.headers).status_code == 401
    assert api.get("/v1/me", headers=newest).status_code == 200


def test_a_wrong_current_password_is_403_and_changes_nothing(api, world):
    analyst = world.a.members[0].analyst
    response = change(
        api, analyst.headers, {"current_password": "not-the-password", "new_password": NEW}, 403
    )
    assert response.json()["code"] == "forbidden"
    assert api.get("/v1/me", headers=login(api, analyst.email)).status_code == 200
    assert api.get("/v1/me", headers=analyst.headers).status_code == 200


def test_bad_bodies_are_422_and_change_nothing(api, world):
    analyst = world.a.members[0].analyst
    for body in (
        {},
        {"current_password": PASSWORD},
        {"new_password": NEW},
        {"current_password": PASSWORD, "new_password": "short"},
        {"current_password": PASSWORD, "new_password": "x" * 257},
        {"current_password": PASSWORD, "new_password": PASSWORD},
        {"current_password": PASSWORD, "new_password": NEW, "role": "group_admin"},
        {"current_password": PASSWORD, "new_password": 123456789012},
    ):
        assert change(api, analyst.headers, body, 422).json()["code"] == "validation_error"
    assert api.get("/v1/me", headers=login(api, analyst.email)).status_code == 200


def test_api_keys_have_no_password_and_platform_admins_have_one(api, world):
    key = world.a.members[0].key
    change(api, key.headers, {"current_password": PASSWORD, "new_password": NEW}, 403)
    anonymous = api.patch("/v1/me", json={"current_password": PASSWORD, "new_password": NEW})
    assert anonymous.status_code == 401
    # The platform admin belongs to no group, and changes its password all the same (and
    # back: the token used is kept, and the session's other tests go on with it).
    current = "platform-password-1"
    change(api, world.platform, {"current_password": current, "new_password": NEW})
    change(api, world.platform, {"current_password": NEW, "new_password": current})


def test_the_change_is_in_the_audit_trail(api, world):
    analyst = world.a.members[0].analyst
    change(api, analyst.headers, {"current_password": PASSWORD, "new_password": NEW})
    events = api.get(
        "/v1/audit-events", headers=world.a.admin.headers, params={"limit": 500}
    ).json()["items"]
    assert any(
        e["action"] == "user.password_changed" and e["resource"] == f"user/{analyst.id}"
        for e in events
    )
