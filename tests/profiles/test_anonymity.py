"""Anonymity: suppressed figures never reveal what another member reported."""

import json
import re
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.profiles.helpers import line, new_client, profile, set_settings, submit

AS_OF = date(2025, 6, 15)


def test_too_few_contributors_suppress_the_figures_but_keep_the_callers_line(api, world):
    m1, m2, _ = world.a.members
    client = new_client(api, m1.analyst)
    submit(api, m1.key, line(client, AS_OF, high_credit=100, buckets=(10, 0, 0, 0, 0)))
    submit(api, m2.key, line(client, AS_OF, high_credit=7777, buckets=(0, 0, 0, 0, 4321)))
    response = api.get(
        f"/v1/clients/{client}/profile",
        params={"as_of": AS_OF.isoformat()},
        headers=m1.analyst.headers,
    )
    body = response.json()
    assert body["suppressed"] is True
    assert body["suppression_reason"] == "min_contributors"
    assert body["contributors"] == 2
    assert body["totals"] is None and body["aging_pct"] is None
    assert body["weighted_dbt"] is None and body["payment_index"] is None
    assert body["risk_tier"] is None
    # The caller's own line only, lettered A whatever its rank among the hidden ones.
    assert [(t["contributor"], t["is_own"], t["total_owed"]) for t in body["trade_lines"]] == [
        ("A", True, "10.00")
    ]
    # Nowhere in the answer, ids aside (a UUID's hex digits may hold "7777" by chance).
    text = re.sub(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "", response.text
    )
    assert "7777" not in text and "4321" not in text


def test_a_member_without_a_line_sees_no_line_when_suppressed(api, world):
    m1, m2, m3 = world.a.members
    client = new_client(api, m1.analyst)
    other = new_client(api, m1.analyst)
    submit(api, m1.key, line(client, AS_OF, buckets=(10, 0, 0, 0, 0)))
    submit(api, m3.key, line(other, AS_OF))  # so that member 3 may read profiles
    body = profile(api, m3.analyst, client, as_of=AS_OF.isoformat())
    assert body["suppressed"] is True and body["trade_lines"] == []


def test_a_dominant_member_suppresses_the_figures(api, world):
    client = new_client(api, world.a.members[0].analyst)
    m1, m2, m3 = world.a.members
    for member, owed in ((m1, 700), (m2, 200), (m3, 100)):
        submit(api, member.key, line(client, AS_OF, buckets=(owed, 0, 0, 0, 0)))
    assert profile(api, m1.analyst, client, as_of=AS_OF.isoformat())["suppressed"] is False
    set_settings(api, world.a, dominance_share=0.6)  # 700 of 1000 is more than 60%
    body = profile(api, m1.analyst, client, as_of=AS_OF.isoformat())
    assert body["suppression_reason"] == "dominance"
    assert [t["total_owed"] for t in body["trade_lines"]] == ["700.00"]
    set_settings(api, world.a, dominance_share=0.7)  # exactly 70% is not more than 70%
    assert profile(api, m1.analyst, client, as_of=AS_OF.isoformat())["suppressed"] is False


def test_the_p_percent_rule_suppresses_the_figures(api, world):
    client = new_client(api, world.a.members[0].analyst)
    m1, m2, m3 = world.a.members
    for member, owed in ((m1, 500), (m2, 400), (m3, 50)):
        submit(api, member.key, line(client, AS_OF, buckets=(owed, 0, 0, 0, 0)))
    set_settings(api, world.a, p_percent=20)  # 950 - 500 - 400 = 50 < 20% of 500
    body = profile(api, m3.analyst, client, as_of=AS_OF.isoformat())
    assert body["suppression_reason"] == "p_percent"
    assert [t["total_owed"] for t in body["trade_lines"]] == ["50.00"]
    set_settings(api, world.a, p_percent=10)  # 50 < 50 is false
    assert profile(api, m3.analyst, client, as_of=AS_OF.isoformat())["suppressed"] is False


