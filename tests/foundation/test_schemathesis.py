"""schemathesis against the app's own OpenAPI, in process: every route that exists
(today's and those added later) answers without a 5xx and as its schema says.

Each operation is exercised by a group admin and by a member admin (who can act for a
member), with a bounded, derandomized set of examples so the run stays short and stable.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.main import app as application
from tests.world import add_group

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzz_group(api, platform_admin):
    return add_group(api, platform_admin, 1)


# Built at collection from the app's own document (the environment is set by conftest);
# requests go to the app in process, once the fixtures below have migrated the database.
schema = schemathesis.openapi.from_dict(application.openapi())
schema.app = application


@pytest.fixture(scope="module")
def asgi_client(api):
    # One in-process client for the whole run: the app's startup runs once, not per call.
    with asgi.get_client(application) as client:
        yield client


@schema.parametrize()
@settings(
    max_examples=6,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_route_answers_as_documented(case, fuzz_group, asgi_client):
    # The same request as the group admin, then as a member admin (who acts for a member).
    for who in (fuzz_group.admin, fuzz_group.members[0].admin):
        case.call_and_validate(session=asgi_client, headers=who.headers, checks=CHECKS)
