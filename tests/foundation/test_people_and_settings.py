"""Users, members and group settings: who may create and change whom, and bodies that
try to smuggle in a group, a role, a member or an id."""

from __future__ import annotations

import uuid

from app.groups.schemas import DEFAULT_ANTITRUST_NOTICE
from tests.foundation.helpers import assert_problem, unique_email
from tests.world import PASSWORD, login


def user_body(**fields) -> dict:
    body = {"email": unique_email(), "password": PASSWORD, "role": "viewer"}
    body.update(fields)
    return body


def test_bodies_cannot_smuggle_a_group_a_role_a_member_or_an_id(api, module_world):
    a, b = module_world.a, module_world.b
    member = a.members[0]
    smuggled = [
        ("POST", "/v1/members", a.admin.headers, {"name": "X", "group_id": b.id}),
        ("POST", "/v1/members", a.admin.headers, {"name": "X", "id": "mine"}),
        ("POST", "/v1/users", member.admin.headers, user_body(group_id=b.id)),
        ("POST", "/v1/users", member.admin.headers, user_body(id="chosen-id")),
        ("POST", "/v1/users", member.admin.headers, user_body(disabled=False, is_admin=True)),
        (
            "PATCH",
            f"/v1/users/{member.analyst.id}",
            member.admin.headers,
            {"member_id": a.members[1].id},
        ),
        ("PATCH", f"/v1/users/{member.analyst.id}", member.admin.headers, {"group_id": b.id}),
        ("PATCH", f"/v1/users/{member.analyst.id}", member.admin.headers, {"email": "x@y.com"}),
        (
            "POST",
            "/v1/api-keys",
            member.admin.headers,
            {"name": "k", "scopes": ["clients:read"], "member_id": a.members[1].id},
        ),
        ("POST", "/v1/api-keys", member.admin.headers, {"name": "k", "scopes": ["admin"]}),
        ("POST", "/v1/api-keys", member.admin.headers, {"name": "k", "scopes": []}),
        ("PATCH", f"/v1/groups/{a.id}", a.admin.headers, {"slug": "taken"}),
        ("PATCH", f"/v1/groups/{a.id}", a.admin.headers, {"currency": "EUR"}),
        ("PATCH", f"/v1/members/{member.id}", a.admin.headers, {"group_id": b.id}),
    ]
    for method, path, headers, body in smuggled:
        assert_problem(
            api.request(method, path, headers=headers, json=body), 422, "validation_error"
        )
    escalations = [
        ("POST", "/v1/users", member.admin.headers, user_body(role="group_admin")),
        ("POST", "/v1/users", member.admin.headers, user_body(role="platform_admin")),
        ("POST", "/v1/users", a.admin.headers, user_body(role="platform_admin")),
        ("POST", "/v1/users", member.analyst.headers, user_body(role="viewer")),
        ("PATCH", f"/v1/users/{member.analyst.id}", member.admin.headers, {"role": "group_admin"}),
        ("PATCH", f"/v1/users/{member.admin.id}", member.admin.headers, {"role": "viewer"}),
        ("PATCH", f"/v1/users/{a.admin.id}", a.admin.headers, {"disabled": True}),
        (
            "POST",
            "/v1/groups",
            a.admin.headers,
            {"name": "x", "slug": "x-x", "admin": {"email": unique_email(), "password": PASSWORD}},
        ),
    ]
    for method, path, headers, body in escalations:
        assert_problem(api.request(method, path, headers=headers, json=body), 403, "forbidden")
    assert api.get("/v1/me", headers=member.analyst.headers).json()["role"] == "credit_analyst"
    assert api.get("/v1/me", headers=member.admin.headers).json()["role"] == "member_admin"
    assert api.get("/v1/me", headers=a.admin.headers).status_code == 200


def test_who_may_create_whom(api, world):
    a = world.a
    member = a.members[0]
    # A member admin creates member roles for its own member (member_id may be left out).
    for role in ("member_admin", "credit_analyst", "viewer"):
        created = api.post("/v1/users", headers=member.admin.headers, json=user_body(role=role))
        assert created.status_code == 201, created.text
        assert created.json()["member_id"] == member.id
        assert created.json()["role"] == role
    # A group admin creates any role of its group but platform_admin.
    second_admin = api.post(
        "/v1/users", headers=a.admin.headers, json=user_body(role="group_admin")
    )
    assert second_admin.status_code == 201
    assert second_admin.json()["member_id"] is None
    analyst = api.post(
        "/v1/users",
        headers=a.admin.headers,
        json=user_body(role="credit_analyst", member_id=a.members[1].id),
    )
    assert analyst.status_code == 201
    # Member roles need a member; group admins belong to none.
    assert_problem(
        api.post("/v1/users", headers=a.admin.headers, json=user_body(role="viewer")), 422
    )
    assert_problem(
        api.post(
            "/v1/users",
            headers=a.admin.headers,
            json=user_body(role="group_admin", member_id=member.id),
        ),
        422,
    )
    assert_problem(
        api.patch(
            f"/v1/users/{member.analyst.id}", headers=a.admin.headers, json={"role": "group_admin"}
        ),
        422,
    )
    # A group admin changes roles inside a member.
    changed = api.patch(
        f"/v1/users/{member.viewer.id}", headers=a.admin.headers, json={"role": "credit_analyst"}
    )
    assert changed.status_code == 200 and changed.json()["role"] == "credit_analyst"
    assert api.get("/v1/me", headers=member.viewer.headers).json()["role"] == "credit_analyst"