def test_min_contributors_is_checked_before_the_other_rules(api, world):
    client = new_client(api, world.a.members[0].analyst)
    m1, m2, _ = world.a.members
    submit(api, m1.key, line(client, AS_OF, buckets=(900, 0, 0, 0, 0)))
    submit(api, m2.key, line(client, AS_OF, buckets=(10, 0, 0, 0, 0)))
    set_settings(api, world.a, dominance_share=0.6, p_percent=50)
    reason = profile(api, m1.analyst, client, as_of=AS_OF.isoformat())["suppression_reason"]
    assert reason == "min_contributors"
    set_settings(api, world.a, min_contributors=2)
    reason = profile(api, m1.analyst, client, as_of=AS_OF.isoformat())["suppression_reason"]
    assert reason == "dominance"


def test_a_setting_change_applies_to_the_next_read(api, world):
    client = new_client(api, world.a.members[0].analyst)
    m1, m2, m3 = world.a.members
    for member in (m1, m2, m3):
        submit(api, member.key, line(client, AS_OF))
    reader = m1.analyst
    assert profile(api, reader, client, as_of=AS_OF.isoformat())["suppressed"] is False
    set_settings(api, world.a, min_contributors=4)
    assert profile(api, reader, client, as_of=AS_OF.isoformat())["suppressed"] is True
    set_settings(api, world.a, min_contributors=3)
    assert profile(api, reader, client, as_of=AS_OF.isoformat())["suppressed"] is False


def test_a_group_admin_without_a_member_owns_no_line(api, world):
    client = new_client(api, world.a.members[0].analyst)
    for member in world.a.members:
        submit(api, member.key, line(client, AS_OF))
    body = profile(api, world.a.admin, client, as_of=AS_OF.isoformat())
    assert len(body["trade_lines"]) == 3
    assert not any(t["is_own"] for t in body["trade_lines"])
    set_settings(api, world.a, min_contributors=5)
    body = profile(api, world.a.admin, client, as_of=AS_OF.isoformat())
    assert body["suppressed"] is True and body["trade_lines"] == []


# Amounts of 5-7 digits with cents: unlikely to collide with anything else in a response.
amounts = st.integers(min_value=10_000_00, max_value=9_999_999_99).map(
    lambda cents: Decimal(cents) / 100
)
member_line = st.tuples(amounts, amounts, st.lists(amounts, min_size=5, max_size=5))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    lines=st.lists(st.one_of(st.none(), member_line), min_size=3, max_size=3),
    min_contributors=st.integers(min_value=1, max_value=4),
    dominance_share=st.one_of(st.none(), st.sampled_from([0.51, 0.6, 0.75, 0.9, 1.0])),
    p_percent=st.one_of(st.none(), st.sampled_from([1, 5, 10, 25, 50, 100])),
    reader=st.integers(min_value=0, max_value=2),
)
def test_a_suppressed_profile_never_carries_another_members_figures(
    api, world, lines, min_contributors, dominance_share, p_percent, reader
):
    """Whatever the members report and the group's settings, when the profile is
    suppressed, nothing another member reported appears anywhere in the response."""
    members = world.a.members
    client = new_client(api, members[0].analyst)
    for member in members:  # everyone may read (reciprocity), with a line elsewhere
        submit(api, member.key, line(new_client(api, member.analyst), AS_OF))
    figures: dict[int, set[str]] = {}
    for i, reported in enumerate(lines):
        if reported is None:
            continue
        high, _, parts = reported
        submit(api, members[i].key, line(client, AS_OF, high_credit=high, buckets=tuple(parts)))
        figures[i] = {f"{v:.2f}" for v in (high, sum(parts), *parts)}
    set_settings(
        api,
        world.a,
        min_contributors=min_contributors,
        dominance_share=dominance_share,
        p_percent=p_percent,
    )
    response = api.get(
        f"/v1/clients/{client}/profile",
        params={"as_of": AS_OF.isoformat()},
        headers=members[reader].analyst.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    if not body["suppressed"]:
        return
    text = json.dumps(body)
    own = figures.get(reader, set())
    for i, values in figures.items():
        if i == reader:
            continue
        for value in values - own:
            assert value not in text, (value, body)
    for member in members:
        assert member.id not in text and member.name not in text
    assert body["totals"] is None and body["weighted_dbt"] is None
    assert body["payment_index"] is None and body["aging_pct"] is None
    assert all(t["is_own"] for t in body["trade_lines"])
    assert len(body["trade_lines"]) == (1 if reader in figures else 0)
