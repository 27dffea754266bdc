"""`creditpool demo` seeds a history through the bulk path, the same again on a re-run."""

from __future__ import annotations

import io
from datetime import date

from rich.console import Console
from sqlalchemy import func, select

from app.core.db import system_session
from app.demo import DEMO_SLUG, seed
from app.experiences.models import Experience
from app.groups.models import Group
from app.legal.models import LegalAction


def _counts() -> tuple[int, int]:
    with system_session(write=False) as session:
        group_id = session.execute(select(Group.id).where(Group.slug == DEMO_SLUG)).scalar_one()
        lines = session.execute(
            select(func.count()).select_from(Experience).where(Experience.group_id == group_id)
        ).scalar_one()
        actions = session.execute(
            select(func.count()).select_from(LegalAction).where(LegalAction.group_id == group_id)
        ).scalar_one()
    return lines, actions


def test_the_demo_history_is_seeded_once_and_the_same_on_a_rerun(api):
    out = io.StringIO()
    seed(Console(file=out, width=200))
    first = _counts()
    # 7 clients from 3 members and 1 from 2 members, 24 month ends each.
    assert first == ((7 * 3 + 2) * 24, 1)
    seed(Console(file=out, width=200))
    assert _counts() == first
    text = out.getvalue()
    assert "/profile" in text and "curl -s" in text

    token = api.post(
        "/v1/auth/token",
        data={"username": "northwind.analyst@creditpool.demo", "password": "demo-password-2026"},
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    judgments = api.get("/v1/legal-actions", headers=headers, params={"kind": "judgment"}).json()
    assert len(judgments["items"]) == 1
    assert judgments["items"][0]["reported_by_you"] is False


def test_the_demo_has_a_closed_meeting_an_open_poll_and_two_quarters_of_benchmarks(api):
    from app.demo_meetings import last_quarters

    out = io.StringIO()
    seed(Console(file=out, width=200))
    seed(Console(file=out, width=200))  # a re-run adds nothing
    token = api.post(
        "/v1/auth/token",
        data={"username": "acme.analyst@creditpool.demo", "password": "demo-password-2026"},
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    meetings = api.get("/v1/meetings", headers=headers).json()["items"]
    assert [m["status"] for m in meetings] == ["closed"]
    agenda = api.get(f"/v1/meetings/{meetings[0]['id']}/agenda", headers=headers).json()["items"]
    keystone = next(i for i in agenda if i["client"]["legal_name"] == "Keystone Remodeling Co")
    assert "collection" in keystone["reasons"] and keystone["nominations"] == 1
    assert keystone["nominated_by_you"] is False
    polls = api.get("/v1/polls", headers=headers, params={"status": "open"}).json()["items"]
    assert len(polls) == 1 and polls[0]["responses"] == 1
    for period in last_quarters(date.today()):
        figures = api.get(f"/v1/benchmarks/{period}", headers=headers).json()
        assert figures["metrics"]["dso"]["n"] == 3
        assert figures["metrics"]["pct_past_due"]["n"] == 3
    assert "/v1/polls/" in out.getvalue()
