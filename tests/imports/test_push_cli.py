"""`creditpool push` against a real server on a loopback port."""

from __future__ import annotations

import threading
import uuid

import pytest
from typer.testing import CliRunner

from app.cli import app as cli
from tests.imports.csvs import HEADER, row, to_csv
from tests.served import served as serve


@pytest.fixture
def served(app, worker):
    """The app served by uvicorn on 127.0.0.1, with its background worker running."""
    stop = threading.Event()

    def background():
        while not stop.is_set():
            if worker.run_once() == 0:
                stop.wait(0.05)

    runner = threading.Thread(target=background, daemon=True)
    runner.start()
    try:
        with serve(app) as url:
            yield url
    finally:
        stop.set()
        runner.join(10)


def push(*args: str):
    return CliRunner().invoke(cli, ["push", *args, "--poll-seconds", "0.1"])


def test_push_uploads_follows_the_job_and_prints_the_summary(served, api, world, tmp_path):
    member = world.a.members[0]
    key = member.key.headers["X-API-Key"]
    tag = uuid.uuid4().hex[:6]
    path = tmp_path / "aging-2026-10.csv"
    path.write_bytes(to_csv([row(n, tag) for n in range(40)] + [row(99, tag, total_owed="3")]))

    result = push(str(path), "--url", served, "--api-key", key)
    assert result.exit_code == 0, result.output
    assert "done" in result.output
    assert "40" in result.output  # created
    assert "line 42" in result.output and "total_owed" in result.output
    jobs = api.get("/v1/imports", headers=member.key.headers).json()["items"]
    assert len(jobs) == 1 and jobs[0]["created"] == 40 and jobs[0]["rejected"] == 1

    # Run again (a dropped connection, a nervous operator): the same import, not a second.
    again = push(str(path), "--url", served, "--api-key", key)
    assert again.exit_code == 0, again.output
    assert "already uploaded" in again.output
    assert len(api.get("/v1/imports", headers=member.key.headers).json()["items"]) == 1


def test_push_fails_with_the_reason(served, world, tmp_path):
    key = world.a.members[1].key.headers["X-API-Key"]
    wrong = tmp_path / "wrong.csv"
    wrong.write_bytes(",".join(HEADER + ["colour"]).encode() + b"\n" + b"x," * len(HEADER) + b"x\n")
    result = push(str(wrong), "--url", served, "--api-key", key)
    assert result.exit_code == 1
    assert "unknown column 'colour'" in result.output

    good = tmp_path / "good.csv"
    good.write_bytes(to_csv([row(1, "x")]))
    refused = push(str(good), "--url", served, "--api-key", "not-a-key")
    assert refused.exit_code == 1
    assert "401" in refused.output
    unreachable = push(str(good), "--url", "http://127.0.0.1:9", "--api-key", key)
    assert unreachable.exit_code == 1
    assert "Could not reach" in unreachable.output


def test_push_exits_1_when_every_row_is_refused_and_says_so(served, world, tmp_path):
    key = world.a.members[2].key.headers["X-API-Key"]
    path = tmp_path / "all-wrong.csv"
    path.write_bytes(to_csv([row(n, "bad", total_owed="3") for n in range(3)]))
    result = push(str(path), "--url", served, "--api-key", key)
    assert result.exit_code == 1, result.output
    assert "Every row was refused (3): nothing imported." in result.output


def test_push_strict_exits_1_when_any_row_is_refused(served, world, tmp_path):
    key = world.a.members[1].key.headers["X-API-Key"]
    tag = uuid.uuid4().hex[:6]
    path = tmp_path / "one-wrong.csv"
    path.write_bytes(to_csv([row(1, tag), row(2, tag, total_owed="3")]))
    dry = push(str(path), "--url", served, "--api-key", key, "--dry-run", "--strict")
    assert dry.exit_code == 1, dry.output
    assert "dry run: nothing was stored" in dry.output
    assert "--strict: 1 rows were refused." in dry.output
    lenient = push(str(path), "--url", served, "--api-key", key)
    assert lenient.exit_code == 0, lenient.output
    strict = push(
        str(path),
        "--url",
        served,
        "--api-key",
        key,
        "--strict",
        "--idempotency-key",
        "again-strict",
    )
    assert strict.exit_code == 1, strict.output
    assert "--strict: 1 rows were refused." in strict.output
