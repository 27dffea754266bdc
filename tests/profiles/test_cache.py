"""Each process keeps computed profiles under the group's data version: a second read is
served from memory, and every change to what a profile shows is on the next read, in
this process and in any other (app/profiles/cache.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from app.core.db import get_engine
from app.profiles.cache import profile_cache
from tests.fraud import support as fraud
from tests.profiles.helpers import line, new_client, profile, set_settings, submit
from tests.world import add_member

AS_OF = date(2025, 6, 15)


def _three_members_report(api, world, client_id):
    for i, member in enumerate(world.a.members[:3]):
        submit(api, member.key, line(client_id, AS_OF, high_credit=1000 * (i + 1)))


def _data_version(group_id: str) -> int:
    with get_engine().connect() as conn:
        return conn.execute(
            text("SELECT data_version FROM trade_group WHERE id = :g"), {"g": group_id}
        ).scalar_one()


def test_a_second_read_is_served_from_memory(api, world):
    client = new_client(api, world.a.members[0].analyst)
    _three_members_report(api, world, client)
    reader = world.a.members[0].analyst
    first = profile(api, reader, client, as_of=AS_OF.isoformat())
    hits = profile_cache().hits
    second = profile(api, reader, client, as_of=AS_OF.isoformat())
    assert profile_cache().hits == hits + 1
    assert second == first


def test_what_each_reader_sees_of_a_cached_profile_is_its_own(api, world):
    """The pooled part is shared; the caller's own line and legal actions are not."""
    client = new_client(api, world.a.members[0].analyst)
    _three_members_report(api, world, client)
    views = [profile(api, m.analyst, client, as_of=AS_OF.isoformat()) for m in world.a.members[:3]]
    for body in views:
        assert [tl["is_own"] for tl in body["trade_lines"]].count(True) == 1
    own = [next(tl for tl in body["trade_lines"] if tl["is_own"]) for body in views]
    assert len({tl["contributor"] for tl in own}) == 3
    # Suppressed (too few contributors): each member sees only its own line, as "A".
    set_settings(api, world.a, min_contributors=4)
    for member in world.a.members[:3]:
        body = profile(api, member.analyst, client, as_of=AS_OF.isoformat())
        assert body["suppressed"] is True
        assert [(tl["contributor"], tl["is_own"]) for tl in body["trade_lines"]] == [("A", True)]
    admin_view = profile(api, world.a.admin, client, as_of=AS_OF.isoformat())
    assert admin_view["trade_lines"] == []


def _new_line(api, world, client):
    fourth = add_member(api, world.a, "Fourth Supply Co")
    submit(api, fourth.key, line(client, AS_OF, high_credit=7000))


def _single_line(api, world, client):
    fourth = add_member(api, world.a, "Fourth Supply Co")
    response = api.post(
        "/v1/experiences",
        headers=fourth.key.headers,
        json=line(client, AS_OF, high_credit=7000),
    )
    assert response.status_code in (200, 201), response.text


def _replaced_line(api, world, client):
    submit(api, world.a.members[0].key, line(client, AS_OF, buckets=(0, 0, 0, 0, 900)))


def _deleted_line(api, world, client):
    key = world.a.members[2].key
    rows = api.get("/v1/experiences", headers=key.headers, params={"client_id": client})
    (row,) = rows.json()["items"]
    assert api.delete(f"/v1/experiences/{row['id']}", headers=key.headers).status_code == 204


def _legal_action(api, world, client):
    response = api.post(
        "/v1/legal-actions",
        headers=world.a.members[1].analyst.headers,
        json={
            "client_id": client,
            "kind": "judgment",
            "status": "filed",
            "amount": "4800.00",
            "filed_on": (AS_OF - timedelta(days=30)).isoformat(),
            "jurisdiction": "Cook County Circuit Court, IL",
            "case_number": "2025-L-000042",
        },
    )
    assert response.status_code == 201, response.text


def _fraud_approved(api, world, client):
    fraud.report_in(api, world.a, world.a.members[1].analyst, client, "approved")


def _settings(api, world, client):
    set_settings(api, world.a, min_contributors=4)


