"""Building a world of groups, members, people and keys through the public API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

PASSWORD = "correct-horse-battery"
ALL_SCOPES = [
    "experiences:write",
    "legal_actions:write",
    "fraud_reports:write",
    "clients:read",
    "profiles:read",
    "alerts:read",
]


@dataclass
class Actor:
    headers: dict[str, str]
    id: str
    email: str | None = None
    member_id: str | None = None
    role: str | None = None


@dataclass
class MemberWorld:
    id: str
    name: str
    admin: Actor
    analyst: Actor
    viewer: Actor
    key: Actor  # an API key with every scope


@dataclass
class GroupWorld:
    id: str
    slug: str
    admin: Actor
    members: list[MemberWorld] = field(default_factory=list)


@dataclass
class World:
    platform: dict[str, str]
    a: GroupWorld
    b: GroupWorld


def _check(response, status: int = 201) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def login(api, email: str, password: str = PASSWORD) -> dict[str, str]:
    body = _check(api.post("/v1/auth/token", data={"username": email, "password": password}), 200)
    return {"Authorization": f"Bearer {body['access_token']}"}


def add_user(api, headers, email: str, role: str, member_id: str | None) -> Actor:
    body = {"email": email, "password": PASSWORD, "role": role}
    if member_id:
        body["member_id"] = member_id
    user = _check(api.post("/v1/users", headers=headers, json=body))
    return Actor(login(api, email), user["id"], email, member_id, role)


def add_key(api, headers, scopes: list[str], name: str = "erp") -> Actor:
    key = _check(api.post("/v1/api-keys", headers=headers, json={"name": name, "scopes": scopes}))
    return Actor({"X-API-Key": key["key"]}, key["id"], None, key["member_id"], None)


def add_member(api, group: GroupWorld, name: str) -> MemberWorld:
    tag = uuid.uuid4().hex[:8]
    member = _check(api.post("/v1/members", headers=group.admin.headers, json={"name": name}))
    admin = add_user(
        api, group.admin.headers, f"admin-{tag}@member.example.com", "member_admin", member["id"]
    )
    analyst = add_user(
        api, admin.headers, f"analyst-{tag}@member.example.com", "credit_analyst", member["id"]
    )
    viewer = add_user(
        api, admin.headers, f"viewer-{tag}@member.example.com", "viewer", member["id"]
    )
    key = add_key(api, admin.headers, ALL_SCOPES)
    world_member = MemberWorld(member["id"], name, admin, analyst, viewer, key)
    group.members.append(world_member)
    return world_member


def add_group(api, platform: dict[str, str], members: int, **settings) -> GroupWorld:
    tag = uuid.uuid4().hex[:10]
    email = f"groupadmin-{tag}@group.example.com"
    body = {
        "name": f"Group {tag}",
        "slug": f"g-{tag}",
        "admin": {"email": email, "password": PASSWORD},
    }
    if settings:
        body["settings"] = settings
    group = _check(api.post("/v1/groups", headers=platform, json=body))
    admin_headers = login(api, email)
    me = _check(api.get("/v1/me", headers=admin_headers), 200)
    world_group = GroupWorld(
        group["id"], group["slug"], Actor(admin_headers, me["id"], email, None, "group_admin")
    )
    for i in range(members):
        add_member(api, world_group, f"Member {i + 1} {tag}")
    return world_group


def build_world(api, platform: dict[str, str]) -> World:
    return World(platform, add_group(api, platform, 3), add_group(api, platform, 1))
