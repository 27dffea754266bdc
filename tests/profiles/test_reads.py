"""Who may read profiles (reciprocity) and how reads are recorded (inquiries, audit)."""

import uuid
from datetime import date

from sqlalchemy import func, select

from app.core.db import system_session
from app.profiles.models import Inquiry
from app.profiles.reads import READS
from tests.imports.csvs import row, run_import, to_csv
from tests.profiles.helpers import line, new_client, profile, set_settings, submit

AS_OF = date(2025, 6, 15)


def test_a_member_that_shared_nothing_lately_must_reciprocate(api, world):
    m1, _, m3 = world.a.members
    client = new_client(api, m1.analyst)
    submit(api, m1.key, line(client, AS_OF))
    for actor in (m3.analyst, m3.viewer, m3.key):
        response = api.get(f"/v1/clients/{client}/profile", headers=actor.headers)
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "reciprocity_required"
    # One line of its own, about any client, opens profiles to the whole member.
    submit(api, m3.key, line(new_client(api, m3.analyst), AS_OF))
    profile(api, m3.viewer, client)


def test_a_single_line_opens_profiles_and_deleting_it_does_not_close_them(api, world):
    m1, _, m3 = world.a.members
    client = new_client(api, m1.analyst)
    submit(api, m1.key, line(client, AS_OF))
    profile(api, m3.analyst, client, status=403)
    own = api.post(
        "/v1/experiences", headers=m3.analyst.headers, json=line(new_client(api, m3.analyst), AS_OF)
    )
    assert own.status_code in (200, 201), own.text
    profile(api, m3.analyst, client)
    # A member that shared, shared: taking its only line back does not close them again.
    deleted = api.delete(f"/v1/experiences/{own.json()['id']}", headers=m3.analyst.headers)
    assert deleted.status_code == 204, deleted.text
    profile(api, m3.analyst, client)


def test_an_imported_file_opens_profiles_to_the_member(api, world, worker):
    m1, _, m3 = world.a.members
    client = new_client(api, m1.analyst)
    submit(api, m1.key, line(client, AS_OF))
    profile(api, m3.viewer, client, status=403)
    job = run_import(api, worker, m3.analyst, to_csv([row(1, uuid.uuid4().hex[:6])]))
    assert (job["status"], job["created"]) == ("done", 1), job
    profile(api, m3.viewer, client)


def test_a_member_of_another_group_sharing_opens_nothing_here(api, world):
    m1, _, m3 = world.a.members
    client = new_client(api, m1.analyst)
    outsider = world.b.members[0]
    submit(api, outsider.key, line(new_client(api, outsider.analyst), AS_OF))
    profile(api, m3.analyst, client, status=403)


def test_group_admins_are_exempt_from_reciprocity(api, world):
    client = new_client(api, world.a.members[0].analyst)
    assert profile(api, world.a.admin, client)["contributors"] == 0


def test_zero_reciprocity_days_turns_the_rule_off(api, world):
    m3 = world.a.members[2]
    client = new_client(api, world.a.members[0].analyst)
    assert api.get(f"/v1/clients/{client}/profile", headers=m3.analyst.headers).status_code == 403
    set_settings(api, world.a, reciprocity_days=0)
    profile(api, m3.analyst, client)
    set_settings(api, world.a, reciprocity_days=30)
    response = api.get(f"/v1/clients/{client}/profile", headers=m3.analyst.headers)
    assert response.json()["code"] == "reciprocity_required"


def test_inquiries_count_distinct_members_in_90_days(api, world, worker):
    m1, m2, m3 = world.a.members
    set_settings(api, world.a, reciprocity_days=0)
    client = new_client(api, m1.analyst)
    # The first read counts itself.
    assert profile(api, m1.analyst, client)["inquiries_90d"] == 1
    # Twice by member 1 (its analyst and its key), a group admin: still one member.
    assert profile(api, m1.key, client)["inquiries_90d"] == 1
    assert profile(api, world.a.admin, client)["inquiries_90d"] == 1
    assert profile(api, m2.viewer, client)["inquiries_90d"] == 2
    worker.run_once()  # written now; counted the same from the table
    assert READS.members_reading(world.a.id, client, *_whole_range()) == set()
    assert profile(api, m3.analyst, client)["inquiries_90d"] == 3
    assert profile(api, m1.analyst, client)["inquiries_90d"] == 3
    worker.run_once()
    with system_session(write=False) as session:
        rows = session.execute(
            select(Inquiry.member_id, func.count())
            .where(Inquiry.client_id == client)
            .group_by(Inquiry.member_id)
        ).all()
    assert dict(rows) == {m1.id: 3, m2.id: 1, m3.id: 1}  # every member read, none lost
    # A profile as of a day before any read counts none of them.
    assert profile(api, m1.analyst, client, as_of="2025-01-01")["inquiries_90d"] == 0
    # Another client's readers are its own.
    other = new_client(api, m1.analyst)
    assert profile(api, m2.analyst, other)["inquiries_90d"] == 1


