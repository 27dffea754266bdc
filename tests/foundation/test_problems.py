"""Every error is an RFC 9457 problem (application/problem+json with type, title,
status, detail and code), whatever produced it; a 500 never shows a stack trace."""

from __future__ import annotations

import json
import logging

from tests.foundation.helpers import assert_problem, unique_email
from tests.world import PASSWORD


def test_the_problem_shape_for_each_kind_of_error(api, module_world):
    admin = module_world.a.admin.headers
    assert_problem(api.get("/v1/users"), 401, "unauthorized")
    analyst = module_world.a.members[0].analyst
    assert_problem(api.get("/v1/audit-events", headers=analyst.headers), 403, "forbidden")
    assert_problem(api.get("/v1/no-such-route", headers=admin), 404, "not_found")
    assert_problem(api.patch("/v1/users/no-such-user", headers=admin, json={}), 404, "not_found")
    not_allowed = assert_problem(
        api.put("/v1/members", headers=admin, json={}), 405, "method_not_allowed"
    )
    assert not_allowed["title"] == "Method not allowed"
    assert "GET" in api.put("/v1/members", headers=admin, json={}).headers["allow"]
    email = unique_email()
    body = {"email": email, "password": PASSWORD, "role": "group_admin"}
    assert api.post("/v1/users", headers=admin, json=body).status_code == 201
    assert_problem(api.post("/v1/users", headers=admin, json=body), 409, "conflict")

    invalid = assert_problem(
        api.post("/v1/members", headers=admin, json={"name": 5, "extra": 1}),
        422,
        "validation_error",
    )
    assert invalid["errors"], invalid
    for error in invalid["errors"]:
        assert set(error) == {"loc", "msg", "type"}
    assert {tuple(e["loc"]) for e in invalid["errors"]} >= {("body", "extra"), ("body", "name")}
    broken_json = api.post(
        "/v1/members", headers={**admin, "Content-Type": "application/json"}, content=b"{not json"
    )
    assert assert_problem(broken_json, 422, "validation_error")["errors"]
    too_many = assert_problem(api.get("/v1/members", headers=admin, params={"limit": 501}), 422)
    assert too_many["errors"][0]["loc"] == ["query", "limit"]
    assert_problem(api.get("/v1/members", headers=admin, params={"limit": 0}), 422)
    bad_cursor = assert_problem(
        api.get("/v1/members", headers=admin, params={"cursor": "@@@"}), 422
    )
    assert bad_cursor["errors"][0]["loc"] == ["query", "cursor"]


def test_validation_errors_never_echo_the_input(api, module_world):
    secret = "x" * 5  # too short, and it must not come back
    response = api.post(
        "/v1/users",
        headers=module_world.a.admin.headers,
        json={
            "email": unique_email(),
            "password": secret + "-s3cr3t",
            "role": "viewer",
            "extra": 1,
        },
    )
    assert_problem(response, 422)
    assert "s3cr3t" not in response.text


def test_an_unexpected_error_is_a_500_problem_with_the_request_id(api, module_world, monkeypatch):
    from app.members import service

    def broken(*_args, **_kwargs):
        raise RuntimeError("database exploded; password=hunter2hunter2")

    monkeypatch.setattr(service, "list_members", broken)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("creditpool")
    logger.addHandler(handler)
    try:
        response = api.get(
            "/v1/members", headers={**module_world.a.admin.headers, "X-Request-ID": "req-500-test"}
        )
    finally:
        logger.removeHandler(handler)
    body = assert_problem(response, 500, "internal_error")
    assert response.headers["x-request-id"] == "req-500-test"
    assert "req-500-test" in body["detail"]
    assert "exploded" not in response.text and "hunter2" not in response.text
    assert "Traceback" not in response.text and "RuntimeError" not in response.text
    errors = [r for r in records if r.levelno >= logging.ERROR]
    assert errors, "the 500 was not logged"
    from app.core.logging import JsonFormatter

    line = json.loads(JsonFormatter().format(errors[0]))
    assert line["request_id"] == "req-500-test"
    assert "RuntimeError" in line["exc"]  # the trace is in the log, and only there


def test_request_ids_are_accepted_echoed_or_made(api):
    echoed = api.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    made = api.get("/healthz")
    assert len(made.headers["x-request-id"]) == 32
    too_long = api.get("/healthz", headers={"X-Request-ID": "x" * 500})
    assert too_long.headers["x-request-id"] != "x" * 500
    missing = api.get("/v1/nothing-here", headers={"X-Request-ID": "on-errors-too"})
    assert missing.headers["x-request-id"] == "on-errors-too"


def test_the_openapi_document_declares_problem_responses_everywhere(api):
    document = api.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "500" in operation["responses"], (method, path)
            if path.startswith("/v1/"):
                for status in ("401", "403", "404", "422", "429"):
                    content = operation["responses"][status]["content"]
                    assert "application/problem+json" in content, (method, path, status)
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_access_log_lines_carry_the_request_id(api):
    from app.core.logging import JsonFormatter

    lines: list[str] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: lines.append(JsonFormatter().format(record))  # type: ignore[method-assign]
    logger = logging.getLogger("creditpool")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        api.get("/healthz", headers={"X-Request-ID": "trace-me-42"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    access = [json.loads(line) for line in lines if '"creditpool.access"' in line]
    assert access and access[-1]["request_id"] == "trace-me-42"
    assert access[-1]["path"] == "/healthz" and access[-1]["status"] == 200
