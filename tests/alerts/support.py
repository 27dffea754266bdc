"""Facts other domains produce (clients, trade lines, legal actions), put in place directly.

Fraud and alerts tests need clients and trade lines to exist; these helpers write them
the way their own domains would, and send the same signals those domains send.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from app.auth.principal import Principal, Role
from app.clients.models import Client
from app.core import hooks
from app.core.db import system_session
from app.experiences.models import Experience
from app.legal.models import LegalAction


def make_client(group_id: str, name: str | None = None) -> str:
    name = name or f"Client {uuid.uuid4().hex[:8]}"
    with system_session() as session:
        client = Client(group_id=group_id, legal_name=name, country="US", name_norm=name.lower())
        session.add(client)
        session.commit()
        return client.id


def member_principal(group_id: str, member_id: str) -> Principal:
    return Principal(
        kind="user",
        id=str(uuid.uuid4()),
        group_id=group_id,
        member_id=member_id,
        role=Role.credit_analyst,
        email="analyst@member.example.com",
    )


def add_line(
    group_id: str,
    member_id: str,
    client_id: str,
    as_of: date,
    *,
    owed: int = 1000,
    days_beyond_terms: int | None = None,
    land: bool = True,
) -> None:
    """Store one trade line (all of it current) and, like ingest, send experiences_landed."""
    with system_session() as session:
        session.add(
            Experience(
                group_id=group_id,
                member_id=member_id,
                client_id=client_id,
                as_of=as_of,
                currency="USD",
                terms_days=30,
                high_credit=Decimal(owed),
                total_owed=Decimal(owed),
                current=Decimal(owed),
                past_due_1_30=Decimal(0),
                past_due_31_60=Decimal(0),
                past_due_61_90=Decimal(0),
                past_due_over_90=Decimal(0),
                days_beyond_terms=days_beyond_terms,
            )
        )
        session.flush()
        if land:
            hooks.experiences_landed.send(
                session, member_principal(group_id, member_id), {client_id}
            )
        session.commit()


def land(group_id: str, member_id: str, client_ids: set[str]) -> None:
    """Send experiences_landed again, as a re-submission of the same lines would."""
    with system_session() as session:
        hooks.experiences_landed.send(session, member_principal(group_id, member_id), client_ids)
        session.commit()


def file_legal_action(group_id: str, member_id: str, client_id: str) -> str:
    """Store a legal action and send legal_action_created, as /v1/legal-actions does."""
    with system_session() as session:
        action = LegalAction(
            group_id=group_id,
            member_id=member_id,
            client_id=client_id,
            kind="judgment",
            status="filed",
            amount=Decimal("12500.50"),
            filed_on=date(2026, 10, 1),
            jurisdiction="NY Supreme Court",
            case_number="2026-0042",
        )
        session.add(action)
        session.flush()
        hooks.legal_action_created.send(session, member_principal(group_id, member_id), action)
        session.commit()
        return action.id
