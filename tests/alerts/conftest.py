"""Fixtures of the alert stories."""

from __future__ import annotations

import pytest

from tests.alerts.stories import watch
from tests.fraud.support import decide, submit
from tests.helpers import new_client


@pytest.fixture
def three_alerts(api, world):
    """Member 1 watches three clients; member 0's reports on them are approved in turn."""
    m = world.a.members
    ids = []
    for _ in range(3):
        client_id = new_client(api, m[0].analyst)
        watch(api, m[1].analyst, client_id)
        report = submit(api, m[0].analyst, client_id)
        decide(api, world.a, report["id"], "approve")
        ids.append(client_id)
    return world, ids
