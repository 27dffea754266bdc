"""`creditpool demo` seeds a history through the bulk path, the same again on a re-run."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import date

import pytest
from rich.console import Console
from sqlalchemy import create_engine, func, select, text, update

from app.core.db import system_session
from app.demo import DEMO_SLUG, seed
from app.experiences.models import Experience
from app.groups.models import Group
from app.legal.models import LegalAction
from app.webhooks.models import WebhookDelivery


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


@pytest.fixture
def demo_deliveries_cancelled():
    """The demo's webhook points nowhere: its queued deliveries are cancelled after the
    story, so that a later story's worker round does not try them."""
    yield
    table = WebhookDelivery.__table__
    with system_session() as session:
        session.execute(update(table).where(table.c.status == "pending").values(status="cancelled"))


def test_the_demo_history_is_seeded_once_and_the_same_on_a_rerun(api, demo_deliveries_cancelled):
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


def test_the_demo_has_a_closed_meeting_an_open_poll_and_two_quarters_of_benchmarks(
    api, demo_deliveries_cancelled
):
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


def test_the_demo_command_raises_the_alerts_and_queues_the_webhooks_a_month_would(tmp_path):
    """`creditpool demo`, run as a command against its own database, goes through the
    same wiring as the app (app.wiring): its history alerts the members concerned and
    queues the deliveries of the demo member's webhook."""
    database = tmp_path / "demo.db"
    env = os.environ | {"DATABASE_URL": f"sqlite:///{database}", "DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "demo"], env=env, capture_output=True, timeout=300
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    engine = create_engine(f"sqlite:///{database}")
    with engine.connect() as conn:
        alerts = dict(conn.execute(text("SELECT type, count(*) FROM alert GROUP BY type")).all())
        deliveries = dict(
            conn.execute(
                text("SELECT event_type, count(*) FROM webhook_delivery GROUP BY event_type")
            ).all()
        )
    engine.dispose()
    # The judgment one member files reaches the two others that sell to the client, and
    # the first member's webhook.
    assert alerts.get("legal_action.created") == 2, alerts
    assert deliveries.get("legal_action.created") == 1, deliveries
    # Lakeshore Homes slides by more than 10 points of payment index in its last month:
    # the third member's lines deteriorate the profile for the two others, and the first
    # member's webhook hears of it.
    assert alerts.get("profile.deteriorated") == 2, alerts
    assert deliveries.get("profile.deteriorated") == 1, deliveries
