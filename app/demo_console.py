"""What the demo adds so that every console page has something true to show: watched
clients, a fraud report waiting for moderation and an approved one (which alerts the
members concerned). Idempotent, like the rest of `creditpool demo`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session
from sqlmodel import select

from app.alerts import service as alerts_service
from app.auth.principal import Principal
from app.core.types import today
from app.fraud import service as fraud_service
from app.fraud.models import FraudReport
from app.fraud.schemas import DecisionIn, FraudReportCreate

# (reporting member's index, client, category, description, amount, days ago, approved)
FRAUD_REPORTS = [
    (
        2,
        "Granite State Builders LLC",
        "payment_diversion",
        "A caller posing as our bank asked us to send their refund to a new account.",
        "18400.00",
        40,
        True,
    ),
    (
        1,
        "Cedar & Main Contractors LLC",
        "false_references",
        "Two trade references on their credit application do not exist.",
        None,
        12,
        False,
    ),
]
WATCHED = ["Lakeshore Homes Inc", "Keystone Remodeling Co"]


def seed_console(
    session: Session, members: list[Principal], group_admin: Principal, clients: dict[str, str]
) -> None:
    for name in WATCHED:
        alerts_service.watch(session, members[0], clients[name])
    for member, client, category, description, amount, days_ago, approved in FRAUD_REPORTS:
        exists = session.execute(
            select(FraudReport.id).where(FraudReport.description == description)
        ).first()
        if exists:
            continue
        report = fraud_service.create(
            session,
            members[member],
            FraudReportCreate(
                client_id=clients[client],
                category=category,
                description=description,
                amount=amount,
                incident_date=today() - timedelta(days=days_ago),
            ),
        )
        if approved:
            note = "Confirmed with the member's bank statement."
            fraud_service.decide(
                session, group_admin, report.id, DecisionIn(decision="approve", note=note)
            )
    session.flush()
