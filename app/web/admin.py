"""Group administration pages: /members, /users (group admins: the group; member admins:
their member), /settings and /audit. Each calls the service the API's route calls."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import Form, Query, Request

from app.audit import service as audit_service
from app.auth.principal import Principal, Role
from app.core.pagination import PageParams
from app.deps import SessionDep
from app.groups import service as groups_service
from app.groups.schemas import GroupPatch, GroupSettingsPatch
from app.members import service as members_service
from app.members.schemas import MemberCreate, MemberPatch
from app.users import service as users_service
from app.users.schemas import UserCreate, UserPatch
from app.web.clients import checked, decimal_number, whole_number
from app.web.pages import redirect, render, router_for
from app.web.session import may

router = router_for()

MemberAdmin = Annotated[Principal, may("members:write")]
UserReader = Annotated[Principal, may("users:read")]
UserWriter = Annotated[Principal, may("users:write")]
SettingsAdmin = Annotated[Principal, may("groups:write")]
Auditor = Annotated[Principal, may("audit:read")]

MEMBER_ROLES = [Role.member_admin, Role.credit_analyst, Role.viewer]


@router.get("/members")
def members_page(request: Request, principal: MemberAdmin, session: SessionDep):
    members, _ = members_service.list_members(session, principal, PageParams(limit=500))
    return render(request, "members.html", {"members": members})


@router.post("/members")
def add_member(
    principal: MemberAdmin,
    session: SessionDep,
    name: Annotated[str, Form()],
    industry: Annotated[str, Form()] = "",
    country: Annotated[str, Form()] = "",
):
    body = checked(
        MemberCreate, name=name.strip(), industry=industry.strip(), country=country.strip().upper()
    )
    members_service.create(session, principal, body)
    return redirect("/members?done=member_added")


@router.post("/members/{member_id}")
def change_member(
    member_id: str,
    principal: MemberAdmin,
    session: SessionDep,
    status: Annotated[str, Form()],
):
    body = checked(MemberPatch, status=status)
    members_service.update(session, principal, member_id[:64], body)
    return redirect("/members?done=member_updated")


def _grantable(principal: Principal) -> list[Role]:
    if principal.is_group_admin:
        return [Role.group_admin, *MEMBER_ROLES]
    return MEMBER_ROLES


@router.get("/users")
def users_page(request: Request, principal: UserReader, session: SessionDep):
    users, _ = users_service.list_users(session, principal, PageParams(limit=500))
    members = []
    if principal.is_group_admin:
        members, _ = members_service.list_members(session, principal, PageParams(limit=500))
    context = {
        "users": users,
        "members": members,
        "member_names": {m.id: m.name for m in members},
        "roles": _grantable(principal),
        "can_write": principal.can("users:write"),
    }
    return render(request, "users.html", context)


@router.post("/users")
def add_user(
    principal: UserWriter,
    session: SessionDep,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()],
    member_id: Annotated[str, Form()] = "",
):
    body = checked(
        UserCreate, email=email.strip(), password=password, role=role, member_id=member_id
    )
    users_service.create(session, principal, body)
    return redirect("/users?done=user_added")


@router.post("/users/{user_id}")
def change_user(
    user_id: str,
    principal: UserWriter,
    session: SessionDep,
    role: Annotated[str, Form()] = "",
    disabled: Annotated[str, Form()] = "",
):
    fields: dict = {"role": role}
    if disabled in ("true", "false"):
        fields["disabled"] = disabled == "true"
    users_service.update(session, principal, user_id[:64], checked(UserPatch, **fields))
    return redirect("/users?done=user_updated")


SETTINGS = [
    (
        "min_contributors",
        "Minimum contributors",
        "Fewer members than this on a client: its figures are withheld.",
    ),
    (
        "reciprocity_days",
        "Reciprocity (days)",
        "A member that submitted nothing for this long may not read profiles; 0 turns it off.",
    ),
    ("lookback_months", "Lookback (months)", "How far back a member's latest line counts."),
    (
        "dominance_share",
        "Dominance share (optional)",
        "Withhold when one member holds more than this share of what is owed (over 0.5, "
        "up to 1); empty: off.",
    ),
    (
        "p_percent",
        "p% rule (optional)",
        "Withhold when the second-largest member could estimate the largest within p%; empty: off.",
    ),
]


@router.get("/settings")
def settings_page(request: Request, principal: SettingsAdmin, session: SessionDep):
    group = groups_service.get(session, principal, principal.group_id or "", "groups:write")
    values = groups_service.effective_settings(group).model_dump()
    return render(request, "settings.html", {"group": group, "values": values, "fields": SETTINGS})


@router.post("/settings")
def save_settings(
    principal: SettingsAdmin,
    session: SessionDep,
    min_contributors: Annotated[str, Form()],
    reciprocity_days: Annotated[str, Form()],
    lookback_months: Annotated[str, Form()],
    dominance_share: Annotated[str, Form()] = "",
    p_percent: Annotated[str, Form()] = "",
):
    changes = checked(
        GroupSettingsPatch,
        min_contributors=whole_number(min_contributors),
        reciprocity_days=whole_number(reciprocity_days),
        lookback_months=whole_number(lookback_months),
    ).model_dump(exclude_unset=True)
    # An emptied optional rule is turned off (null), which the patch says explicitly.
    optional = {"dominance_share": dominance_share, "p_percent": p_percent}
    optional = {name: decimal_number(value) for name, value in optional.items()}
    for name, value in optional.items():
        changes[name] = checked(GroupSettingsPatch, **{name: value}).model_dump()[name]
    body = GroupPatch(settings=GroupSettingsPatch(**changes))
    groups_service.update(session, principal, principal.group_id or "", body)
    return redirect("/settings?done=settings_saved")


@router.get("/audit")
def audit_page(
    request: Request,
    principal: Auditor,
    session: SessionDep,
    action: Annotated[str, Query(max_length=100)] = "",
    cursor: Annotated[str, Query(max_length=512)] = "",
):
    events, next_cursor = audit_service.list_events(
        session, PageParams(limit=100, cursor=cursor or None), action=action or None
    )
    rows = [
        {"event": e, "detail": json.dumps(e.detail, default=str, sort_keys=True)} for e in events
    ]
    context = {"rows": rows, "action": action, "next_cursor": next_cursor}
    return render(request, "audit.html", context)