def test_profile_reads_reach_the_audit_log_in_batches(api, world, worker):
    m1 = world.a.members[0]
    set_settings(api, world.a, reciprocity_days=0)
    client = new_client(api, m1.analyst)
    profile(api, m1.analyst, client)
    profile(api, world.a.admin, client)
    worker.run_once()
    response = api.get(
        "/v1/audit-events",
        params={"action": "profile.read", "resource": f"client/{client}"},
        headers=world.a.admin.headers,
    )
    assert response.status_code == 200
    events = response.json()["items"]
    assert len(events) == 2
    assert {e["actor"] for e in events} == {
        f"user:{m1.analyst.email}",
        f"user:{world.a.admin.email}",
    }


def test_a_refused_read_is_not_an_inquiry(api, world, worker):
    m1, _, m3 = world.a.members
    client = new_client(api, m1.analyst)
    submit(api, m1.key, line(client, AS_OF))
    assert api.get(f"/v1/clients/{client}/profile", headers=m3.analyst.headers).status_code == 403
    assert profile(api, m1.analyst, client)["inquiries_90d"] == 1


def _whole_range():
    from datetime import UTC, datetime

    return datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


def test_a_failed_flush_keeps_the_reads_for_the_next_round(api, world, worker, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from app.profiles import reads

    m1 = world.a.members[0]
    set_settings(api, world.a, reciprocity_days=0)
    client = new_client(api, m1.analyst)
    worker.run_once()

    def database_down(batch):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(reads, "_insert", database_down)
    profile(api, m1.analyst, client)
    worker.run_once()  # fails, logged by the worker
    assert READS.members_reading(world.a.id, client, *_whole_range()) == {m1.id}
    assert profile(api, world.a.members[1].analyst, client)["inquiries_90d"] == 2
    monkeypatch.undo()
    worker.run_once()
    with system_session(write=False) as session:
        count = session.execute(
            select(func.count()).select_from(Inquiry).where(Inquiry.client_id == client)
        ).scalar_one()
    assert count == 2


def test_past_the_batch_size_the_reads_are_written_without_the_worker(api, world, monkeypatch):
    """A process serving without its worker (or far ahead of it) still writes its reads:
    past MAX_BATCH a thread of their own does, never the reading request."""
    import threading
    import time

    from sqlalchemy import func, select

    from app.core.db import system_session
    from app.profiles import reads
    from app.profiles.models import Inquiry

    reads.READS.flush()
    monkeypatch.setattr(reads, "MAX_BATCH", 3)
    m1 = world.a.members[0]
    client = new_client(api, m1.analyst)
    submit(api, m1.key, line(client, AS_OF))
    requests = []
    real_flush = reads.ProfileReadLog.flush

    def flush(self):
        requests.append(threading.current_thread().name)
        return real_flush(self)

    monkeypatch.setattr(reads.ProfileReadLog, "flush", flush)
    for _ in range(3):
        profile(api, m1.analyst, client)
    deadline = time.monotonic() + 10
    while reads.READS.pending() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert reads.READS.pending() == 0
    assert requests == ["profile-reads-flush"]
    with system_session(write=False) as session:
        count = session.execute(
            select(func.count()).select_from(Inquiry).where(Inquiry.client_id == client)
        ).scalar_one()
    assert count == 3
    # The reads written still count, now from the database.
    assert profile(api, m1.analyst, client)["inquiries_90d"] == 1


def _read_rows(client: str) -> tuple[int, int]:
    """(inquiry rows, profile.read audit events) stored for the client."""
    from app.audit.models import AuditEvent

    with system_session(write=False) as session:
        inquiries = session.execute(
            select(func.count()).select_from(Inquiry).where(Inquiry.client_id == client)
        ).scalar_one()
        audited = session.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.resource == f"client/{client}", AuditEvent.action == "profile.read")
        ).scalar_one()
    return inquiries, audited


