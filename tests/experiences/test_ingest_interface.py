"""The bulk ingest function other domains call (CSV imports), straight through Python."""

from __future__ import annotations

from app.auth.principal import Principal, permissions_for_scopes
from app.clients import service as clients
from app.core.hooks import experiences_landed
from app.experiences.ingest import ingest
from app.tenancy.session import group_session
from tests.helpers import company, line


def _principal(world) -> Principal:
    member = world.a.members[0]
    return Principal(
        kind="api_key",
        id=member.key.id,
        group_id=world.a.id,
        member_id=member.id,
        scopes=("experiences:write",),
        permissions=permissions_for_scopes(["experiences:write"]),
    )


def test_ingest_stores_valid_items_reports_invalid_ones_and_signals(world):
    principal = _principal(world)
    acme = company("Acme Widgets, Inc.", tax_id="12-3456789")
    items = [
        line(acme, customer_ref="C-1"),
        line(company("ACME WIDGETS LLC", tax_id="123456789"), as_of="2025-01-31"),
        line(acme, total_owed="999.99"),
        {"customer_ref": "C-1", **line(None, as_of="2025-02-28")},
        "not an object",
    ]
    heard = []
    receiver = experiences_landed.connect(lambda s, p, ids: heard.append(ids))
    try:
        with group_session(principal.group_id) as session:
            result = ingest(session, principal, items)
    finally:
        experiences_landed.disconnect(receiver)
    assert (result.received, result.created, result.updated, result.rejected) == (5, 3, 0, 2)
    assert [e["index"] for e in result.errors] == [2, 4]
    assert result.errors[0]["errors"][0]["loc"] == ["total_owed"]
    assert len(result.client_ids) == 1
    assert heard == [result.client_ids]


def test_resolve_reference_by_each_form(world):
    principal = _principal(world)
    with group_session(principal.group_id) as session:
        made = clients.resolve_reference(
            session, principal, client=company("Blue Ocean GmbH", "DE"), customer_ref="K-7"
        )
        assert clients.resolve_reference(session, principal, client_id=made.id).id == made.id
        assert clients.resolve_reference(session, principal, customer_ref="K-7").id == made.id
