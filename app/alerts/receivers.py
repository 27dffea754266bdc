"""What the alerts domain does when other domains report a fact (see app.core.hooks).

Connected by `install()`, which `app.wiring.install()` calls for the app, the CLI and
the workers alike.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.alerts.deterioration import check_landing
from app.alerts.events import emit
from app.auth.principal import Principal
from app.core import hooks
from app.fraud.models import FraudReport
from app.legal.models import LegalAction


def on_legal_action_created(session: Session, principal: Principal, legal_action: LegalAction):
    emit(
        session,
        group_id=legal_action.group_id,
        type="legal_action.created",
        client_id=legal_action.client_id,
        data={
            "legal_action_id": legal_action.id,
            "kind": legal_action.kind,
            "status": legal_action.status,
            "amount": legal_action.amount,
            "filed_on": legal_action.filed_on,
            "jurisdiction": legal_action.jurisdiction,
            "case_number": legal_action.case_number,
        },
        caused_by_member_id=legal_action.member_id,
    )


def on_experiences_landed(session: Session, principal: Principal, client_ids) -> None:
    check_landing(
        session,
        group_id=principal.group_id,
        member_id=principal.member_id,
        client_ids=client_ids,
    )


def on_fraud_report_approved(session: Session, principal: Principal, report: FraudReport):
    emit(
        session,
        group_id=report.group_id,
        type="fraud_report.approved",
        client_id=report.client_id,
        data={
            "fraud_report_id": report.id,
            "category": report.category,
            "incident_date": report.incident_date,
            "amount": report.amount,
            "approved_at": report.approved_at,
        },
        caused_by_member_id=report.member_id,
    )


def install() -> None:
    """Connect the receivers (idempotent)."""
    hooks.legal_action_created.connect(on_legal_action_created)
    hooks.experiences_landed.connect(on_experiences_landed)
    hooks.fraud_report_approved.connect(on_fraud_report_approved)
