"""/v1/fraud-reports: submission, the submitter's edits, moderation by group admins.

Responses leave out what the caller may not learn: `member_id` and `decided_by` are set
for group admins only (`response_model_exclude_unset` drops them otherwise).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status

from app.auth.principal import Principal
from app.core.pagination import Page
from app.deps import PageDep, SessionDep, require, require_member
from app.fraud import service
from app.fraud.models import FraudDecision, FraudReport
from app.fraud.schemas import (
    DecisionIn,
    DecisionOut,
    FraudReportCreate,
    FraudReportOut,
    FraudReportPatch,
    Status,
)
from app.idempotency.route import Idempotent, IdempotentRoute

router = APIRouter(route_class=IdempotentRoute, prefix="/v1/fraud-reports", tags=["fraud reports"])

Reader = Annotated[Principal, Depends(require("fraud_reports:read"))]
Submitter = Annotated[Principal, Depends(require_member("fraud_reports:write"))]
Moderator = Annotated[Principal, Depends(require("fraud_reports:moderate"))]

_ONE = {"response_model": FraudReportOut, "response_model_exclude_unset": True}


def present(
    report: FraudReport, principal: Principal, decisions: list[FraudDecision]
) -> FraudReportOut:
    admin = principal.is_group_admin
    fields = {
        "id": report.id,
        "client_id": report.client_id,
        "category": report.category,
        "description": report.description,
        "amount": report.amount,
        "incident_date": report.incident_date,
        "status": report.status,
        "submitted_by_you": service.is_submitter(principal, report),
        "approved_at": report.approved_at,
        "created_at": report.created_at,
        "updated_at": report.updated_at,
        "decisions": [
            DecisionOut(
                decision=d.decision,
                note=d.note,
                at=d.at,
                **({"decided_by": d.decided_by} if admin else {}),
            )
            for d in decisions
        ],
    }
    if admin:
        fields["member_id"] = report.member_id
    return FraudReportOut(**fields)


def _one(session, principal: Principal, report: FraudReport) -> FraudReportOut:
    return present(report, principal, service.decisions_of(session, [report.id])[report.id])


@router.post("", status_code=status.HTTP_201_CREATED, **_ONE)
def submit_report(
    body: FraudReportCreate, principal: Submitter, session: SessionDep, idempotency: Idempotent
):
    """Report a fraud on a client. It is `pending` until a group admin decides; only
    then does the rest of the group see it, never who submitted it."""
    return _one(session, principal, service.create(session, principal, body))


@router.get("", response_model=Page[FraudReportOut], response_model_exclude_unset=True)
def list_reports(
    principal: Reader,
    session: SessionDep,
    page: PageDep,
    status: Annotated[Status | None, Query()] = None,
    client_id: Annotated[str | None, Query(min_length=1, max_length=36)] = None,
    order: Annotated[
        Literal["asc", "desc"] | None,
        Query(
            description="By submission time. Default: oldest first for status=pending "
            "(the moderation queue), else newest first."
        ),
    ] = None,
):
    """Approved reports of the group, plus the caller's own member's reports in any
    state; group admins see every report."""
    rows, cursor = service.list_reports(
        session, principal, page, status=status, client_id=client_id, order=order
    )
    history = service.decisions_of(session, [r.id for r in rows])
    return Page(items=[present(r, principal, history[r.id]) for r in rows], next_cursor=cursor)


@router.get("/{report_id}", **_ONE)
def get_report(report_id: str, principal: Reader, session: SessionDep):
    """One report with its decision history."""
    return _one(session, principal, service.get(session, principal, report_id))


@router.patch("/{report_id}", **_ONE)
def update_report(
    report_id: str, body: FraudReportPatch, principal: Submitter, session: SessionDep
):
    """The submitter corrects its report while it is `pending` or `needs_info`; a report
    that needed information goes back to `pending`."""
    return _one(session, principal, service.update(session, principal, report_id, body))


@router.post("/{report_id}/withdraw", **_ONE)
def withdraw_report(
    report_id: str, principal: Submitter, session: SessionDep, idempotency: Idempotent
):
    """The submitter withdraws its report while it is `pending` or `needs_info`."""
    return _one(session, principal, service.withdraw(session, principal, report_id))


@router.post("/{report_id}/decision", **_ONE)
def decide_report(
    report_id: str,
    body: DecisionIn,
    principal: Moderator,
    session: SessionDep,
    idempotency: Idempotent,
):
    """Moderation (group admins): approve, reject or request_info on a pending report;
    retract an approved one. Any other move is 409 `invalid_transition`."""
    return _one(session, principal, service.decide(session, principal, report_id, body))
