"""Legal actions: reported by one member, seen by the whole group, reporter never named."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from app.core import hooks


def _client(tag: str | None = None) -> dict:
    tag = tag or uuid.uuid4().hex[:8]
    return {"legal_name": f"Hargrove Builders {tag} LLC", "country": "US", "tax_id": f"12-{tag}"}


def _action(**overrides) -> dict:
    body = {
        "client": _client(),
        "kind": "judgment",
        "status": "filed",
        "amount": "48250.00",
        "filed_on": "2026-03-02",
        "jurisdiction": "Cook County Circuit Court, IL",
        "case_number": "2026-L-004512",
    }
    body.update(overrides)
    return body


def _post(api, actor, **overrides):
    return api.post("/v1/legal-actions", headers=actor.headers, json=_action(**overrides))


def test_a_legal_action_is_seen_by_the_whole_group_without_its_reporter(api, world):
    reporter, *others = world.a.members
    created = _post(api, reporter.analyst)
    assert created.status_code == 201, created.text
    action = created.json()
    assert action["reported_by_you"] is True
    assert action["amount"] == "48250.00"
    assert created.headers["location"] == f"/v1/legal-actions/{action['id']}"

    viewers = [m.analyst for m in others] + [m.key for m in others] + [world.a.admin]
    for actor in viewers:
        listed = api.get(
            "/v1/legal-actions", headers=actor.headers, params={"client_id": action["client_id"]}
        )
        assert listed.status_code == 200, listed.text
        assert [a["id"] for a in listed.json()["items"]] == [action["id"]]
        assert listed.json()["items"][0]["reported_by_you"] is False
        one = api.get(f"/v1/legal-actions/{action['id']}", headers=actor.headers)
        assert one.status_code == 200
        # Neither the reporting member's id nor its name appears anywhere in the text.
        for raw in (listed.text, one.text):
            assert reporter.id not in raw
            assert reporter.name not in raw
            assert "member" not in raw

    mine = api.get(f"/v1/legal-actions/{action['id']}", headers=reporter.key.headers).json()
    assert mine["reported_by_you"] is True


def test_another_group_does_not_see_or_touch_it(api, world):
    action = _post(api, world.a.members[0].analyst).json()
    outsider = world.b.members[0]
    listed = api.get("/v1/legal-actions", headers=outsider.analyst.headers).json()
    assert listed["items"] == []
    for actor in (outsider.analyst, outsider.key, world.b.admin):
        assert (
            api.get(f"/v1/legal-actions/{action['id']}", headers=actor.headers).status_code == 404
        )
    patched = api.patch(
        f"/v1/legal-actions/{action['id']}",
        headers=outsider.analyst.headers,
        json={"status": "satisfied"},
    )
    assert patched.status_code == 404
    assert patched.json()["code"] == "not_found"
    # Nor may it file against a client of group A by id.
    cross = _post(api, outsider.analyst, client=None, client_id=action["client_id"])
    assert cross.status_code == 404, cross.text


def test_only_the_reporting_member_may_change_it(api, world):
    reporter, other, _ = world.a.members
    action = _post(api, reporter.analyst).json()
    url = f"/v1/legal-actions/{action['id']}"

    refused = api.patch(url, headers=other.analyst.headers, json={"status": "satisfied"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    assert (
        api.patch(url, headers=world.a.admin.headers, json={"status": "satisfied"}).status_code
        == 403
    )

    # Any user or key of the reporting member may; the change is what it says.
    moved = api.patch(url, headers=reporter.key.headers, json={"status": "satisfied"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "satisfied"
    assert moved.json()["updated_at"] >= action["updated_at"]
    corrected = api.patch(
        url,
        headers=reporter.admin.headers,
        json={"amount": 47980.5, "case_number": "2026-L-004513", "jurisdiction": None},
    )
    assert corrected.status_code == 200, corrected.text
    body = corrected.json()
    assert (body["amount"], body["case_number"], body["jurisdiction"]) == (
        "47980.50",
        "2026-L-004513",
        None,
    )
    assert body["status"] == "satisfied"
    seen_by_other = api.get(url, headers=other.analyst.headers).json()
    assert seen_by_other["status"] == "satisfied"
    assert seen_by_other["reported_by_you"] is False


@pytest.mark.parametrize(
    "overrides",
    [
        {"filed_on": (date.today() + timedelta(days=2)).isoformat()},
        {"filed_on": "2026-02-30"},
        {"kind": "garnishment"},
        {"status": "closed"},
        {"amount": "-1.00"},
        {"amount": "10.005"},
        {"amount": "ten"},
        {"jurisdiction": "x" * 201},
        {"reporter": "someone else"},
        {"client": None},
        {"client_id": "nope", "client": _client()},
        {"client": {"legal_name": "No Country Inc"}},
    ],
)
def test_invalid_legal_actions_are_refused_and_store_nothing(api, module_world, overrides):
    member = module_world.a.members[0]
    refused = _post(api, member.analyst, **overrides)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "validation_error"
    assert refused.json()["errors"]
    assert api.get("/v1/legal-actions", headers=member.analyst.headers).json()["items"] == []


def test_invalid_patches_are_refused_and_change_nothing(api, world):
    member = world.a.members[0]
    action = _post(api, member.analyst).json()
    url = f"/v1/legal-actions/{action['id']}"
    for body in ({}, {"status": None}, {"status": "closed"}, {"kind": "lien"}, {"amount": -5}):
        refused = api.patch(url, headers=member.analyst.headers, json=body)
        assert refused.status_code == 422, (body, refused.text)
    assert api.get(url, headers=member.analyst.headers).json() == action
    assert (
        api.patch(
            "/v1/legal-actions/does-not-exist",
            headers=member.analyst.headers,
            json={"status": "pending"},
        ).status_code
        == 404
    )


def test_roles_and_key_scopes(api, world):
    from tests.world import add_key

    member = world.a.members[0]
    assert _post(api, member.viewer).status_code == 403
    assert api.get("/v1/legal-actions", headers=member.viewer.headers).status_code == 403
    # Group admins read, but act for no member: they report nothing.
    assert _post(api, world.a.admin).status_code == 403
    assert api.get("/v1/legal-actions", headers=world.a.admin.headers).status_code == 200

    reader = add_key(api, member.admin.headers, ["profiles:read", "clients:read"], "reader")
    assert _post(api, reader).status_code == 403
    assert api.get("/v1/legal-actions", headers=reader.headers).status_code == 403
    writer = add_key(api, member.admin.headers, ["legal_actions:write"], "legal")
    created = _post(api, writer)
    assert created.status_code == 201, created.text
    assert api.get("/v1/legal-actions", headers=writer.headers).status_code == 200
    assert api.post("/v1/legal-actions", json=_action()).status_code == 401


def test_filters_customer_ref_and_pages(api, world):
    member, other, _ = world.a.members
    first = _post(api, member.analyst, customer_ref="C-1001", kind="suit", status="pending").json()
    # The member's own customer number alone names the same client later.
    again = _post(api, member.analyst, client=None, customer_ref="C-1001", kind="lien").json()
    assert again["client_id"] == first["client_id"]
    _post(api, other.analyst, kind="bankruptcy", status="discharged")

    def ids(**params):
        body = api.get("/v1/legal-actions", headers=other.analyst.headers, params=params)
        assert body.status_code == 200, body.text
        return [a["id"] for a in body.json()["items"]]

    assert ids(client_id=first["client_id"]) == [again["id"], first["id"]]
    assert ids(kind="suit") == [first["id"]]
    assert ids(status="pending") == [first["id"]]
    assert (
        api.get(
            "/v1/legal-actions", headers=other.analyst.headers, params={"kind": "garnishment"}
        ).status_code
        == 422
    )

    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = api.get("/v1/legal-actions", headers=world.a.admin.headers, params=params).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 3 and len(set(seen)) == 3


def test_creation_and_changes_are_audited_and_signalled(api, world):
    received = []

    def receiver(session, principal, legal_action):
        received.append((principal.member_id, legal_action.id, legal_action.kind))

    hooks.legal_action_created.connect(receiver)
    try:
        member = world.a.members[0]
        action = _post(api, member.analyst).json()
        api.patch(
            f"/v1/legal-actions/{action['id']}",
            headers=member.analyst.headers,
            json={"status": "satisfied"},
        )
    finally:
        hooks.legal_action_created.disconnect(receiver)
    assert received == [(member.id, action["id"], "judgment")]

    events = api.get("/v1/audit-events", headers=world.a.admin.headers).json()["items"]
    actions = [e["action"] for e in events if e["resource"] == f"legal_action/{action['id']}"]
    assert actions == ["legal_action.updated", "legal_action.created"]
    updated = next(e for e in events if e["action"] == "legal_action.updated")
    assert updated["detail"] == {"status": {"from": "filed", "to": "satisfied"}}


def test_an_idempotency_key_files_a_legal_action_once(api, world):
    member = world.a.members[0]
    headers = {**member.key.headers, "Idempotency-Key": f"judgment-{uuid.uuid4().hex}"}
    body = _action()
    first = api.post("/v1/legal-actions", headers=headers, json=body)
    assert first.status_code == 201, first.text
    again = api.post("/v1/legal-actions", headers=headers, json=body)
    assert again.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json()["id"] == first.json()["id"]
    other = api.post("/v1/legal-actions", headers=headers, json={**body, "status": "pending"})
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    listed = api.get("/v1/legal-actions", headers=member.key.headers).json()["items"]
    assert [a["id"] for a in listed] == [first.json()["id"]]
