"""Helpers for meeting stories: meetings, nominations, and the facts an agenda lists."""

from __future__ import annotations

from datetime import date

from tests.alerts.stories import TODAY, trade_line
from tests.foundation.helpers import assert_problem  # noqa: F401 - re-exported for stories
from tests.helpers import new_client, submit_batch


def meeting(api, group, title: str = "Monthly meeting", held_on: date = TODAY) -> dict:
    response = api.post(
        "/v1/meetings",
        headers=group.admin.headers,
        json={"title": title, "held_on": held_on.isoformat()},
    )
    assert response.status_code == 201, response.text
    return response.json()


def agenda(api, actor, meeting_id: str) -> list[dict]:
    response = api.get(
        f"/v1/meetings/{meeting_id}/agenda", headers=actor.headers, params={"limit": 500}
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


def by_name(items: list[dict]) -> dict[str, dict]:
    return {item["client"]["legal_name"]: item for item in items}


def nominate(api, actor, meeting_id: str, client_id: str, reason: str = "collection"):
    return api.post(
        f"/v1/meetings/{meeting_id}/agenda",
        headers=actor.headers,
        json={"client_id": client_id, "reason": reason},
    )


def pooled_client(api, group, name: str, *, dbt: int, as_of: date = TODAY) -> str:
    """A client every member of the group reports, each line `dbt` days beyond terms."""
    client_id = new_client(api, group.members[0].analyst, name)
    for member in group.members:
        submit_batch(api, member.key, trade_line(client_id, as_of, dbt=dbt))
    return client_id


def file_legal_action(
    api, actor, client_id: str, kind: str = "judgment", filed_on: date = TODAY
) -> dict:
    response = api.post(
        "/v1/legal-actions",
        headers=actor.headers,
        json={
            "client_id": client_id,
            "kind": kind,
            "status": "filed",
            "filed_on": filed_on.isoformat(),
        },
    )
    assert response.status_code == 201, response.text
    return response.json()
