"""/fraud-reports (file one; your own and the approved ones) and /moderation (group admins:
approve, reject or ask for information, with a note; the decisions so far)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Form, Request

from app.auth.principal import Principal
from app.core.pagination import PageParams
from app.deps import SessionDep
from app.fraud import service
from app.fraud.router import present
from app.fraud.schemas import DecisionIn, FraudReportCreate
from app.web.clients import FRAUD_CATEGORIES, checked
from app.web.names import client_names
from app.web.pages import redirect, render, router_for
from app.web.session import may

router = router_for()

Reader = Annotated[Principal, may("fraud_reports:read")]
Submitter = Annotated[Principal, may("fraud_reports:write", member=True)]
Moderator = Annotated[Principal, may("fraud_reports:moderate")]

PAGE = 100


def _presented(session, principal: Principal, reports) -> list[dict]:
    """Reports as the API presents them to this caller (who decided: admins only)."""
    history = service.decisions_of(session, [r.id for r in reports])
    names = client_names(session, [r.client_id for r in reports])
    return [
        {"report": present(r, principal, history[r.id]), "client": names[r.client_id]}
        for r in reports
    ]


@router.get("/fraud-reports")
def fraud_reports_page(request: Request, principal: Reader, session: SessionDep):
    reports, _ = service.list_reports(session, principal, PageParams(limit=PAGE))
    context = {
        "rows": _presented(session, principal, reports),
        "categories": FRAUD_CATEGORIES,
        "can_file": principal.can("fraud_reports:write") and principal.member_id is not None,
        "today": date.today().isoformat(),
    }
    return render(request, "fraud_reports.html", context)


@router.post("/fraud-reports")
def file_report(
    principal: Submitter,
    session: SessionDep,
    legal_name: Annotated[str, Form()],
    country: Annotated[str, Form()],
    category: Annotated[str, Form()],
    incident_date: Annotated[str, Form()],
    description: Annotated[str, Form()],
    tax_id: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
):
    """The client named as the API's `client {...}`: resolved (or created) the same way."""
    client = {"legal_name": legal_name.strip(), "country": country.strip().upper()}
    if tax_id.strip():
        client["tax_id"] = tax_id.strip()
    body = checked(
        FraudReportCreate,
        client=client,
        category=category,
        incident_date=incident_date,
        description=description,
        amount=amount.strip(),
    )
    service.create(session, principal, body)
    return redirect("/fraud-reports?done=fraud_filed")


@router.post("/fraud-reports/{report_id}/withdraw")
def withdraw(report_id: str, principal: Submitter, session: SessionDep):
    service.withdraw(session, principal, report_id[:64])
    return redirect("/fraud-reports?done=withdrawn")


@router.get("/moderation")
def moderation_page(request: Request, principal: Moderator, session: SessionDep):
    params = PageParams(limit=PAGE)
    pending, _ = service.list_reports(session, principal, params, status="pending")
    needs_info, _ = service.list_reports(session, principal, params, status="needs_info")
    decided = []
    for status in ("approved", "rejected", "retracted"):
        rows, _ = service.list_reports(session, principal, PageParams(limit=20), status=status)
        decided.extend(rows)
    decided.sort(key=lambda r: r.updated_at, reverse=True)
    context = {
        "queue": _presented(session, principal, [*pending, *needs_info]),
        "history": _presented(session, principal, decided[:30]),
    }
    return render(request, "moderation.html", context)


@router.post("/moderation/{report_id}")
def decide(
    report_id: str,
    principal: Moderator,
    session: SessionDep,
    decision: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
):
    body = checked(DecisionIn, decision=decision, note=note.strip())
    service.decide(session, principal, report_id[:64], body)
    return redirect("/moderation?done=decided")
