"""Who may read profiles (reciprocity) and how reads are recorded (inquiries, audit)."""

import uuid
from datetime import date

from sqlalchemy import func, select

from app.core.db import system_session
from app.profiles.models import Inquiry
from tests.helpers import inserts_refused
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


def test_inquiries_count_distinct_members_in_90_days(api, world):
    m1, m2, m3 = world.a.members
    set_settings(api, world.a, reciprocity_days=0)
    client = new_client(api, m1.analyst)
    # The first read counts itself.
    assert profile(api, m1.analyst, client)["inquiries_90d"] == 1
    # Twice by member 1 (its analyst and its key), a group admin: still one member.
    assert profile(api, m1.key, client)["inquiries_90d"] == 1
    assert profile(api, world.a.admin, client)["inquiries_90d"] == 1
    assert profile(api, m2.viewer, client)["inquiries_90d"] == 2
    assert profile(api, m3.analyst, client)["inquiries_90d"] == 3
    assert profile(api, m1.analyst, client)["inquiries_90d"] == 3
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


def test_a_profile_read_is_in_the_audit_log_once_answered(api, world):
    """Recorded in the read's own transaction: no worker needs to run first."""
    m1 = world.a.members[0]
    set_settings(api, world.a, reciprocity_days=0)
    client = new_client(api, m1.analyst)
    profile(api, m1.analyst, client)
    profile(api, world.a.admin, client)
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


def test_a_refused_read_records_nothing(api, world):
    m1, _, m3 = world.a.members
    client = new_client(api, m1.analyst)
    submit(api, m1.key, line(client, AS_OF))
    assert api.get(f"/v1/clients/{client}/profile", headers=m3.analyst.headers).status_code == 403
    future = api.get(
        f"/v1/clients/{client}/profile", headers=m1.analyst.headers, params={"as_of": "2999-01-01"}
    )
    assert future.status_code == 422
    elsewhere = api.get(f"/v1/clients/{client}/profile", headers=world.b.admin.headers)
    assert elsewhere.status_code == 404
    assert _reads_recorded(client) == (0, 0)
    assert profile(api, m1.analyst, client)["inquiries_90d"] == 1
    assert _reads_recorded(client) == (1, 1)


def test_a_past_profile_counts_the_readers_of_its_own_window(api, world):
    """As of a past day, the window ends with that day: today's read is recorded but
    not counted in it, and an earlier read by the same member counts once."""
    m1, m2, _ = world.a.members
    set_settings(api, world.a, reciprocity_days=0)
    client = new_client(api, m1.analyst)
    assert profile(api, m1.analyst, client, as_of="2025-01-01")["inquiries_90d"] == 0
    assert profile(api, m2.analyst, client)["inquiries_90d"] == 2  # both read today
    assert profile(api, m2.analyst, client)["inquiries_90d"] == 2
    assert _reads_recorded(client) == (3, 3)


def _reads_recorded(client: str) -> tuple[int, int]:
    """(inquiries, profile.read audit events) about the client, as committed."""
    from app.audit.models import AuditEvent

    with system_session(write=False) as session:
        inquiries = session.execute(
            select(func.count()).select_from(Inquiry).where(Inquiry.client_id == client)
        ).scalar_one()
        events = session.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "profile.read", AuditEvent.resource == f"client/{client}")
        ).scalar_one()
    return inquiries, events


def test_a_read_whose_record_cannot_be_stored_is_not_answered(api, world):
    """The inquiry and audit event are committed before the profile is sent (on SQLite
    in a batch with other reads', on PostgreSQL in the read's transaction): when they
    cannot be stored, the caller gets an error, not the profile, and nothing is kept."""
    m1 = world.a.members[0]
    set_settings(api, world.a, reciprocity_days=0)
    client = new_client(api, m1.analyst)
    submit(api, m1.key, line(client, AS_OF))
    with inserts_refused("inquiry", "client_id", client):
        answer = api.get(f"/v1/clients/{client}/profile", headers=m1.analyst.headers)
        assert answer.status_code >= 500, answer.text
        assert "contributors" not in answer.text
    assert _reads_recorded(client) == (0, 0)
    assert profile(api, m1.analyst, client)["inquiries_90d"] == 1
    assert _reads_recorded(client) == (1, 1)


def test_a_read_outside_a_request_is_recorded_when_it_returns(api, world):
    """A session no request owns (a script, the CLI) writes the read's record at once."""
    from app.auth.principal import Principal, Role
    from app.profiles.service import read_profile
    from app.tenancy.session import group_session

    m1 = world.a.members[0]
    client = new_client(api, m1.analyst)
    submit(api, m1.key, line(client, AS_OF))
    reader = Principal(
        kind="user", id="script", group_id=world.a.id, member_id=m1.id, role=Role.group_admin
    )
    with group_session(world.a.id, write=False) as session:
        body = read_profile(session, reader, client)
    assert client in body and body.endswith('"inquiries_90d":1}')
    assert _reads_recorded(client) == (1, 1)
