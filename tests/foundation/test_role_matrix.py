"""The role matrix: every role and key of the contract against every route of the
foundation, each either allowed (2xx) or refused with 403."""

from __future__ import annotations

import uuid

import pytest

from tests.foundation.helpers import assert_problem, unique_email
from tests.world import PASSWORD, add_key, build_world

ACTORS = [
    "platform_admin",
    "group_admin",
    "member_admin",
    "credit_analyst",
    "viewer",
    "key_all_scopes",
    "key_read_only",
]


@pytest.fixture(scope="module")
def world(api, platform_admin):
    w = build_world(api, platform_admin)
    w.read_key = add_key(api, w.a.members[0].admin.headers, ["clients:read"], "reader")
    return w


def headers_of(world, actor: str) -> dict[str, str]:
    member = world.a.members[0]
    return {
        "platform_admin": world.platform,
        "group_admin": world.a.admin.headers,
        "member_admin": member.admin.headers,
        "credit_analyst": member.analyst.headers,
        "viewer": member.viewer.headers,
        "key_all_scopes": member.key.headers,
        "key_read_only": world.read_key.headers,
    }[actor]


def fresh_key_id(api, world) -> str:
    created = api.post(
        "/v1/api-keys",
        headers=world.a.members[0].admin.headers,
        json={"name": "to revoke", "scopes": ["clients:read"]},
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]


def new_group_body():
    tag = uuid.uuid4().hex[:10]
    return {
        "name": tag,
        "slug": f"m-{tag}",
        "admin": {"email": unique_email(), "password": PASSWORD},
    }


# route: (method, path, body builder, roles allowed)
ROUTES = {
    "GET /v1/me": ("GET", lambda w: "/v1/me", None, set(ACTORS)),
    "POST /v1/groups": ("POST", lambda w: "/v1/groups", new_group_body, {"platform_admin"}),
    "GET /v1/groups/{id}": (
        "GET",
        lambda w: f"/v1/groups/{w.a.id}",
        None,
        {"platform_admin", "group_admin"},
    ),
    "PATCH /v1/groups/{id}": (
        "PATCH",
        lambda w: f"/v1/groups/{w.a.id}",
        lambda: {"settings": {"min_contributors": 3}},
        {"platform_admin", "group_admin"},
    ),
    "POST /v1/members": (
        "POST",
        lambda w: "/v1/members",
        lambda: {"name": "New Member " + uuid.uuid4().hex[:6]},
        {"group_admin"},
    ),
    # Everyone may list; non-admins see their own member only (tested elsewhere).
    "GET /v1/members": ("GET", lambda w: "/v1/members", None, set(ACTORS)),
    "PATCH /v1/members/{id}": (
        "PATCH",
        lambda w: f"/v1/members/{w.a.members[1].id}",
        lambda: {"industry": "lumber"},
        {"group_admin"},
    ),
    "POST /v1/users": (
        "POST",
        lambda w: "/v1/users",
        None,  # built per world below (needs the member id)
        {"group_admin", "member_admin"},
    ),
    "GET /v1/users": ("GET", lambda w: "/v1/users", None, {"group_admin", "member_admin"}),
    "PATCH /v1/users/{id}": (
        "PATCH",
        lambda w: f"/v1/users/{w.a.members[0].viewer.id}",
        lambda: {"disabled": False},
        {"group_admin", "member_admin"},
    ),
    "POST /v1/api-keys": (
        "POST",
        lambda w: "/v1/api-keys",
        lambda: {"name": "erp", "scopes": ["clients:read"]},
        {"member_admin"},
    ),
    "GET /v1/api-keys": ("GET", lambda w: "/v1/api-keys", None, {"group_admin", "member_admin"}),
    "DELETE /v1/api-keys/{id}": ("DELETE", None, None, {"group_admin", "member_admin"}),
    "GET /v1/audit-events": ("GET", lambda w: "/v1/audit-events", None, {"group_admin"}),
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_each_role_is_allowed_or_refused_with_403(api, world, route):
    method, path_of, body_of, allowed = ROUTES[route]
    outcomes = {}
    for actor in ACTORS:
        if route == "DELETE /v1/api-keys/{id}":
            path = f"/v1/api-keys/{fresh_key_id(api, world)}"
        else:
            path = path_of(world)
        body = body_of() if body_of else None
        if route == "POST /v1/users":
            body = {
                "email": unique_email(),
                "password": PASSWORD,
                "role": "viewer",
                "member_id": world.a.members[0].id,
            }
        response = api.request(method, path, headers=headers_of(world, actor), json=body)
        if actor in allowed:
            outcomes[actor] = "ok" if 200 <= response.status_code < 300 else response.text
        else:
            assert_problem(response, 403, "forbidden")
            outcomes[actor] = "403"
    wrong = {a: o for a, o in outcomes.items() if a in allowed and o != "ok"}
    assert not wrong, f"{route}: allowed roles were refused: {wrong}"


def test_every_kind_of_person_logs_in(api, world):
    for actor in ("group_admin", "member_admin", "credit_analyst", "viewer"):
        assert api.get("/v1/me", headers=headers_of(world, actor)).json()["role"] == actor
