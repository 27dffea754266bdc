"""What a newcomer hit first (issue 17, "smaller things"): the demo key, `creditpool
migrate` on a new database, logs, and the trend's month in progress."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from datetime import date, timedelta

from rich.console import Console

from app.core.config import Settings
from app.demo import seed
from tests.helpers import company, line


def _demo_key(out: io.StringIO) -> str:
    return re.findall(r"\(shown once\): (cpk_\S+)", out.getvalue())[-1]


def test_each_demo_run_revokes_the_key_the_last_one_printed(api):
    first_out, second_out = io.StringIO(), io.StringIO()
    seed(Console(file=first_out, width=300), "http://127.0.0.1:8123")
    first = _demo_key(first_out)
    assert api.get("/v1/me", headers={"X-API-Key": first}).status_code == 200
    seed(Console(file=second_out, width=300), "http://127.0.0.1:8123")
    second = _demo_key(second_out)
    assert api.get("/v1/me", headers={"X-API-Key": first}).status_code == 401
    assert api.get("/v1/me", headers={"X-API-Key": second}).status_code == 200
    assert "http://127.0.0.1:8123/v1/me" in second_out.getvalue()
    # Not the default port (a client id may hold the digits "8000" by chance).
    assert ":8000" not in second_out.getvalue()
    # The README's fraud report example works with the demo key.
    report = api.post(
        "/v1/fraud-reports",
        headers={"X-API-Key": second},
        json={
            "client": company(),
            "category": "impersonation",
            "description": "A caller posing as the owner asked to change bank details.",
            "amount": "12500.00",
            "incident_date": "2026-10-02",
        },
    )
    assert report.status_code == 201, report.text


def _migrate(tmp_path, url: str) -> str:
    env = {**os.environ, "DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_migrate_says_created_then_up_to_date(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert "database created" in _migrate(tmp_path, url)
    again = _migrate(tmp_path, url)
    assert "already up to date" in again and "created" not in again


def test_logs_are_json_outside_development_and_text_in_it():
    assert Settings(environment="production", secret_key="x" * 40).logs_as_json is True
    assert Settings(environment="test").logs_as_json is True
    assert Settings(environment="development").logs_as_json is False
    assert Settings(environment="development", log_json=True).logs_as_json is True


def test_the_current_month_of_the_trend_is_marked_in_progress(api, world):
    member = world.a.members[0]
    today = date.today()
    stored = api.post(
        "/v1/experiences",
        headers=member.key.headers,
        json=line(company(), as_of=today.isoformat()),
    )
    assert stored.status_code == 201, stored.text
    profile = api.get(
        f"/v1/clients/{stored.json()['client_id']}/profile", headers=world.a.admin.headers
    ).json()
    trend = profile["trend"]
    assert trend[-1]["month"] == today.strftime("%Y-%m")
    assert [m["in_progress"] for m in trend] == [False] * (len(trend) - 1) + [True]
    last_month = api.get(
        f"/v1/clients/{stored.json()['client_id']}/profile",
        headers=world.a.admin.headers,
        params={"as_of": (today.replace(day=1) - timedelta(days=1)).isoformat()},
    ).json()
    assert not any(m["in_progress"] for m in last_month["trend"])
