"""schemathesis against the app's own OpenAPI, in process: every route that exists
(today's and those added later) answers without a 5xx and as its schema says.

Each operation is exercised by a group admin and by a member admin (who can act for a
member), with a bounded, derandomized set of examples so the run stays short and stable.

Besides what the schema allows, the generated requests are bent toward what broke the
service before (issue 14, item 5): dates at the edges of Python's calendar (a profile as
of 0001-01-01, a key expiring at 9999-12-31T23:59:59-01:00, which is year 10000 in UTC),
a NUL character (U+0000, which PostgreSQL cannot store) in any text of the body, the
query or the path, and a cursor that decodes to such a time.
"""

from __future__ import annotations

import base64
import json
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.main import app as application
from tests.helpers import company, line
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
    group = add_group(api, platform_admin, 1)
    member = group.members[0]
    # The member reports a line on a client, so that it passes reciprocity and the
    # client's profile is computed (as of any date the run tries).
    stored = api.post("/v1/experiences", headers=member.key.headers, json=line(company()))
    assert stored.status_code == 201, stored.text
    EXISTING["client_id"] = stored.json()["client_id"]
    return group


# Built at collection from the app's own document (the environment is set by conftest);
# requests go to the app in process, once the fixtures below have migrated the database.
schema = schemathesis.openapi.from_dict(application.openapi())
schema.app = application

EDGE_DATES = ["0001-01-01", "0001-06-30", "9999-12-31"]
EDGE_TIMES = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]
EDGE_CURSORS = [
    base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
    for values in (["0001-01-01T00:00:00+01:00", "x"], ["2025-01-01T00:00:00+00:00", "x\x00"])
]
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T.*")
_DOCUMENT = application.openapi()
# Ids of objects that exist (a client of the fuzzed group, set by its fixture): a path
# made of random ids stops at 404 before a bad date or cursor is ever looked at.
EXISTING: dict[str, str] = {}


def _bent(name: str, value: str) -> list[str]:
    """What a string could be instead, to try the edges the schema does not name."""
    if name == "cursor":
        return EDGE_CURSORS
    if _DATE.fullmatch(value):
        return EDGE_DATES
    if _TIME.fullmatch(value):
        return EDGE_TIMES
    return [value + "\x00", "\x00"]


def _resolved(node: dict) -> dict:
    while "$ref" in node:
        node = _DOCUMENT["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _formats(node: dict) -> set[str]:
    node = _resolved(node)
    found = {node.get("format", "")}
    for option in node.get("anyOf", []):
        found |= _formats(option)
    return found


def _edge_fields(context, part: str) -> dict[str, list[str]]:
    """The operation's optional dates, times and cursors in `part`, with edge values to
    add when the generated value left them out."""
    operation = _DOCUMENT["paths"][context.operation.path][context.operation.method.lower()]
    if part == "body":
        content = operation.get("requestBody", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        fields = _resolved(schema).get("properties", {}) if schema else {}
    else:
        where = "query" if part == "query" else "path"
        fields = {
            p["name"]: p.get("schema", {})
            for p in operation.get("parameters", [])
            if p.get("in") == where
        }
    edges = {}
    for name, field in fields.items():
        formats = _formats(field)
        if name == "cursor":
            edges[name] = EDGE_CURSORS
        elif "date-time" in formats:
            edges[name] = EDGE_TIMES
        elif "date" in formats:
            edges[name] = EDGE_DATES
        elif part == "path_parameters" and name in EXISTING:
            edges[name] = [EXISTING[name]]
    return edges


def _variants(value, depth: int = 0) -> list:
    """`value` itself, then copies with one string (at most three objects deep) bent."""
    found = [value]
    if isinstance(value, dict) and depth < 3:
        for key, inner in value.items():
            if isinstance(inner, str):
                found += [{**value, key: other} for other in _bent(key, inner)]
            elif isinstance(inner, dict):
                found += [{**value, key: other} for other in _variants(inner, depth + 1)[1:]]
    return found


def _hook(part: str):
    def edges(context, value):
        variants = _variants(value)
        if isinstance(value, dict):
            for name, values in _edge_fields(context, part).items():
                variants += [{**value, name: edge} for edge in values]
                if part == "path_parameters" and name in EXISTING:
                    # A real object, and each edge of the query or body on it.
                    variants += [{**value, name: EXISTING[name]}] * 3
        return st.sampled_from(variants) if len(variants) > 1 else st.just(value)

    return edges


for _part in ("body", "query", "path_parameters"):
    schema.hook(f"flatmap_{_part}")(_hook(_part))


@pytest.fixture(scope="module")
def asgi_client(api):
    # One in-process client for the whole run: the app's startup runs once, not per call.
    with asgi.get_client(application) as client:
        yield client


@schema.parametrize()
@settings(
    max_examples=8,
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
