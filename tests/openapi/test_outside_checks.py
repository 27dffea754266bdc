"""The OpenAPI document checked from outside, over HTTP, as its users would check it.

1. schemathesis (its command line, as a CI job would run it) against the app served by
   uvicorn on a loopback port, once per role, with every check it has (`--checks all`)
   on positive and negative examples: a bounded, seeded run so that it stays short.
   `tests/openapi/schemathesis.toml` says which statuses count as accepting valid data:
   422 among them, for the rules across fields a schema cannot state (an aging that
   must add up, `client_id` or `client` but not both, a cursor the API gave out).
2. A client generated from `/openapi.json` by openapi-python-client (the dev extra),
   generated at test time into a temporary folder, drives a short story: log in, create
   a client, submit an experience, read the profile.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from tests.served import served
from tests.world import PASSWORD, add_group, add_key, login

CONFIG = Path(__file__).with_name("schemathesis.toml")
BIN = Path(sys.executable).parent
# Bounded: a few examples per operation and phase, the same ones on every run.
EXAMPLES = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "2")


@pytest.fixture(scope="module")
def server(app, database_url):
    with served(app) as url:
        yield url


@pytest.fixture(scope="module")
def fuzzed_group(api, platform_admin):
    return add_group(api, platform_admin, 1)


def _roles(api, platform_admin, group) -> dict[str, dict[str, str]]:
    member = group.members[0]
    return {
        "platform_admin": platform_admin,
        "group_admin": group.admin.headers,
        "member_admin": member.admin.headers,
        "credit_analyst": member.analyst.headers,
        "viewer": member.viewer.headers,
        "api_key": add_key(
            api,
            member.admin.headers,
            [
                "experiences:write",
                "clients:read",
                "profiles:read",
                "alerts:read",
                "legal_actions:write",
                "fraud_reports:write",
            ],
        ).headers,
    }


ROLES = ["platform_admin", "group_admin", "member_admin", "credit_analyst", "viewer", "api_key"]


@pytest.mark.parametrize("role", ROLES)
def test_schemathesis_over_http_finds_nothing(
    api, platform_admin, fuzzed_group, server, role, tmp_path
):
    headers = _roles(api, platform_admin, fuzzed_group)[role]
    ((name, value),) = headers.items()
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        f"{server}/openapi.json",
        "--checks",
        "all",
        "--mode",
        "all",
        "--phases",
        "examples,fuzzing",
        "--max-examples",
        EXAMPLES,
        "--seed",
        "20261206",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "-H",
        f"{name}: {value}",
    ]
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=600, cwd=tmp_path, check=False
    )
    output = (run.stdout + run.stderr).replace(value, "<credential>")
    failures = output[output.find("FAILURES") :] if "FAILURES" in output else output
    assert run.returncode == 0, failures[:12000]


def _generator() -> str:
    found = shutil.which("openapi-python-client", path=str(BIN))
    if found is None:
        pytest.skip(
            "openapi-python-client is not installed: `pip install -e '.[dev]'` installs it "
            "(the generated-client scenario needs it)"
        )
    return found


def test_a_generated_client_drives_a_short_story(api, world, server, tmp_path):
    generator = _generator()
    (tmp_path / "openapi.json").write_bytes(httpx.get(f"{server}/openapi.json").content)
    # The generator has no model for a PDF body; it reads it as bytes, as a client would.
    (tmp_path / "generator.yaml").write_text(
        "content_type_overrides:\n  application/pdf: application/octet-stream\n"
    )
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    generated = subprocess.run(
        [
            generator,
            "generate",
            "--path",
            "openapi.json",
            "--meta",
            "none",
            "--config",
            "generator.yaml",
            "--output-path",
            "creditpool_client",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Warning" not in generated.stdout + generated.stderr, generated.stdout
    sys.path.insert(0, str(tmp_path))
    try:
        _story(api, world, server)
    finally:
        sys.path.remove(str(tmp_path))
        for module in [m for m in sys.modules if m.startswith("creditpool_client")]:
            del sys.modules[module]


def _story(api, world, server):
    client_mod = importlib.import_module("creditpool_client.client")
    models = importlib.import_module("creditpool_client.models")
    issue_token = importlib.import_module("creditpool_client.api.auth.issue_token")
    resolve_client = importlib.import_module("creditpool_client.api.clients.resolve_client")
    submit = importlib.import_module("creditpool_client.api.experiences.submit_experience")
    get_profile = importlib.import_module("creditpool_client.api.profiles.get_profile")
    analyst = world.a.members[0].analyst

    # Log in with the password flow the document declares.
    anonymous = client_mod.Client(base_url=server)
    form_model = next(getattr(models, n) for n in dir(models) if n.startswith("BodyIssueToken"))
    form = form_model(username=analyst.email, password=PASSWORD)
    token = issue_token.sync(client=anonymous, body=form)
    assert isinstance(token, models.TokenOut), token
    me = client_mod.AuthenticatedClient(base_url=server, token=token.access_token)

    # Create a client (resolved or created: 201 either way the first time).
    name = f"Generated Client {uuid.uuid4().hex[:6]} Inc"
    created = resolve_client.sync(
        client=me, body=models.ClientIn(legal_name=name, country="US", tax_id="GEN-1")
    )
    assert isinstance(created, models.ClientResolvedOut), created
    assert created.legal_name == name and created.match.value == "created"

    # Submit an experience, money as strings (exact).
    as_of = date.today() - timedelta(days=1)
    line = models.ExperienceSubmission(
        client_id=created.id,
        as_of=as_of,
        currency="USD",
        terms_days=30,
        high_credit="2500.00",
        total_owed="1000.00",
        current="600.00",
        past_due_1_30="400.00",
        past_due_31_60="0",
        past_due_61_90="0",
        past_due_over_90="0",
    )
    stored = submit.sync(client=me, body=line)
    assert isinstance(stored, models.ExperienceOut), stored
    assert stored.total_owed == "1000.00" and stored.as_of == as_of

    # Read the profile: suppressed with one contributor, the caller's own line shown.
    profile = get_profile.sync(client=me, client_id=created.id)
    assert isinstance(profile, models.ProfileOut), profile
    assert profile.contributors == 1 and profile.suppressed is True
    assert [t.is_own for t in profile.trade_lines] == [True]

    # A refusal comes back typed too.
    refused = submit.sync_detailed(
        client=me,
        body=models.ExperienceSubmission.from_dict({**line.to_dict(), "total_owed": "1_000"}),
    )
    assert refused.status_code == 422
    assert login(api, analyst.email)  # the world's own login still works