CHANGES = {
    "a new line (batch)": (_new_line, lambda b: b["contributors"] == 4),
    "a new line (single)": (_single_line, lambda b: b["contributors"] == 4),
    "a line replaced": (_replaced_line, lambda b: b["totals"]["past_due_over_90"] == "900.00"),
    "a line deleted": (_deleted_line, lambda b: b["contributors"] == 2),
    "a legal action": (_legal_action, lambda b: len(b["legal_actions"]) == 1),
    "a fraud report approved": (_fraud_approved, lambda b: len(b["fraud_alerts"]) == 1),
    "the group's settings": (_settings, lambda b: b["suppressed"] is True),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_change_shows_on_the_next_read(api, world, change):
    make_change, shows = CHANGES[change]
    client = new_client(api, world.a.members[0].analyst)
    _three_members_report(api, world, client)
    reader = world.a.members[0].analyst
    # Fraud alerts count from their approval on: that one is read as of today.
    params = {} if change == "a fraud report approved" else {"as_of": AS_OF.isoformat()}
    before = profile(api, reader, client, **params)
    profile(api, reader, client, **params)  # now certainly cached
    version = _data_version(world.a.id)
    assert not shows(before)
    make_change(api, world, client)
    assert _data_version(world.a.id) > version
    assert shows(profile(api, reader, client, **params))


def test_a_change_committed_by_another_process_shows_on_the_next_read(api, world):
    """Another process's commit is a row change plus a version bump: nothing in this
    process hears of it, and the next read must still see it."""
    client = new_client(api, world.a.members[0].analyst)
    _three_members_report(api, world, client)
    reader = world.a.members[0].analyst
    before = profile(api, reader, client, as_of=AS_OF.isoformat())
    assert before["totals"]["high_credit"] == "6000.00"
    change = text(
        "UPDATE experience SET high_credit = high_credit + 100000 "
        "WHERE group_id = :g AND client_id = :c AND member_id = :m"
    )
    params = {"g": world.a.id, "c": client, "m": world.a.members[0].id}
    with get_engine().begin() as conn:
        conn.execute(change, params)
    # Without the bump this process may serve what it computed: the bump is what every
    # writer adds to its transaction (see app.profiles.cache).
    stale = profile(api, reader, client, as_of=AS_OF.isoformat())
    assert stale["totals"]["high_credit"] == "6000.00"
    with get_engine().begin() as conn:
        conn.execute(
            text("UPDATE trade_group SET data_version = data_version + 1 WHERE id = :g"),
            {"g": world.a.id},
        )
    after = profile(api, reader, client, as_of=AS_OF.isoformat())
    assert after["totals"]["high_credit"] == "7000.00"


def test_a_failed_write_bumps_nothing(api, world):
    client = new_client(api, world.a.members[0].analyst)
    version = _data_version(world.a.id)
    bad = line(client, AS_OF, high_credit=-5)
    response = api.post("/v1/experiences", headers=world.a.members[0].key.headers, json=bad)
    assert response.status_code == 422
    assert _data_version(world.a.id) == version


def test_another_groups_changes_leave_this_groups_version_alone(api, world):
    version = _data_version(world.a.id)
    client_b = new_client(api, world.b.members[0].analyst)
    submit(api, world.b.members[0].key, line(client_b, AS_OF))
    assert _data_version(world.a.id) == version


def test_the_body_assembled_from_cached_parts_is_the_canonical_json(api, world):
    """Each reader's body is spliced from JSON fragments: it must be exactly what
    serializing the response model gives, for a contributor, a reader with no line, a
    legal action's reporter, and when the figures are suppressed."""
    from app.profiles.schemas import ProfileOut

    client = new_client(api, world.a.members[0].analyst)
    _three_members_report(api, world, client)
    _legal_action(api, world, client)
    readers = [world.a.members[0].analyst, world.a.members[1].analyst, world.a.admin]
    for settings in ({}, {"min_contributors": 4}):
        if settings:
            set_settings(api, world.a, **settings)
        for reader in readers:
            response = api.get(
                f"/v1/clients/{client}/profile",
                headers=reader.headers,
                params={"as_of": AS_OF.isoformat()},
            )
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == "application/json"
            model = ProfileOut.model_validate_json(response.content)
            assert response.text == model.model_dump_json()
            mine = [a["reported_by_you"] for a in response.json()["legal_actions"]]
            assert mine == [reader is world.a.members[1].analyst]
