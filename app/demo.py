"""`creditpool demo`: a demo group that shows what the product does.

Idempotent: run it again and it prints the same logins (and a fresh API key); the
history is upserted on (member, client, month end), so it is the same history again.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session
from sqlmodel import select

from app.accounts import keys
from app.accounts.schemas import ApiKeyCreate
from app.alerts.events import EVENT_TYPES
from app.auth.models import ApiKey
from app.auth.principal import Principal, Role
from app.core.db import system_session
from app.core.security import hash_password, new_webhook_secret
from app.core.types import today
from app.groups.models import Group
from app.groups.schemas import GroupSettings
from app.members.models import Member
from app.tenancy.session import group_session
from app.users.models import User
from app.users.service import email_registered
from app.webhooks.models import Webhook

DEMO_SLUG = "demo-building-supply"
DEMO_PASSWORD = "demo-password-2026"
PLATFORM_ADMIN = "admin@creditpool.demo"
GROUP_ADMIN = "groupadmin@creditpool.demo"
MEMBERS = [
    ("Northwind Lumber", "lumber", "US", "northwind"),
    ("Acme Fasteners", "hardware", "US", "acme"),
    ("Bluewater Pipe & Supply", "plumbing", "US", "bluewater"),
]


@dataclass
class DemoWorld:
    group: Group
    members: list[Member]
    member_admins: list[User]


def _user(session: Session, email: str, role: Role, group_id=None, member_id=None) -> User:
    existing = session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    if existing:
        return existing
    user = User(
        email=email,
        password_hash=hash_password(DEMO_PASSWORD),
        role=role.value,
        group_id=group_id,
        member_id=member_id,
    )
    session.add(user)
    session.flush()
    return user


def seed_people(session: Session) -> DemoWorld:
    if not email_registered(session, PLATFORM_ADMIN):
        _user(session, PLATFORM_ADMIN, Role.platform_admin)
    group = session.execute(select(Group).where(Group.slug == DEMO_SLUG)).scalar_one_or_none()
    if group is None:
        group = Group(
            name="Demo Building Supply Credit Group",
            slug=DEMO_SLUG,
            currency="USD",
            settings=GroupSettings().model_dump(),
        )
        session.add(group)
        session.flush()
    _user(session, GROUP_ADMIN, Role.group_admin, group.id)
    members, admins = [], []
    for name, industry, country, handle in MEMBERS:
        member = session.execute(
            select(Member).where(Member.group_id == group.id, Member.name == name)
        ).scalar_one_or_none()
        if member is None:
            member = Member(group_id=group.id, name=name, industry=industry, country=country)
            session.add(member)
            session.flush()
        members.append(member)
        admins.append(
            _user(
                session, f"{handle}.admin@creditpool.demo", Role.member_admin, group.id, member.id
            )
        )
        _user(
            session, f"{handle}.analyst@creditpool.demo", Role.credit_analyst, group.id, member.id
        )
    return DemoWorld(group, members, admins)


# Where the demo's webhook points: a reserved name that never resolves (RFC 2606), so
# its deliveries queue, are tried and end `failed`. Register your own receiver to see
# them arrive.
DEMO_WEBHOOK_URL = "https://hooks.example.com/creditpool"


def seed_webhook(session: Session, world: DemoWorld) -> Webhook:
    """The first member's ERP listens to every event, as a member's would."""
    member = world.members[0]
    existing = session.execute(
        select(Webhook).where(Webhook.member_id == member.id, Webhook.url == DEMO_WEBHOOK_URL)
    ).scalar_one_or_none()
    if existing:
        return existing
    webhook = Webhook(
        group_id=world.group.id,
        member_id=member.id,
        url=DEMO_WEBHOOK_URL,
        events=list(EVENT_TYPES),
        secret=new_webhook_secret(),
    )
    session.add(webhook)
    session.flush()
    return webhook


def member_principal(world: DemoWorld, index: int) -> Principal:
    return Principal.of_user(world.member_admins[index])


DEMO_KEY_NAME = "demo ERP"


def seed(console: Console, base_url: str = "http://127.0.0.1:8000") -> None:
    from app.demo_console import seed_console
    from app.demo_history import month_ends, seed_history
    from app.demo_meetings import seed_gatherings

    # One unit of work per step, each committed when its block ends: the people, then
    # each member's history (see seed_history), then the key.
    with system_session() as session:
        world = seed_people(session)
        seed_webhook(session, world)
    history = seed_history([member_principal(world, i) for i in range(3)])
    with group_session(world.group.id) as session:
        admin = session.execute(select(User).where(User.email == GROUP_ADMIN)).scalar_one()
        seed_console(session, [member_principal(world, i) for i in range(3)],
                     Principal.of_user(admin), history.clients)  # fmt: skip
        gatherings = seed_gatherings(
            session,
            Principal.of_user(admin),
            [member_principal(world, i) for i in range(3)],
            history.clients,
            month_ends(1, today())[0],
        )
        owner = member_principal(world, 0)
        # Each run prints a fresh key: the one the previous run printed stops working,
        # so that `make run` does not leave a trail of live keys behind it.
        for old in session.execute(
            select(ApiKey).where(
                ApiKey.member_id == owner.member_id,
                ApiKey.name == DEMO_KEY_NAME,
                ApiKey.revoked_at.is_(None),
            )
        ).scalars():
            keys.revoke(session, owner, old.id)
        _, key = keys.create(
            session,
            owner,
            ApiKeyCreate(
                name=DEMO_KEY_NAME,
                scopes=[
                    "experiences:write",
                    "legal_actions:write",
                    "fraud_reports:write",
                    "clients:read",
                    "profiles:read",
                    "alerts:read",
                ],
            ),
        )
    table = Table(title=f"creditpool demo: {world.group.name}")
    table.add_column("login (email)")
    table.add_column("role")
    table.add_row(PLATFORM_ADMIN, "platform_admin")
    table.add_row(GROUP_ADMIN, "group_admin")
    for (name, _i, _c, handle), _m in zip(MEMBERS, world.members, strict=True):
        table.add_row(f"{handle}.admin@creditpool.demo", f"member_admin ({name})")
        table.add_row(f"{handle}.analyst@creditpool.demo", f"credit_analyst ({name})")
    console.print(table)
    console.print(f"Every demo password is [bold]{DEMO_PASSWORD}[/bold]")
    console.print(f"API key of {MEMBERS[0][0]} (shown once): [bold]{key}[/bold]")
    console.print("Try it:")
    console.print(
        "  TOKEN=$(curl -s -d 'username=northwind.analyst@creditpool.demo&password="
        f"{DEMO_PASSWORD}' {base_url}/v1/auth/token | python3 -c "
        "'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')",
        soft_wrap=True,
    )
    console.print(f'  curl -s -H "Authorization: Bearer $TOKEN" {base_url}/v1/me', soft_wrap=True)
    console.print(f'  curl -s -H "X-API-Key: {key}" {base_url}/v1/me', soft_wrap=True)
    console.print(
        f"{history.lines} month-end trade lines on {len(history.clients)} clients over "
        f"{history.months} months, and {history.legal_actions} legal action(s). Profiles:"
    )
    for name, client_id in history.clients.items():
        console.print(f"  {name}: /v1/clients/{client_id}/profile", soft_wrap=True)
    featured = history.clients[history.featured]
    console.print(
        f'  curl -s -H "Authorization: Bearer $TOKEN" {base_url}/v1/clients/{featured}/profile',
        soft_wrap=True,
    )
    console.print(
        f"A closed meeting with its frozen list: /v1/meetings/{gatherings.meeting_id}/agenda; "
        f"an open poll: /v1/polls/{gatherings.poll_id}; benchmarks: "
        + ", ".join(f"/v1/benchmarks/{p}" for p in gatherings.periods),
        soft_wrap=True,
    )
    console.print(f"API docs: {base_url}/docs")
    console.print(
        f"Web console: [bold]{base_url}/[/bold] (sign in with a login above, e.g. "
        f"northwind.analyst@creditpool.demo or {GROUP_ADMIN}, password {DEMO_PASSWORD})",
        soft_wrap=True,
    )
