"""14.13: a database that is away or read-only reaches clients as 503
`database_unavailable` with `Retry-After` (not 500), and `/readyz` says not ready when
the database would refuse a write.

Both through a served process (uvicorn in a subprocess): the database is taken away
from that process only, the suite's own connections are untouched.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy.engine import make_url

from app.core import db
from app.core.security import create_access_token
from app.users.bootstrap import create_platform_admin
from tests.conftest import DATABASE_URL, TEST_DB
from tests.served import Relay, served_process


def _is_database_unavailable(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert int(answer.headers["retry-after"]) > 0
    body = answer.json()
    assert body["code"] == "database_unavailable"
    # The driver's words stay in the log.
    for word in ("psycopg", "sqlite", "OperationalError", "Traceback", "readonly"):
        assert word not in answer.text


@pytest.mark.skipif(TEST_DB != "postgres", reason="a database server to take away: PostgreSQL")
def test_a_database_server_gone_away_is_503_with_retry_after(world):
    url = make_url(DATABASE_URL)
    relay = Relay((url.host or "127.0.0.1", url.port or 5432))
    relayed = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    erp = world.a.members[0].key.headers
    try:
        with served_process({"DATABASE_URL": relayed}) as base:
            assert httpx.get(base + "/v1/clients", headers=erp).status_code == 200
            assert httpx.get(base + "/readyz").status_code == 200

            relay.cut()  # the server goes down: connections dropped, new ones refused

            _is_database_unavailable(httpx.get(base + "/v1/clients", headers=erp, timeout=30))
            client = {"legal_name": f"Outage {uuid.uuid4().hex[:6]} Inc", "country": "US"}
            _is_database_unavailable(
                httpx.post(base + "/v1/clients", headers=erp, json=client, timeout=30)
            )
            ready = httpx.get(base + "/readyz", timeout=30)
            assert ready.status_code == 503
            assert ready.json() == {"status": "unavailable", "database": "unreachable"}
            assert httpx.get(base + "/healthz").status_code == 200  # alive, not ready
    finally:
        relay.cut()


def test_a_read_only_database_is_not_ready_and_a_write_is_503(tmp_path):
    # Tests run as root, who ignores file modes: the database is opened read-only
    # instead (`mode=ro`), as a read-only mount or a file the service may not write is.
    path = tmp_path / "readonly.db"
    db.migrate(f"sqlite:///{path}")
    writable = db.Database(f"sqlite:///{path}")
    email, password = f"ro-{uuid.uuid4().hex[:8]}@example.com", "platform-password-1"
    with writable.system_session() as session:
        admin_id = create_platform_admin(session, email, password).id
    writable.dispose()
    token, _ = create_access_token(admin_id)
    admin = {"Authorization": f"Bearer {token}"}

    with served_process({"DATABASE_URL": f"sqlite:///file:{path}?mode=ro&uri=true"}) as base:
        # Reads still work ...
        assert httpx.get(base + "/v1/me", headers=admin).status_code == 200
        # ... but the process is not ready, and every write is 503.
        ready = httpx.get(base + "/readyz")
        assert ready.status_code == 503
        assert ready.json() == {"status": "unavailable", "database": "read_only"}
        group = {
            "name": "Read only",
            "slug": f"ro-{uuid.uuid4().hex[:8]}",
            "admin": {"email": f"ga-{uuid.uuid4().hex[:8]}@example.com", "password": password},
        }
        _is_database_unavailable(httpx.post(base + "/v1/groups", headers=admin, json=group))
        _is_database_unavailable(
            httpx.post(base + "/v1/auth/token", data={"username": email, "password": password})
        )


def test_a_writable_database_is_ready(api):
    assert api.get("/readyz").json() == {"status": "ok", "database": "ok"}
