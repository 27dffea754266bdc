"""Building import CSVs, driving jobs, and counting what they stored, in tests."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from sqlalchemy import func, select

from app.core.db import system_session
from app.experiences.models import Experience

HEADER = [
    "customer_ref",
    "legal_name",
    "country",
    "tax_id",
    "postal_code",
    "as_of",
    "currency",
    "terms_days",
    "high_credit",
    "total_owed",
    "current",
    "past_due_1_30",
    "past_due_31_60",
    "past_due_61_90",
    "past_due_over_90",
    "days_beyond_terms",
    "comments",
]


def month_end(months_back: int) -> date:
    day = date.today().replace(day=1) - timedelta(days=1)
    for _ in range(months_back):
        day = day.replace(day=1) - timedelta(days=1)
    return day


def row(n: int, tag: str, *, as_of: date | None = None, **overrides) -> dict:
    """A valid row for client number `n`: 1,000.00 owed, 700 current, 300 at 1-30 days."""
    body = {
        "customer_ref": f"C{n:06d}",
        "legal_name": f"Client {tag} {n} Inc",
        "country": "US",
        "tax_id": f"{tag}-{n}",
        "postal_code": "60601",
        "as_of": (as_of or month_end(0)).isoformat(),
        "currency": "USD",
        "terms_days": "30",
        "high_credit": "2500.00",
        "total_owed": "1000.00",
        "current": "700.00",
        "past_due_1_30": "300.00",
        "past_due_31_60": "0",
        "past_due_61_90": "0",
        "past_due_over_90": "0",
        "days_beyond_terms": "",
        "comments": "PROMPT;SLOW",
    }
    body.update(overrides)
    return body


def to_csv(rows: list[dict], header: list[str] = HEADER, delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def upload(
    api,
    actor,
    data: bytes,
    name: str = "aging.csv",
    headers: dict | None = None,
    params: dict | None = None,
):
    return api.post(
        "/v1/imports",
        headers={**actor.headers, **(headers or {})},
        files={"file": (name, data, "text/csv")},
        params=params,
    )


def drain(worker, rounds: int = 1000) -> None:
    """Run the background worker until it has nothing left to do."""
    for _ in range(rounds):
        if worker.run_once() == 0:
            return
    raise AssertionError("the worker never ran out of work")


def run_import(api, worker, actor, data: bytes) -> dict:
    queued = upload(api, actor, data)
    assert queued.status_code == 202, queued.text
    drain(worker)
    job = api.get(f"/v1/imports/{queued.json()['id']}", headers=actor.headers)
    assert job.status_code == 200, job.text
    return job.json()


def stored_lines(member_id: str) -> int:
    """How many trade lines of the member are stored (committed), however they came."""
    with system_session(write=False) as session:
        return session.execute(
            select(func.count()).select_from(Experience).where(Experience.member_id == member_id)
        ).scalar_one()
