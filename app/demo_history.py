"""The demo's history: 24 months of month-end A/R aging on eight clients, from the
three demo members, through the same bulk path as the API (`ingest`), plus a judgment.

The figures are generated from a fixed seed, so a re-run upserts the same history.
Who pays how:
- Summit Ridge Construction, Pinecrest Property Group: prompt, everything current;
- Redwood Renovations: a few days late; Harbor Point Developers: 15-30 days late;
- Keystone Remodeling: 30-60 days late, all along;
- Lakeshore Homes: prompt for 20 months, then slides into 60-90+ days (deteriorates);
- Granite State Builders: slow, with a judgment filed against it three months ago;
- Cedar & Main Contractors: reported by two members only, so its profile is
  suppressed (anonymity: `min_contributors` is 3).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session
from sqlmodel import select

from app.auth.principal import Principal
from app.clients.schemas import ClientIn
from app.clients.service import resolve_reference
from app.core.types import today
from app.experiences.ingest import ingest
from app.legal import service as legal
from app.legal.models import LegalAction
from app.legal.schemas import LegalActionCreate
from app.tenancy.session import group_session

MONTHS = 24
CENT = Decimal("0.01")

# (legal name, tax id, city, region, postal code, pattern, reporting members)
CLIENTS = [
    ("Summit Ridge Construction LLC", "84-1029384", "Denver", "CO", "80202", "prompt", 3),
    ("Pinecrest Property Group LLC", "27-5531907", "Asheville", "NC", "28801", "prompt", 3),
    ("Redwood Renovations Inc", "94-3318270", "Sacramento", "CA", "95814", "fair", 3),
    ("Harbor Point Developers Inc", "52-2213765", "Baltimore", "MD", "21202", "slow", 3),
    ("Keystone Remodeling Co", "23-7781450", "Harrisburg", "PA", "17101", "slower", 3),
    ("Lakeshore Homes Inc", "36-4419023", "Chicago", "IL", "60601", "deteriorating", 3),
    ("Granite State Builders LLC", "02-6650391", "Manchester", "NH", "03101", "judgment", 3),
    ("Cedar & Main Contractors LLC", "41-8823016", "Minneapolis", "MN", "55401", "slow", 2),
]
FEATURED = "Lakeshore Homes Inc"

# Shares of total_owed in current, 1-30, 31-60, 61-90, over 90 days past due.
PATTERNS = {
    "prompt": (0.96, 0.04, 0, 0, 0),
    "fair": (0.80, 0.18, 0.02, 0, 0),
    "slow": (0.50, 0.35, 0.12, 0.03, 0),
    "slower": (0.30, 0.30, 0.25, 0.12, 0.03),
    "judgment": (0.15, 0.15, 0.20, 0.25, 0.25),
}
COMMENTS = {
    "prompt": ["PROMPT"],
    "fair": [],
    "slow": ["SLOW"],
    "slower": ["SLOW", "CREDIT_HOLD"],
    "judgment": ["SLOW", "COLLECTION", "ATTORNEY"],
}
# Lakeshore Homes over its last four months, oldest first.
SLIDE = [
    (0.70, 0.25, 0.05, 0, 0),
    (0.40, 0.30, 0.25, 0.05, 0),
    (0.20, 0.20, 0.30, 0.25, 0.05),
    # The last month worse by more than 10 points of payment index: the third member's
    # lines raise a real `profile.deteriorated` alert for the other two.
    (0.05, 0.05, 0.15, 0.35, 0.40),
]
JUDGMENT = {
    "kind": "judgment",
    "status": "filed",
    "amount": Decimal("18400.00"),
    "jurisdiction": "Hillsborough County Superior Court, NH",
    "case_number": "216-2026-CV-00412",
}


@dataclass
class History:
    clients: dict[str, str] = field(default_factory=dict)  # name -> client id
    lines: int = 0
    months: int = MONTHS
    legal_actions: int = 0
    featured: str = FEATURED


def month_ends(count: int, before: date) -> list[date]:
    """The last `count` month ends strictly before `before`'s month, oldest first."""
    ends, day = [], before.replace(day=1) - timedelta(days=1)
    for _ in range(count):
        ends.append(day)
        day = day.replace(day=1) - timedelta(days=1)
    return ends[::-1]


