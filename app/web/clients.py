"""/clients (search) and /clients/{id} (the pooled profile, watch, report fraud or a
legal action)."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Annotated

from fastapi import Form, Query, Request
from pydantic import ValidationError

from app.alerts import service as alerts_service
from app.auth.principal import Principal
from app.clients import service as clients_service
from app.core.errors import ValidationFailed
from app.core.pagination import PageParams
from app.deps import SessionDep
from app.fraud import service as fraud_service
from app.fraud.schemas import FraudReportCreate
from app.legal import service as legal_service
from app.legal.schemas import LegalActionCreate
from app.profiles import service as profile_service
from app.web.charts import trend_chart
from app.web.pages import redirect, render, router_for
from app.web.session import may

router = router_for()

Reader = Annotated[Principal, may("clients:read")]
SEARCH_LIMIT = 50

SUPPRESSION = {
    "min_contributors": (
        "Fewer members report on this client than the group's minimum, so the pooled "
        "figures are withheld: they could point to one member's account."
    ),
    "dominance": (
        "One member holds most of what this client owes, so the pooled figures would "
        "mostly show that member's account: they are withheld."
    ),
    "p_percent": (
        "The largest two members' accounts are so much of the total that one could "
        "estimate the other's: the pooled figures are withheld (the p% rule)."
    ),
}

BUCKETS = [
    ("current", "Current"),
    ("past_due_1_30", "1–30 days past due"),
    ("past_due_31_60", "31–60 days past due"),
    ("past_due_61_90", "61–90 days past due"),
    ("past_due_over_90", "Over 90 days past due"),
]


@router.get("/clients")
def search_page(
    request: Request,
    principal: Reader,
    session: SessionDep,
    q: Annotated[str, Query(max_length=300)] = "",
):
    """Name or tax id: both are searched, and the results put together."""
    q = q.strip()
    results, more = [], False
    if q:
        seen: set[str] = set()
        params = PageParams(limit=SEARCH_LIMIT)
        by_name, next_name = clients_service.search(session, params, q=q)
        by_tax, next_tax = clients_service.search(session, params, tax_id=q)
        for client in [*by_tax, *by_name]:
            if client.id not in seen:
                seen.add(client.id)
                results.append(client)
        more = bool(next_name or next_tax)
    block = "results" if request.headers.get("hx-request") else None
    return render(request, "clients.html", {"q": q, "results": results, "more": more}, block=block)


@router.get("/clients/{client_id}")
def client_page(
    request: Request,
    client_id: str,
    principal: Annotated[Principal, may("profiles:read")],
    session: SessionDep,
):
    """The profile exactly as `GET /v1/clients/{id}/profile` gives it (the same service
    call: it records the inquiry and applies reciprocity and the anonymity rules)."""
    client = clients_service.get(session, client_id[:64])
    profile = json.loads(profile_service.read_profile(session, principal, client.id))
    reason = profile.get("suppression_reason")
    context = {
        "client": client,
        "profile": profile,
        "chart": trend_chart(profile["trend"]),
        "buckets": BUCKETS,
        "suppression": SUPPRESSION.get(reason) if reason else None,
        "watched": alerts_service.is_watched(session, principal, client.id),
        "can_watch": principal.can("watchlist:write") and principal.member_id is not None,
        "can_report_fraud": principal.can("fraud_reports:write") and principal.member_id,
        "can_report_legal": principal.can("legal_actions:write") and principal.member_id,
        "fraud_categories": FRAUD_CATEGORIES,
        "legal_kinds": LEGAL_KINDS,
        "legal_statuses": LEGAL_STATUSES,
        "today": date.today().isoformat(),
    }
    return render(request, "client.html", context)


@router.post("/clients/{client_id}/watch")
def watch(
    client_id: str,
    principal: Annotated[Principal, may("watchlist:write", member=True)],
    session: SessionDep,
):
    alerts_service.watch(session, principal, client_id)
    return redirect(f"/clients/{client_id}?done=watching")


@router.post("/clients/{client_id}/unwatch")
def unwatch(
    client_id: str,
    principal: Annotated[Principal, may("watchlist:write", member=True)],
    session: SessionDep,
    back: Annotated[str, Form(max_length=20)] = "",
):
    alerts_service.unwatch(session, principal, client_id)
    if back == "/watchlist":
        return redirect("/watchlist?done=unwatched")
    return redirect(f"/clients/{client_id}?done=unwatched")


FRAUD_CATEGORIES = [
    "identity_theft",
    "bust_out",
    "false_references",
    "check_fraud",
    "impersonation",
    "payment_diversion",
    "other",
]
LEGAL_KINDS = ["suit", "judgment", "lien", "bankruptcy", "collection_placement"]
LEGAL_STATUSES = ["filed", "pending", "satisfied", "dismissed", "released", "discharged"]


def checked(model, **fields):
    """A request model built from form fields: the API's own validation, as a 422 page.
    An empty field is left out (the model's default applies)."""
    try:
        return model(**{k: v for k, v in fields.items() if v not in (None, "")})
    except ValidationError as exc:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        raise ValidationFailed("Some fields were not accepted.", errors=errors) from None


_WHOLE = re.compile(r"-?[0-9]{1,18}")
_DECIMAL = re.compile(r"-?[0-9]{1,18}(\.[0-9]{1,18})?")


def whole_number(text: str) -> int | str:
    """A form field for a whole number (HTML forms send text, as a query string does):
    its digits as the number; anything else as it was, for the model to refuse."""
    text = text.strip()
    return int(text) if _WHOLE.fullmatch(text) else text


def decimal_number(text: str) -> float | str:
    """A form field for a number such as 0.6: as `whole_number`, with a decimal point."""
    text = text.strip()
    return float(text) if _DECIMAL.fullmatch(text) else text


def _file_report(session, principal, client_id: str, model, create, done: str, **form: str):
    """A report filed from the client page (fraud, legal action): the form's fields
    checked by the API's request model for this client, the API's service called, then
    back to the client page with what happened."""
    body = checked(model, client_id=client_id, **{k: v.strip() for k, v in form.items()})
    create(session, principal, body)
    return redirect(f"/clients/{client_id}?done={done}")


@router.post("/clients/{client_id}/fraud-reports")
def report_fraud(
    client_id: str,
    principal: Annotated[Principal, may("fraud_reports:write", member=True)],
    session: SessionDep,
    category: Annotated[str, Form()],
    description: Annotated[str, Form()],
    incident_date: Annotated[str, Form()],
    amount: Annotated[str, Form()] = "",
):
    return _file_report(
        session,
        principal,
        client_id,
        FraudReportCreate,
        fraud_service.create,
        "fraud_filed",
        category=category,
        description=description,
        incident_date=incident_date,
        amount=amount,
    )


@router.post("/clients/{client_id}/legal-actions")
def report_legal_action(
    client_id: str,
    principal: Annotated[Principal, may("legal_actions:write", member=True)],
    session: SessionDep,
    kind: Annotated[str, Form()],
    status: Annotated[str, Form()],
    filed_on: Annotated[str, Form()],
    amount: Annotated[str, Form()] = "",
    jurisdiction: Annotated[str, Form()] = "",
    case_number: Annotated[str, Form()] = "",
):
    return _file_report(
        session,
        principal,
        client_id,
        LegalActionCreate,
        legal_service.create,
        "legal_filed",
        kind=kind,
        status=status,
        filed_on=filed_on,
        amount=amount,
        jurisdiction=jurisdiction,
        case_number=case_number,
    )
