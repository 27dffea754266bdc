"""The fraud stories' setting: one module's world and one client of group A, shared by
every test of the module (each test files reports of its own on that client)."""

from __future__ import annotations

import pytest

from tests.helpers import new_client


@pytest.fixture(scope="module")
def setting(api, module_world):
    return module_world, new_client(api, module_world.a.members[0].analyst)
