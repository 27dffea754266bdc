"""Row-level security on PostgreSQL, the database's own wall behind the ORM gate
(migrations/rls.py, app/tenancy/session.py)."""

from __future__ import annotations

import uuid
from typing import Annotated

import pytest
import sqlalchemy as sa
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError

from app.core.db import get_engine
from app.deps import PrincipalDep, SessionDep, get_session
from tests.conftest import TEST_DB

pytestmark = pytest.mark.skipif(
    TEST_DB != "postgres", reason="row-level security is PostgreSQL's; SQLite has the ORM gate only"
)

APP_ROLE = "creditpool_app"
# Group tables that hold rows for both groups of any world (users, members, keys, audit).
POPULATED = ("member", "app_user", "api_key", "audit_event")


def _group_tables(conn) -> list[str]:
    return list(
        conn.execute(
            sa.text(
                "SELECT table_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND column_name = 'group_id' ORDER BY 1"
            )
        ).scalars()
    )


def test_every_group_table_has_forced_row_level_security_and_the_group_policy(database_url):
    """Fails for a new table with a group_id whose migration forgot
    `migrations.rls.protect(table)`."""
    with get_engine().connect() as conn:
        tables = _group_tables(conn)
        assert len(tables) >= 18
        for table in tables:
            enabled, forced = conn.execute(
                sa.text(
                    "SELECT relrowsecurity, relforcerowsecurity FROM pg_class "
                    "WHERE oid = CAST(:t AS regclass)"
                ),
                {"t": f"public.{table}"},
            ).one()
            assert enabled and forced, f"{table}: row-level security not enabled and forced"
            policies = {
                row.policyname: row
                for row in conn.execute(
                    sa.text(
                        "SELECT policyname, roles, qual, with_check FROM pg_policies "
                        "WHERE schemaname = 'public' AND tablename = :t"
                    ),
                    {"t": table},
                )
            }
            group = policies.get(f"{table}_group")
            assert group is not None, f"{table}: no {table}_group policy"
            assert list(group.roles) == [APP_ROLE]
            for expression in (group.qual, group.with_check):
                assert "current_setting('app.group_id'" in expression, (table, expression)
                assert "group_id" in expression
            # Nothing else opens the table to the app role.
            others = [
                p
                for name, p in policies.items()
                if APP_ROLE in p.roles and name != group.policyname
            ]
            assert not others, f"{table}: more policies for {APP_ROLE}: {others}"


def test_the_app_role_cannot_log_in_bypass_or_own_anything(database_url):
    with get_engine().connect() as conn:
        role = conn.execute(
            sa.text(
                "SELECT oid, rolsuper, rolbypassrls, rolcanlogin, rolcreaterole, rolcreatedb "
                "FROM pg_roles WHERE rolname = :r"
            ),
            {"r": APP_ROLE},
        ).one()
        assert not (role.rolsuper or role.rolbypassrls or role.rolcanlogin)
        assert not (role.rolcreaterole or role.rolcreatedb)
        # Temporary tables aside: the bulk path's staging tables (app.core.bulk), private
        # to the connection that made them and gone with it.
        for catalog, owner, namespace in (
            ("pg_class", "relowner", "relnamespace"),
            ("pg_namespace", "nspowner", "oid"),
            ("pg_proc", "proowner", "pronamespace"),
            ("pg_type", "typowner", "typnamespace"),
        ):
            owned = conn.execute(
                sa.text(
                    f"SELECT count(*) FROM {catalog} WHERE {owner} = :oid "  # noqa: S608
                    f"AND {namespace} NOT IN (SELECT oid FROM pg_namespace "
                    "WHERE nspname LIKE 'pg_temp_%' OR nspname LIKE 'pg_toast_temp_%')"
                ),
                {"oid": role.oid},
            ).scalar()
            assert owned == 0, f"{APP_ROLE} owns something in {catalog}"
        databases = "SELECT count(*) FROM pg_database WHERE datdba = :oid"
        assert conn.execute(sa.text(databases), {"oid": role.oid}).scalar() == 0
        # And the trail is insert-only for it even before the trigger.
        grants = set(
            conn.execute(
                sa.text(
                    "SELECT privilege_type FROM information_schema.role_table_grants "
                    "WHERE grantee = :r AND table_name = 'audit_event'"
                ),
                {"r": APP_ROLE},
            ).scalars()
        )
        assert grants == {"SELECT", "INSERT"}


def test_with_no_group_set_the_app_role_sees_no_group_rows(api, world):
    with get_engine().connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM member")).scalar() >= 4  # the owner
        conn.exec_driver_sql(f"SET LOCAL ROLE {APP_ROLE}")
        for table in _group_tables(conn):
            count = conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
            assert count == 0, table
        conn.rollback()


def _probe_app() -> FastAPI:
    """A route on the real request dependencies (the request's session, bound to the
    caller by get_principal) that runs raw SQL with no filter at all."""
    probe = FastAPI()

    @probe.get("/group-ids/{table}")
    def group_ids(table: str, principal: PrincipalDep, session: SessionDep) -> dict:
        rows = session.execute(sa.text(f"SELECT group_id FROM {table}")).scalars()  # noqa: S608
        return {"groups": sorted({str(g) for g in rows}), "mine": principal.group_id}

    @probe.get("/unbound/{table}")
    def unbound(table: str, session: Annotated[sa.orm.Session, Depends(get_session)]) -> dict:
        rows = session.execute(sa.text(f"SELECT group_id FROM {table}")).scalars()  # noqa: S608
        return {"groups": sorted({str(g) for g in rows})}

    @probe.post("/write-into/{group_id}")
    def write_into(group_id: str, principal: PrincipalDep, session: SessionDep) -> dict:
        session.execute(
            sa.text(
                "INSERT INTO audit_event (id, group_id, at, actor, action, resource, detail) "
                "VALUES (:id, :g, now(), 'probe', 'probe.write', NULL, '{}')"
            ),
            {"id": str(uuid.uuid4()), "g": group_id},
        )
        return {}

    return probe


def test_a_raw_select_in_a_request_returns_only_the_callers_group(api, world):
    with get_engine().connect() as conn:
        for table in POPULATED:
            everyone = set(
                conn.execute(sa.text(f"SELECT DISTINCT group_id FROM {table}")).scalars()  # noqa: S608
            )
            assert {world.a.id, world.b.id} <= everyone  # the owner sees both groups
    with TestClient(_probe_app(), raise_server_exceptions=True) as probe:
        for caller, group in (
            (world.a.admin, world.a.id),
            (world.b.members[0].key, world.b.id),  # an API key too
            (world.a.members[1].viewer, world.a.id),
        ):
            for table in POPULATED:
                body = probe.get(f"/group-ids/{table}", headers=caller.headers).json()
                assert body == {"groups": [group], "mine": group}, (table, body)


def test_a_request_session_never_bound_to_a_group_sees_nothing(api, world):
    with TestClient(_probe_app(), raise_server_exceptions=True) as probe:
        for table in POPULATED:
            assert probe.get(f"/unbound/{table}").json() == {"groups": []}


def test_a_request_cannot_write_a_row_into_another_group(api, world):
    with TestClient(_probe_app(), raise_server_exceptions=True) as probe:
        assert (
            probe.post(f"/write-into/{world.a.id}", headers=world.a.admin.headers).status_code
            == 200
        )
        with pytest.raises(DBAPIError, match="row-level security"):
            probe.post(f"/write-into/{world.b.id}", headers=world.a.admin.headers)
