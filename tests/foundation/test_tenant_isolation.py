"""Group B never reads or changes group A's objects: ids in paths, bodies and query
strings all lead to 404 (never 403: the existence of A's objects is not revealed)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.core.db import system_session
from tests.foundation.helpers import assert_problem, unique_email
from tests.profiles.helpers import line, new_client, submit
from tests.world import PASSWORD


def ids(response) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


def test_another_groups_objects_are_not_found_through_paths(api, module_world):
    a, b = module_world.a, module_world.b
    a_key = api.get("/v1/api-keys", headers=a.members[0].admin.headers).json()["items"][0]
    for outsider in (b.admin.headers, b.members[0].admin.headers):
        assert_problem(api.get(f"/v1/groups/{a.id}", headers=outsider), 404, "not_found")
        assert_problem(
            api.patch(f"/v1/groups/{a.id}", headers=outsider, json={"name": "mine"}), 404
        )
        assert_problem(
            api.patch(
                f"/v1/users/{a.members[0].analyst.id}", headers=outsider, json={"disabled": True}
            ),
            404,
        )
        assert_problem(api.delete(f"/v1/api-keys/{a_key['id']}", headers=outsider), 404)
    assert_problem(
        api.patch(
            f"/v1/members/{a.members[0].id}", headers=b.admin.headers, json={"status": "suspended"}
        ),
        404,
    )
    # Nothing changed in A.
    assert api.get("/v1/me", headers=a.members[0].analyst.headers).status_code == 200
    assert api.get("/v1/me", headers=a.members[0].key.headers).status_code == 200
    group = api.get(f"/v1/groups/{a.id}", headers=a.admin.headers).json()
    assert group["name"].startswith("Group ")


def test_another_groups_member_cannot_be_named_in_a_body(api, module_world):
    a, b = module_world.a, module_world.b
    for outsider in (b.admin.headers, b.members[0].admin.headers):
        body = {
            "email": unique_email("smuggled"),
            "password": PASSWORD,
            "role": "credit_analyst",
            "member_id": a.members[0].id,
        }
        assert_problem(api.post("/v1/users", headers=outsider, json=body), 404, "not_found")
    users_of_a = ids(api.get("/v1/users", headers=a.admin.headers, params={"limit": 500}))
    assert len(users_of_a) == 1 + 3 * 3  # the group admin and 3 people per member


def test_lists_and_query_strings_stay_inside_the_group(api, module_world):
    a, b = module_world.a, module_world.b
    a_users = ids(api.get("/v1/users", headers=a.admin.headers, params={"limit": 500}))
    b_users = ids(api.get("/v1/users", headers=b.admin.headers, params={"limit": 500}))
    assert a_users and b_users and not (a_users & b_users)
    a_members = ids(api.get("/v1/members", headers=a.admin.headers))
    b_members = ids(api.get("/v1/members", headers=b.admin.headers))
    assert a_members == {m.id for m in a.members}
    assert b_members == {b.members[0].id}
    a_keys = ids(api.get("/v1/api-keys", headers=a.admin.headers))
    b_keys = ids(api.get("/v1/api-keys", headers=b.admin.headers))
    assert a_keys and not (a_keys & b_keys)
    # Filtering B's audit trail by one of A's resources finds nothing.
    found = api.get(
        "/v1/audit-events",
        headers=b.admin.headers,
        params={"resource": f"member/{a.members[0].id}"},
    )
    assert found.json()["items"] == []
    assert api.get(
        "/v1/audit-events",
        headers=a.admin.headers,
        params={"resource": f"member/{a.members[0].id}"},
    ).json()["items"]
    # A cursor taken from A's list, replayed by B, still yields B's rows only.
    page = api.get("/v1/users", headers=a.admin.headers, params={"limit": 1}).json()
    replay = api.get("/v1/users", headers=b.admin.headers, params={"cursor": page["next_cursor"]})
    assert ids(replay) <= b_users


def test_a_member_admin_manages_only_its_own_member(api, module_world):
    one, two = module_world.a.members[0], module_world.a.members[1]
    mine = ids(api.get("/v1/users", headers=one.admin.headers))
    assert mine == {one.admin.id, one.analyst.id, one.viewer.id}
    assert ids(api.get("/v1/members", headers=one.analyst.headers)) == {one.id}
    assert_problem(
        api.patch(
            f"/v1/users/{two.analyst.id}", headers=one.admin.headers, json={"disabled": True}
        ),
        404,
    )
    other_key = api.get("/v1/api-keys", headers=two.admin.headers).json()["items"][0]["id"]
    assert_problem(api.delete(f"/v1/api-keys/{other_key}", headers=one.admin.headers), 404)
    assert ids(api.get("/v1/api-keys", headers=one.admin.headers)) == {one.key.id}
    # Naming another member of the same group in a body: refused, nothing created.
    body = {"email": unique_email(), "password": PASSWORD, "role": "viewer", "member_id": two.id}
    assert_problem(api.post("/v1/users", headers=one.admin.headers, json=body), 403, "forbidden")
    assert api.get("/v1/me", headers=two.analyst.headers).status_code == 200


# A copy of one stored line with another id, as_of, client and member: whatever the API
# does, the database itself keeps a line's client and member in the line's group.
_COPY_LINE = text(
    """
    INSERT INTO experience (id, group_id, member_id, client_id, as_of, currency, terms_days,
        high_credit, total_owed, current, past_due_1_30, past_due_31_60, past_due_61_90,
        past_due_over_90, comments, created_at, updated_at)
    SELECT :id, group_id, :member_id, :client_id, :as_of, currency, terms_days,
        high_credit, total_owed, current, past_due_1_30, past_due_31_60, past_due_61_90,
        past_due_over_90, comments, created_at, updated_at
    FROM experience WHERE member_id = :from_member
    """
)


def test_the_database_refuses_a_line_whose_client_or_member_is_of_another_group(api, module_world):
    mine, theirs = module_world.a.members[0], module_world.b.members[0]
    submit(api, mine.key, line(new_client(api, mine.analyst), date(2025, 6, 30)))
    own_client = new_client(api, mine.analyst)
    their_client = new_client(api, theirs.analyst)

    def copy(member_id: str, client_id: str) -> None:
        with system_session() as session:
            params = {"id": str(uuid.uuid4()), "from_member": mine.id, "as_of": date(2025, 5, 31)}
            session.execute(_COPY_LINE, {**params, "member_id": member_id, "client_id": client_id})
            session.rollback()

    copy(mine.id, own_client)  # the statement itself is sound
    with pytest.raises(IntegrityError):
        copy(mine.id, their_client)
    with pytest.raises(IntegrityError):
        copy(theirs.id, own_client)