def test_emails_are_unique_case_insensitively_and_passwords_long(api, module_world):
    headers = module_world.a.members[0].admin.headers
    email = unique_email("Mixed.Case")
    created = api.post("/v1/users", headers=headers, json=user_body(email=email))
    assert created.status_code == 201
    assert created.json()["email"] == email.lower()
    assert_problem(
        api.post("/v1/users", headers=headers, json=user_body(email=email.upper())), 409, "conflict"
    )
    # The same email in another group is still taken: logins are global.
    assert_problem(
        api.post(
            "/v1/users",
            headers=module_world.b.members[0].admin.headers,
            json=user_body(email=email),
        ),
        409,
    )
    short = api.post("/v1/users", headers=headers, json=user_body(password="elevenchars"))
    body = assert_problem(short, 422, "validation_error")
    assert body["errors"][0]["loc"] == ["body", "password"]
    # Passwords are taken exactly as typed, spaces included.
    spaced = "  twelve chars and spaces  "
    user = api.post("/v1/users", headers=headers, json=user_body(password=spaced)).json()
    assert login(api, user["email"], spaced)
    assert_problem(
        api.post("/v1/users", headers=headers, json=user_body(email="not-an-email")), 422
    )


def test_group_settings_have_the_contract_defaults_and_are_validated(api, world):
    tag = uuid.uuid4().hex[:8]
    created = api.post(
        "/v1/groups",
        headers=world.platform,
        json={
            "name": "Settings",
            "slug": f"s-{tag}",
            "admin": {"email": unique_email(), "password": PASSWORD},
        },
    )
    assert created.status_code == 201
    group = created.json()
    assert set(group) == {"id", "name", "slug", "currency", "settings"}
    assert group["currency"] == "USD"
    assert group["settings"] == {
        "min_contributors": 3,
        "reciprocity_days": 90,
        "lookback_months": 12,
        "dominance_share": None,
        "p_percent": None,
        "antitrust_notice": DEFAULT_ANTITRUST_NOTICE,
    }
    path = f"/v1/groups/{world.a.id}"
    headers = world.a.admin.headers
    for bad in (
        {"dominance_share": 0.5},
        {"dominance_share": 1.01},
        {"p_percent": 0},
        {"p_percent": 100.5},
        {"min_contributors": None},
        {"min_contributors": 0},
        {"reciprocity_days": -1},
        {"lookback_months": 0},
        {"unknown_setting": 1},
    ):
        assert_problem(api.patch(path, headers=headers, json={"settings": bad}), 422)
    changed = api.patch(
        path, headers=headers, json={"settings": {"dominance_share": 0.8, "reciprocity_days": 0}}
    )
    assert changed.status_code == 200
    assert changed.json()["settings"]["dominance_share"] == 0.8
    assert changed.json()["settings"]["reciprocity_days"] == 0
    assert changed.json()["settings"]["min_contributors"] == 3  # untouched
    off = api.patch(path, headers=headers, json={"settings": {"dominance_share": None}})
    assert off.json()["settings"]["dominance_share"] is None
    # Slugs are unique; bad slugs and currencies are refused.
    again = {
        "name": "x",
        "slug": f"s-{tag}",
        "admin": {"email": unique_email(), "password": PASSWORD},
    }
    assert_problem(api.post("/v1/groups", headers=world.platform, json=again), 409)
    for bad in ({"slug": "Has Spaces"}, {"currency": "usd"}, {"currency": "EURO"}):
        body = {**again, "slug": f"t-{uuid.uuid4().hex[:8]}", **bad}
        assert_problem(api.post("/v1/groups", headers=world.platform, json=body), 422)
    # The platform admin reads and changes any group's settings, and no group data.
    assert api.get(path, headers=world.platform).status_code == 200
    assert api.get("/v1/members", headers=world.platform).json()["items"] == []
    assert api.get("/v1/audit-events", headers=world.platform).status_code == 403


def test_members_are_created_renamed_suspended_and_reactivated(api, module_world):
    headers = module_world.a.admin.headers
    created = api.post(
        "/v1/members",
        headers=headers,
        json={"name": "Delta Steel", "industry": "steel", "country": "US"},
    )
    assert created.status_code == 201
    member = created.json()
    assert member["status"] == "active" and member["name"] == "Delta Steel"
    assert_problem(api.post("/v1/members", headers=headers, json={"name": ""}), 422)
    assert_problem(
        api.post("/v1/members", headers=headers, json={"name": "X", "country": "usa"}), 422
    )
    assert_problem(
        api.patch(f"/v1/members/{member['id']}", headers=headers, json={"status": "gone"}), 422
    )
    renamed = api.patch(
        f"/v1/members/{member['id']}", headers=headers, json={"name": "Delta Steel Co"}
    )
    assert renamed.json()["name"] == "Delta Steel Co"
    suspended = api.patch(
        f"/v1/members/{member['id']}", headers=headers, json={"status": "suspended"}
    ).json()
    assert suspended["status"] == "suspended"
    listed = api.get("/v1/members", headers=headers, params={"status": "suspended"}).json()
    assert [m["id"] for m in listed["items"]] == [member["id"]]
    assert_problem(api.patch("/v1/members/no-such-member", headers=headers, json={}), 404)