def test_the_reads_of_a_process_that_died_are_written_by_another(api, world):
    """A process killed before its worker wrote its reads loses none of them: they are
    in its journal, which another process leaves alone while its owner lives and writes
    once the owner's lock is gone."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from app.profiles import reads

    m1, m2, m3 = world.a.members
    client = new_client(api, m1.analyst)
    submit(api, m1.key, line(client, AS_OF))
    readers = [m2.id, m3.id]
    serves_then_waits = (
        "import sys\n"
        "from datetime import UTC, date, datetime\n"
        "from app.profiles.reads import READS, ProfileRead\n"
        f"for member in {readers!r}:\n"
        f"    READS.record(ProfileRead({world.a.id!r}, {client!r}, member, 'key:k',\n"
        "                             datetime.now(UTC), date.today()))\n"
        "print(READS._journal.path, flush=True)\n"
        "sys.stdin.read()\n"
    )
    other = subprocess.Popen(
        [sys.executable, "-c", serves_then_waits],
        cwd=Path(__file__).resolve().parents[2],
        env=os.environ,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        journal = Path(other.stdout.readline().strip())
        assert journal.read_bytes().count(b"\n") == 2
        # Alive: its journal is its own.
        assert reads.recover_profile_reads() == 0
        assert journal.exists() and _read_rows(client) == (0, 0)
    finally:
        other.kill()  # SIGKILL: no shutdown, no flush
        other.wait(timeout=60)
    assert other.returncode == -signal.SIGKILL
    with journal.open("ab") as cut:
        cut.write(b'["a line the process was writing when it')  # died mid-write
    kept = journal.read_bytes()

    assert reads.recover_profile_reads() == 2
    assert _read_rows(client) == (2, 2)
    assert not journal.exists()
    assert profile(api, m1.analyst, client)["inquiries_90d"] == 3

    # Written twice (say, a crash between the commit and the delete), it counts once.
    journal.write_bytes(kept)
    reads.recover_profile_reads()
    assert _read_rows(client) == (2, 2)
    assert not journal.exists()


def test_a_forked_child_leaves_its_parents_reads_and_journal_alone(api, world):
    import os

    from app.profiles import reads

    reads.READS.flush()
    m1 = world.a.members[0]
    client = new_client(api, m1.analyst)
    submit(api, m1.key, line(client, AS_OF))
    profile(api, m1.analyst, client)
    parents = reads.READS._journal.path
    pid = os.fork()
    if pid == 0:  # the child: nothing of the parent's reads, its own journal if any
        ok = reads.READS.pending() == 0 and reads.READS._journal is None
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    # The parent's journal is still locked (its own), and its read still pending.
    assert reads.recover_profile_reads() == 0
    assert parents.read_bytes().count(b"\n") == 1
    assert reads.READS.flush() == 1
    assert _read_rows(client) == (1, 1)


def test_a_live_process_journal_is_left_to_its_owner(api, world):
    from app.profiles import reads

    reads.READS.flush()
    m1 = world.a.members[0]
    client = new_client(api, m1.analyst)
    submit(api, m1.key, line(client, AS_OF))
    profile(api, m1.analyst, client)
    journal = reads.READS._journal.path
    assert journal.read_bytes().count(b"\n") == 1

    assert reads.recover_profile_reads() == 0  # our own journal: locked, ours
    assert _read_rows(client) == (0, 0)
    assert reads.READS.pending() == 1
    assert reads.READS.flush() == 1
    assert _read_rows(client) == (1, 1)
    # The batch's lines left with it, in a file of their own, gone once written; the
    # journal goes on in a new file (a path is never used twice).
    assert not journal.exists()
    assert not list(reads.journal_dir().glob("*.taken"))
    assert reads.READS._journal.path != journal
    assert reads.READS._journal.path.read_bytes() == b""


def test_a_journal_that_cannot_be_written_stops_no_read(api, world, monkeypatch):
    """A full disk or a read-only DATA_DIR: the reads are served and kept in memory (and
    written by the worker), as before the journal; it is tried again later."""
    import errno

    from app.profiles import reads

    reads.READS.flush()
    m1, m2 = world.a.members[:2]
    client = new_client(api, m1.analyst)
    submit(api, m1.key, line(client, AS_OF))
    submit(api, m2.key, line(client, AS_OF))

    def disk_full(self, line):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(reads._Journal, "append", disk_full)
    assert profile(api, m1.analyst, client)["inquiries_90d"] == 1
    assert profile(api, m2.analyst, client)["inquiries_90d"] == 2
    assert reads.READS.flush() == 2
    assert _read_rows(client) == (2, 2)
    monkeypatch.undo()
    reads.READS._journal_retry_at = 0.0  # a minute later
    profile(api, m1.analyst, client)
    assert reads.READS._journal.path.read_bytes().count(b"\n") == 1
    reads.READS.flush()
