"""GET /v1/clients: name words in any order, small typos, identifiers, pooled figures."""

from __future__ import annotations

import uuid

import pytest

from tests.helpers import new_client
from tests.portfolio.helpers import YESTERDAY
from tests.profiles.helpers import line, set_settings, submit


def found(api, actor, status: int = 200, **params) -> list[dict]:
    response = api.get("/v1/clients", headers=actor.headers, params=params)
    assert response.status_code == status, response.text
    return response.json()["items"] if status == 200 else response.json()


def names(api, actor, **params) -> list[str]:
    return [c["legal_name"] for c in found(api, actor, **params)]


@pytest.fixture(scope="module")
def registry(api, module_world):
    """Three clients with a tag of their own, made once: the tests that search them only read."""
    analyst = module_world.a.members[0].analyst
    tag = uuid.uuid4().hex[:6]
    ids = {
        "fabrikam": new_client(
            api,
            analyst,
            f"Fabrikam Northwind Trading {tag} Inc.",
            tax_id=f"55-{tag}",
            duns="123456789",
            lei="5493001KJTIIGC8Y1R12",
            address={"city": "Springfield", "postal_code": "62704"},
        ),
        "contoso": new_client(
            api,
            analyst,
            f"Contoso Pharmaceuticals {tag} LLC",
            address={"city": "Shelbyville", "postal_code": "62705"},
        ),
        "tailspin": new_client(api, analyst, f"Tailspin Toys {tag} GmbH"),
    }
    return analyst, tag, ids


def test_name_words_in_any_order_and_any_case(api, registry):
    analyst, tag, ids = registry
    assert names(api, analyst, q=f"northwind {tag} FABRIKAM") == [
        f"Fabrikam Northwind Trading {tag} Inc."
    ]
    assert names(api, analyst, q=f"toys {tag}") == [f"Tailspin Toys {tag} GmbH"]
    assert names(api, analyst, q=f"toys {tag} contoso") == []  # every word must match


@pytest.mark.parametrize("typo", ["Fabrikan", "Farbikam", "fabricam", "Nortwind"])
def test_a_small_typo_still_finds_the_client(api, registry, typo):
    analyst, tag, ids = registry
    assert [c["id"] for c in found(api, analyst, q=f"{typo} {tag}")] == [ids["fabrikam"]]


def test_a_different_word_is_not_a_typo(api, registry):
    analyst, tag, _ = registry
    assert names(api, analyst, q=f"Pharmacy Northwind {tag}") == []
    assert names(api, analyst, q=f"Zebra {tag}") == []


def test_identifiers_postcode_and_city(api, registry):
    analyst, tag, ids = registry
    assert [c["id"] for c in found(api, analyst, tax_id=f"55 {tag}")] == [ids["fabrikam"]]
    assert [c["id"] for c in found(api, analyst, duns="12-345-6789")] == [ids["fabrikam"]]
    assert [c["id"] for c in found(api, analyst, lei="5493001kjtiigc8y1r12")] == [ids["fabrikam"]]
    assert ids["contoso"] in [c["id"] for c in found(api, analyst, postal_code="62 705")]
    by_city = [c["id"] for c in found(api, analyst, city="shelbyville", q=tag)]
    assert by_city == [ids["contoso"]]


def test_name_results_page_by_position(api, world):
    analyst = world.a.members[0].analyst
    tag = uuid.uuid4().hex[:6]
    made = {new_client(api, analyst, f"Paging {tag} Number {i}") for i in range(5)}
    seen, cursor = [], None
    while True:
        params = {"q": f"paging {tag}", "limit": 2, **({"cursor": cursor} if cursor else {})}
        response = api.get("/v1/clients", headers=analyst.headers, params=params).json()
        seen += [c["id"] for c in response["items"]]
        if not (cursor := response["next_cursor"]):
            break
    assert sorted(seen) == sorted(made) and len(seen) == 5


def test_results_carry_the_pooled_figures_when_not_suppressed(api, world):
    m1, m2, m3 = world.a.members
    tag = uuid.uuid4().hex[:6]
    pooled = new_client(api, m1.analyst, f"Pooled Buyer {tag}")
    alone = new_client(api, m1.analyst, f"Lonely Buyer {tag}")
    submit(
        api, m1.key, line(pooled, YESTERDAY, buckets=(400, 200, 0, 0, 0)), line(alone, YESTERDAY)
    )
    submit(api, m2.key, line(pooled, YESTERDAY, buckets=(0, 0, 300, 0, 0)))
    submit(api, m3.key, line(pooled, YESTERDAY, buckets=(100, 0, 0, 0, 0)))
    by_id = {c["id"]: c for c in found(api, m1.analyst, q=f"buyer {tag}")}
    assert (by_id[pooled]["risk_tier"], by_id[pooled]["payment_index"]) == ("medium", 68)
    assert (by_id[alone]["risk_tier"], by_id[alone]["payment_index"]) == (None, None)
    # A group admin reads profiles without reciprocity; a member that shares nothing
    # gets the clients without the figures.
    assert {c["id"]: c["payment_index"] for c in found(api, world.a.admin, q=f"buyer {tag}")}[
        pooled
    ] == 68
    assert found(api, world.b.members[0].analyst, q=f"buyer {tag}") == []  # another group


def test_a_member_that_shares_nothing_sees_no_figures(api, world):
    m1, m2, m3 = world.a.members
    tag = uuid.uuid4().hex[:6]
    pooled = new_client(api, m1.analyst, f"Pooled Buyer {tag}")
    for member in (m1, m2):
        submit(api, member.key, line(pooled, YESTERDAY))
    set_settings(api, world.a, min_contributors=2)
    assert found(api, m1.analyst, q=f"buyer {tag}")[0]["payment_index"] == 80
    # Member 3 submitted nothing: reciprocity keeps the pooled figures from it.
    (hit,) = found(api, m3.analyst, q=f"buyer {tag}")
    assert hit["id"] == pooled and hit["payment_index"] is None and hit["risk_tier"] is None


def test_bad_queries_are_422(api, registry):
    analyst, _, _ = registry
    for params in (
        {"q": "x" * 301},
        {"city": "x" * 121},
        {"q": "abc", "cursor": "not-a-cursor"},
        {"limit": 0},
    ):
        body = found(api, analyst, 422, **params)
        assert body["code"] == "validation_error", params


def test_on_postgresql_the_migrations_install_pg_trgm_where_they_may():
    from tests.conftest import TEST_DB

    if TEST_DB != "postgres":
        pytest.skip("pg_trgm is PostgreSQL's")
    from sqlalchemy import text

    from app.core.db import system_session

    with system_session() as session:
        found = session.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"))
        assert found.first() is not None  # the test database's user is a superuser
