"""Fraud reports: submission, the submitter's edits and withdrawal, moderation, visibility.

Visibility, the one rule every read goes through (`readable`): an approved report is
seen by every member of the group, without its submitter; a report in any other state
only by the submitting member and the group's admins. Anyone else is told "not found".
Moves between states are the table in `app.fraud.workflow`.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.principal import Principal
from app.clients.service import resolve_reference
from app.core import hooks
from app.core.errors import Forbidden, NotFound, ValidationFailed, field_error
from app.core.pagination import PageParams, paginate
from app.core.types import utcnow
from app.fraud.models import FraudDecision, FraudReport
from app.fraud.schemas import DecisionIn, FraudReportCreate, FraudReportPatch
from app.fraud.workflow import next_state
from app.groups.models import Group

# Audit action of each moderation decision.
_DECISION_ACTIONS = {
    "approve": "fraud_report.approved",
    "reject": "fraud_report.rejected",
    "request_info": "fraud_report.info_requested",
    "retract": "fraud_report.retracted",
}


def readable(principal: Principal):
    """The fraud reports the caller may see (the session adds the group)."""
    stmt = select(FraudReport)
    if principal.is_group_admin:
        return stmt
    return stmt.where(
        or_(FraudReport.status == "approved", FraudReport.member_id == principal.member_id)
    )


def is_submitter(principal: Principal, report: FraudReport) -> bool:
    return principal.member_id is not None and report.member_id == principal.member_id


def get(session: Session, principal: Principal, report_id: str, *, for_update=False):
    """A report the caller may see, else NotFound."""
    stmt = readable(principal).where(FraudReport.id == report_id)
    if for_update:
        stmt = stmt.with_for_update()
    report = session.execute(stmt).scalar_one_or_none()
    if report is None:
        raise NotFound("No such fraud report.")
    return report


def list_reports(
    session: Session,
    principal: Principal,
    params: PageParams,
    *,
    status: str | None = None,
    client_id: str | None = None,
    order: str | None = None,
) -> tuple[list[FraudReport], str | None]:
    """Readable reports. The moderation queue (`status=pending`) comes oldest first,
    everything else newest first, unless `order` says otherwise."""
    stmt = readable(principal)
    if status:
        stmt = stmt.where(FraudReport.status == status)
    if client_id:
        stmt = stmt.where(FraudReport.client_id == client_id)
    if order is None:
        order = "asc" if status == "pending" else "desc"
    return paginate(
        session,
        stmt,
        [FraudReport.created_at, FraudReport.id],
        params,
        descending=order == "desc",
    )


def decisions_of(session: Session, report_ids: list[str]) -> dict[str, list[FraudDecision]]:
    """Each report's decisions, oldest first."""
    history: dict[str, list[FraudDecision]] = defaultdict(list)
    if not report_ids:
        return history
    rows = session.execute(
        select(FraudDecision)
        .where(FraudDecision.report_id.in_(report_ids))
        .order_by(FraudDecision.at, FraudDecision.id)
    ).scalars()
    for decision in rows:
        history[decision.report_id].append(decision)
    return history


def create(session: Session, principal: Principal, body: FraudReportCreate) -> FraudReport:
    """File a report for moderation; it is pending until a group admin decides."""
    group = session.get(Group, principal.group_id)
    if body.currency is not None and body.currency != group.currency:
        raise ValidationFailed(
            f"This group reports in {group.currency}.",
            errors=[
                field_error(["body", "currency"], f"must be {group.currency}", "currency_mismatch")
            ],
        )
    client = resolve_reference(
        session,
        principal,
        client_id=body.client_id,
        client=body.client,
        customer_ref=body.customer_ref,
    )
    report = FraudReport(
        group_id=principal.group_id,
        member_id=principal.member_id,
        client_id=client.id,
        category=body.category,
        description=body.description,
        amount=body.amount,
        incident_date=body.incident_date,
        status="pending",
        submitted_by=principal.id,
    )
    session.add(report)
    session.flush()
    audit.record(
        session,
        principal,
        "fraud_report.submitted",
        audit.resource("fraud_report", report.id),
        {"client_id": client.id, "member_id": report.member_id, "category": report.category},
    )
    return report


def _own(session: Session, principal: Principal, report_id: str) -> FraudReport:
    """A report the caller may see and submitted; 403 when it only sees it."""
    report = get(session, principal, report_id, for_update=True)
    if not is_submitter(principal, report):
        raise Forbidden("Only the member that submitted this report may change it.")
    return report


def update(
    session: Session, principal: Principal, report_id: str, body: FraudReportPatch
) -> FraudReport:
    """The submitter's corrections; a report that needed information goes back to pending."""
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise ValidationFailed(
            "Nothing to change: send at least one of category, description, amount, incident_date.",
            errors=[field_error(["body"], "no field to change", "value_error")],
        )
    report = _own(session, principal, report_id)
    previous = report.status
    report.status = next_state(report.status, "edit")
    changed = sorted(field for field, value in changes.items() if getattr(report, field) != value)
    for field in changed:
        setattr(report, field, changes[field])
    report.updated_at = utcnow()
    session.add(report)
    audit.record(
        session,
        principal,
        "fraud_report.updated",
        audit.resource("fraud_report", report.id),
        {"fields": changed, "from": previous, "to": report.status},
    )
    return report


def withdraw(session: Session, principal: Principal, report_id: str) -> FraudReport:
    """The submitter takes back a report that is not decided yet."""
    report = _own(session, principal, report_id)
    previous = report.status
    report.status = next_state(report.status, "withdraw")
    report.updated_at = utcnow()
    session.add(report)
    audit.record(
        session,
        principal,
        "fraud_report.withdrawn",
        audit.resource("fraud_report", report.id),
        {"from": previous, "to": report.status},
    )
    return report


def decide(session: Session, principal: Principal, report_id: str, body: DecisionIn):
    """A group admin's moderation decision; approval alerts the members concerned."""
    report = get(session, principal, report_id, for_update=True)
    previous = report.status
    report.status = next_state(report.status, body.decision)
    now = utcnow()
    report.updated_at = now
    if body.decision == "approve":
        report.approved_at = now
    session.add(report)
    session.add(
        FraudDecision(
            group_id=report.group_id,
            report_id=report.id,
            decision=body.decision,
            note=body.note,
            decided_by=principal.id,
            at=now,
        )
    )
    audit.record(
        session,
        principal,
        _DECISION_ACTIONS[body.decision],
        audit.resource("fraud_report", report.id),
        {"decision": body.decision, "note": body.note, "from": previous, "to": report.status},
    )
    if body.decision == "approve":
        session.flush()
        hooks.fraud_report_approved.send(session, principal, report)
    return report