def _shares(pattern: str, month: int, rng: random.Random) -> tuple[float, ...]:
    if pattern == "deteriorating":
        late = month - (MONTHS - len(SLIDE))
        base = SLIDE[late] if late >= 0 else PATTERNS["prompt"]
    else:
        base = PATTERNS[pattern]
    jittered = [max(0.0, s * rng.uniform(0.85, 1.15)) for s in base]
    total = sum(jittered)
    return tuple(s / total for s in jittered)


def _aging(total: Decimal, shares: tuple[float, ...]) -> list[Decimal]:
    """total split into the five buckets, exact to the cent (current takes the rest)."""
    late = [(total * Decimal(str(round(s, 4)))).quantize(CENT) for s in shares[1:]]
    return [total - sum(late, Decimal(0)), *late]


def _line(name: str, pattern: str, month: int, as_of: date, member: int) -> dict:
    rng = random.Random(f"{name}|{member}|{month}")
    size = Decimal(random.Random(f"{name}|{member}").randrange(8_000, 60_000))
    total = (size * Decimal(str(rng.uniform(0.5, 1.0)))).quantize(CENT)
    current, b1, b2, b3, b4 = _aging(total, _shares(pattern, month, rng))
    comments = list(COMMENTS.get(pattern, []))
    if pattern == "deteriorating":
        comments = ["PROMPT"] if month < MONTHS - 3 else ["SLOW", "CREDIT_HOLD"]
    return {
        "as_of": as_of.isoformat(),
        "currency": "USD",
        "terms_days": (30, 30, 45)[member],
        "high_credit": str((size * Decimal("1.25")).quantize(CENT)),
        "total_owed": str(total),
        "current": str(current),
        "past_due_1_30": str(b1),
        "past_due_31_60": str(b2),
        "past_due_61_90": str(b3),
        "past_due_over_90": str(b4),
        "last_sale_date": (as_of - timedelta(days=rng.randrange(3, 20))).isoformat(),
        "account_opened": "2019-03-01",
        "comments": comments,
    }


def _client(name: str, tax_id: str, city: str, region: str, postal: str) -> dict:
    return {
        "legal_name": name,
        "country": "US",
        "tax_id": tax_id,
        "address": {
            "line1": "100 Main Street",
            "city": city,
            "region": region,
            "postal_code": postal,
        },
    }


def seed_history(members: list[Principal]) -> History:
    """Upsert the history for the three demo members: one unit of work per member, so
    that each member's two years of lines commit (and raise their alerts) as a month's
    upload would."""
    history = History()
    ends = month_ends(MONTHS, today())
    for m, principal in enumerate(members):
        items = []
        for c, (name, tax_id, city, region, postal, pattern, reporters) in enumerate(CLIENTS):
            if m >= reporters:
                continue
            for month, as_of in enumerate(ends):
                item = _line(name, pattern, month, as_of, m)
                item["client"] = _client(name, tax_id, city, region, postal)
                item["customer_ref"] = f"{principal.member_id[:4].upper()}-{1001 + c}"
                items.append(item)
        with group_session(principal.group_id) as session:
            result = ingest(session, principal, items)
        if result.rejected:
            raise RuntimeError(f"demo history refused: {result.errors[:3]}")
        history.lines += result.created + result.updated
    with group_session(members[0].group_id) as session:
        for name, tax_id, city, region, postal, *_ in CLIENTS:
            client = resolve_reference(
                session, members[0], client=ClientIn(**_client(name, tax_id, city, region, postal))
            )
            history.clients[name] = client.id
    with group_session(members[1].group_id) as session:
        history.legal_actions = _seed_judgment(session, members[1], history)
    return history


def _seed_judgment(session: Session, principal: Principal, history: History) -> int:
    client_id = history.clients["Granite State Builders LLC"]
    exists = session.execute(
        select(LegalAction.id).where(
            LegalAction.client_id == client_id,
            LegalAction.case_number == JUDGMENT["case_number"],
        )
    ).first()
    if exists is None:
        filed_on = month_ends(3, today())[0] + timedelta(days=9)
        legal.create(
            session,
            principal,
            LegalActionCreate(client_id=client_id, filed_on=filed_on, **JUDGMENT),
        )
    return 1
