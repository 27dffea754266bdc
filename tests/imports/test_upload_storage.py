"""14.14 and 14.15: uploads when the disk is full or the database refuses the job, and
the upload files nobody needs.

- A full `DATA_DIR` (here: a served process whose files may not grow past 1 MiB,
  RLIMIT_FSIZE, which fails a write with EFBIG as a full disk fails it with ENOSPC) is
  507 `insufficient_storage`, without the OS's words, logged as an error, and the
  partial file is removed.
- A queueing whose transaction fails (the database read-only) leaves no file behind.
- Files no queued or running job references, older than the grace period, are removed
  when a process starts (and on the worker's timer); a referenced file and a fresh one
  (an upload in flight) are kept.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import httpx

from app.core import db
from app.core.security import create_access_token
from app.imports.service import upload_dir
from app.users.bootstrap import create_platform_admin
from tests.imports.csvs import drain, row, to_csv, upload
from tests.served import served_process

TWO_HOURS = 2 * 3600


def _csv_files(directory: Path) -> list[Path]:
    return sorted((directory / "imports").glob("*.csv")) if directory.exists() else []


def test_an_upload_into_a_full_data_dir_is_507_and_leaves_nothing(world, tmp_path):
    data_dir, log_path = tmp_path / "data", tmp_path / "server.log"
    analyst = world.a.members[0].analyst
    big = to_csv([row(n, "full") for n in range(12_000)])  # about 1.4 MB
    assert len(big) > 1 << 20
    with served_process(
        {"DATA_DIR": str(data_dir)}, limit_file_bytes=1 << 20, log_path=log_path
    ) as base:
        answer = httpx.post(
            base + "/v1/imports",
            headers=analyst.headers,
            files={"file": ("aging.csv", big, "text/csv")},
            timeout=60,
        )
        assert answer.status_code == 507, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] == "insufficient_storage"
        assert int(answer.headers["retry-after"]) > 0
        for word in ("Errno", "File too large", "No space", str(data_dir)):
            assert word not in answer.text
        assert _csv_files(data_dir) == []
    log = log_path.read_text()
    assert "insufficient_storage" in log and "ERROR" in log


def _read_only_member(tmp_path: Path) -> tuple[Path, dict]:
    """A scratch SQLite database with one member's analyst, and the analyst's headers."""
    path = tmp_path / "queue.db"
    db.migrate(f"sqlite:///{path}")
    writable = db.Database(f"sqlite:///{path}")
    with writable.system_session() as session:
        platform_id = create_platform_admin(
            session, f"pa-{uuid.uuid4().hex[:8]}@example.com", "platform-password-1"
        ).id
    writable.dispose()
    platform = {"Authorization": f"Bearer {create_access_token(platform_id)[0]}"}
    password = "analyst-password-1"
    with (
        served_process({"DATABASE_URL": f"sqlite:///{path}"}) as base,
        httpx.Client(base_url=base, timeout=30) as api,
    ):
        admin = {"email": f"ga-{uuid.uuid4().hex[:8]}@example.com", "password": password}
        slug = f"q-{uuid.uuid4().hex[:8]}"
        assert api.post("/v1/groups", headers=platform, json={
            "name": "Queue", "slug": slug, "admin": admin}).status_code == 201  # fmt: skip

        def login(email: str) -> dict:
            token = api.post("/v1/auth/token", data={"username": email, "password": password})
            return {"Authorization": f"Bearer {token.json()['access_token']}"}

        group_admin = login(admin["email"])
        member = api.post("/v1/members", headers=group_admin, json={"name": "M"}).json()
        email = f"an-{uuid.uuid4().hex[:8]}@example.com"
        user = {"email": email, "password": password, "role": "credit_analyst",
                "member_id": member["id"]}  # fmt: skip
        assert api.post("/v1/users", headers=group_admin, json=user).status_code == 201
        return path, login(email)


def test_a_queueing_that_fails_leaves_no_file(tmp_path):
    path, analyst = _read_only_member(tmp_path)
    data_dir = tmp_path / "data"
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    with served_process({"DATABASE_URL": read_only, "DATA_DIR": str(data_dir)}) as base:
        for extra in ({}, {"Idempotency-Key": str(uuid.uuid4())}):
            answer = httpx.post(
                base + "/v1/imports",
                headers=analyst | extra,
                files={"file": ("aging.csv", to_csv([row(1, "ro")]), "text/csv")},
                timeout=30,
            )
            assert answer.status_code == 503, answer.text
            assert answer.json()["code"] == "database_unavailable"
            assert _csv_files(data_dir) == []


def test_orphaned_upload_files_are_swept_when_a_process_starts(api, world, worker):
    analyst = world.a.members[0].analyst
    job_id = upload(api, analyst, to_csv([row(1, uuid.uuid4().hex[:6])])).json()["id"]
    directory = upload_dir()
    referenced = directory / f"{job_id}.csv"
    old_orphan = directory / f"{uuid.uuid4()}.csv"  # a process died mid-upload, long ago
    in_flight = directory / f"{uuid.uuid4()}.csv"  # an upload arriving right now
    for orphan in (old_orphan, in_flight):
        orphan.write_bytes(b"customer_ref,legal_name\n")
    long_ago = time.time() - TWO_HOURS
    for path in (referenced, old_orphan):
        os.utime(path, (long_ago, long_ago))

    with served_process():  # its start-up sweeps
        pass

    assert not old_orphan.exists()
    assert referenced.exists() and in_flight.exists()
    in_flight.unlink()
    drain(worker)
    done = api.get(f"/v1/imports/{job_id}", headers=analyst.headers).json()
    assert done["status"] == "done", done
