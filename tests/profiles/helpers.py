"""Submitting trade lines through the public API, and legal/fraud facts straight into the
database (their endpoints belong to other domains; the profile only reads the tables)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from app.core.db import system_session
from app.fraud.models import FraudReport
from app.legal.models import LegalAction
from tests.helpers import new_client as new_client  # re-exported for these stories
from tests.helpers import set_settings as set_settings  # re-exported for these stories
from tests.helpers import submit_batch

submit = submit_batch  # the shared batch helper, under the name these stories use

BUCKETS = ("current", "past_due_1_30", "past_due_31_60", "past_due_61_90", "past_due_over_90")


def line(
    client_id: str,
    as_of: date,
    *,
    high_credit: str | int = 1000,
    buckets: tuple = (500, 0, 0, 0, 0),
    terms_days: int = 30,
    **extra,
) -> dict:
    """One batch item; total_owed is the sum of the buckets (current first)."""
    amounts = [Decimal(str(b)) for b in buckets]
    item = {
        "client_id": client_id,
        "as_of": as_of.isoformat(),
        "currency": "USD",
        "terms_days": terms_days,
        "high_credit": str(high_credit),
        "total_owed": str(sum(amounts)),
        **{name: str(amount) for name, amount in zip(BUCKETS, amounts, strict=True)},
    }
    item.update(extra)
    return item


def profile(api, actor, client_id: str, status: int = 200, **params) -> dict:
    response = api.get(f"/v1/clients/{client_id}/profile", headers=actor.headers, params=params)
    assert response.status_code == status, response.text
    return response.json()


def file_legal_action(
    group_id: str,
    member_id: str,
    client_id: str,
    *,
    kind: str = "suit",
    status: str = "filed",
    filed_on: date | None = None,
    amount: str | None = "2500.00",
) -> str:
    with system_session() as session:
        action = LegalAction(
            group_id=group_id,
            member_id=member_id,
            client_id=client_id,
            kind=kind,
            status=status,
            filed_on=filed_on or date.today(),
            amount=Decimal(amount) if amount else None,
            jurisdiction="NY Supreme Court",
            case_number=f"CV-{uuid.uuid4().hex[:6]}",
        )
        session.add(action)
        session.flush()
        return action.id


def report_fraud(
    group_id: str,
    member_id: str,
    client_id: str,
    *,
    status: str = "approved",
    approved_at: datetime | None = None,
) -> str:
    approved_at = approved_at or datetime.now(UTC) - timedelta(minutes=1)
    with system_session() as session:
        report = FraudReport(
            group_id=group_id,
            member_id=member_id,
            client_id=client_id,
            category="bust_out",
            description="Ordered far above the usual, then vanished.",
            amount=Decimal("12000.00"),
            incident_date=approved_at.date() - timedelta(days=3),
            status=status,
            approved_at=approved_at if status in ("approved", "retracted") else None,
        )
        session.add(report)
        session.flush()
        return report.id
