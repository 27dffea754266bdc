"""/meetings (the discussion list: agenda, nominate, CSV), /polls (ask, answer, results)
and /benchmarks (your DSO beside the group's quartiles)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Form, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from app.auth.principal import Principal
from app.benchmarks import service as benchmarks_service
from app.benchmarks.schemas import BenchmarkEntryIn
from app.core.pagination import PageParams
from app.deps import SessionDep
from app.meetings import service as meetings_service
from app.meetings.schemas import MeetingCreate, NominationCreate
from app.polls import service as polls_service
from app.polls.schemas import PollAnswer, PollCreate
from app.web.clients import checked, whole_number
from app.web.pages import redirect, render, router_for
from app.web.session import may

router = router_for()

MeetingReader = Annotated[Principal, may("meetings:read")]
Organizer = Annotated[Principal, may("meetings:write")]
Nominator = Annotated[Principal, may("meetings:nominate", member=True)]
PollReader = Annotated[Principal, may("polls:read")]
PollWriter = Annotated[Principal, may("polls:write", member=True)]
BenchReader = Annotated[Principal, may("benchmarks:read")]
BenchWriter = Annotated[Principal, may("benchmarks:write", member=True)]

NOMINATION_REASONS = ["slow_pay", "collection", "nsf", "account_closed", "other"]
EXPERIENCES = ["prompt", "slow_1_30", "slow_31_60", "slow_over_60", "collection", "no_experience"]


def _client_ref(legal_name: str, country: str, tax_id: str) -> dict:
    client = {"legal_name": legal_name.strip(), "country": country.strip().upper()}
    if tax_id.strip():
        client["tax_id"] = tax_id.strip()
    return client


@router.get("/meetings")
def meetings_page(request: Request, principal: MeetingReader, session: SessionDep):
    meetings, _ = meetings_service.list_meetings(session, PageParams(limit=100))
    context = {
        "meetings": [meetings_service.to_out(m) for m in meetings],
        "today": date.today().isoformat(),
    }
    return render(request, "meetings.html", context)


@router.post("/meetings")
def plan_meeting(
    principal: Organizer,
    session: SessionDep,
    title: Annotated[str, Form()],
    held_on: Annotated[str, Form()],
):
    meeting = meetings_service.create(
        session, principal, checked(MeetingCreate, title=title.strip(), held_on=held_on)
    )
    return redirect(f"/meetings/{meeting.id}")


@router.get("/meetings/{meeting_id}")
def meeting_page(request: Request, meeting_id: str, principal: MeetingReader, session: SessionDep):
    meeting = meetings_service.to_out(meetings_service.get(session, meeting_id[:64]))
    items = meetings_service.agenda(session, principal, meeting.id)
    context = {"meeting": meeting, "items": items, "reasons": NOMINATION_REASONS}
    return render(request, "meeting.html", context)


@router.get("/meetings/{meeting_id}/agenda.csv")
def meeting_csv(meeting_id: str, principal: MeetingReader, session: SessionDep):
    meeting = meetings_service.get(session, meeting_id[:64])
    body = meetings_service.agenda_csv(session, principal, meeting.id)
    name = f"agenda-{meeting.held_on.isoformat()}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/meetings/{meeting_id}/nominations")
def nominate(
    meeting_id: str,
    principal: Nominator,
    session: SessionDep,
    legal_name: Annotated[str, Form()],
    country: Annotated[str, Form()],
    reason: Annotated[str, Form()],
    tax_id: Annotated[str, Form()] = "",
):
    body = checked(NominationCreate, client=_client_ref(legal_name, country, tax_id), reason=reason)
    meetings_service.nominate(session, principal, meeting_id[:64], body)
    return redirect(f"/meetings/{meeting_id}?done=nominated")


@router.post("/meetings/{meeting_id}/close")
def close_meeting(meeting_id: str, principal: Organizer, session: SessionDep):
    meetings_service.close(session, principal, meeting_id[:64])
    return redirect(f"/meetings/{meeting_id}?done=closed")


@router.get("/polls")
def polls_page(request: Request, principal: PollReader, session: SessionDep):
    open_polls, _ = polls_service.list_polls(
        session, principal, PageParams(limit=100), status="open"
    )
    closed, _ = polls_service.list_polls(session, principal, PageParams(limit=30), status="closed")
    context = {"open": open_polls, "closed": closed, "experiences": EXPERIENCES}
    return render(request, "polls.html", context)


@router.post("/polls")
def ask_poll(
    principal: PollWriter,
    session: SessionDep,
    legal_name: Annotated[str, Form()],
    country: Annotated[str, Form()],
    tax_id: Annotated[str, Form()] = "",
    closes_in_days: Annotated[str, Form()] = "7",
):
    body = checked(
        PollCreate,
        client=_client_ref(legal_name, country, tax_id),
        closes_in_days=whole_number(closes_in_days),
    )
    polls_service.ask(session, principal, body)
    return redirect("/polls?done=asked")


@router.post("/polls/{poll_id}/answer")
async def answer_poll(request: Request, poll_id: str, principal: PollWriter, session: SessionDep):
    form = await request.form()
    body = checked(
        PollAnswer,
        experience=str(form.get("experience") or ""),
        high_credit=str(form.get("high_credit") or "").strip(),
    )
    # The database's work off the event loop (see app/deps.py: _end).
    await run_in_threadpool(polls_service.answer, session, principal, poll_id[:64], body)
    return redirect("/polls?done=answered")


def _quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _previous_quarter(day: date) -> str:
    year, quarter = day.year, (day.month - 1) // 3 + 1
    return f"{year - 1}-Q4" if quarter == 1 else f"{year}-Q{quarter - 1}"


@router.get("/benchmarks")
def benchmarks_page(
    request: Request,
    principal: BenchReader,
    session: SessionDep,
    period: Annotated[str, Query(max_length=7)] = "",
):
    period = period or _previous_quarter(date.today())
    benchmark = benchmarks_service.read(session, principal, period)
    context = {
        "period": period,
        "benchmark": benchmark,
        "metrics": [
            ("dso", "DSO (days)"),
            ("bad_debt_pct", "Bad debt (%)"),
            ("pct_past_due", "Past due (% of owed)"),
            ("weighted_dbt", "Weighted DBT (days)"),
        ],
    }
    return render(request, "benchmarks.html", context)


@router.post("/benchmarks")
def submit_benchmark(
    principal: BenchWriter,
    session: SessionDep,
    period: Annotated[str, Form(max_length=7)],
    dso: Annotated[str, Form()],
    bad_debt_pct: Annotated[str, Form()] = "",
):
    body = checked(BenchmarkEntryIn, dso=dso.strip(), bad_debt_pct=bad_debt_pct.strip())
    benchmarks_service.submit(session, principal, period, body)
    return redirect(f"/benchmarks?period={period}&done=benchmark_saved")
