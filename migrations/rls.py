"""Row-level security on PostgreSQL: the second wall behind the ORM's tenancy gate.

Every table with a `group_id` is protected by `protect(table)`: row-level security
enabled and FORCEd (the table's owner is subject to it too), and two policies:

- `<table>_group`, for the role the served process works as (`creditpool_app`): a row
  is visible and writable only when its `group_id` is the transaction's
  `current_setting('app.group_id', true)`. Unset, nothing matches: the role sees no
  group rows at all.
- `<table>_owner`, for the role that ran the migration (the owner): every row. The owner
  is who migrates, and who does the few deliberate cross-group things (logins by email,
  API key lookups, claiming queued jobs, platform admins: app/tenancy/session.py names
  them). Without it a FORCEd table would hide its rows from an owner that is not a
  superuser (a managed database's usual case).

A migration that creates a table with a `group_id` calls `protect("<table>")` in its
upgrade (and `unprotect` in its downgrade); tests/tenancy/test_rls.py fails for any
group table without both policies. SQLite has no row-level security: the calls do
nothing there, and the ORM gate is the only wall.

Used from migrations as `from migrations.rls import protect` (alembic.ini puts the
project's directory on sys.path).
"""

from __future__ import annotations

from alembic import op

APP_ROLE = "creditpool_app"
GROUP_SETTING = "app.group_id"
_GROUP_MATCH = f"group_id = current_setting('{GROUP_SETTING}', true)"


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def create_app_role() -> None:
    """The role the served process switches to (SET ROLE): no login, not a superuser,
    no BYPASSRLS, owning nothing. Roles belong to the whole cluster, which several
    databases may share (each test run's, a staging copy): created only if missing, and
    a concurrent creation by another database's migration is not an error. The owner
    is made a member so that it may SET ROLE to it (a superuser may anyway)."""
    if not _postgres():
        return
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                BEGIN
                    CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB
                        NOCREATEROLE NOINHERIT;
                EXCEPTION WHEN duplicate_object OR unique_violation THEN
                    NULL;  -- another database's migration created it meanwhile
                END;
            END IF;
            IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
               AND NOT pg_has_role(current_user, '{APP_ROLE}', 'MEMBER') THEN
                EXECUTE format('GRANT {APP_ROLE} TO %I', current_user);
            END IF;
        END
        $$
        """  # noqa: S608 - the constants of this module, no input
    )


def grant_app_role() -> None:
    """What the served process needs: read and write the tables (row-level security
    narrows that to the caller's group), never change their shape, never own them. The
    audit trail is insert-only (its trigger refuses the rest to anyone). Tables that
    later migrations create get the same grants (default privileges of the owner)."""
    if not _postgres():
        return
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}"
    )
    op.execute(f"REVOKE UPDATE, DELETE ON audit_event FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON alembic_version FROM {APP_ROLE}")


def revoke_app_role() -> None:
    """Undo `grant_app_role` in this database (the role itself stays: other databases of
    the cluster may use it)."""
    if not _postgres():
        return
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {APP_ROLE}"
    )
    revoke = f"REVOKE USAGE, SELECT ON SEQUENCES FROM {APP_ROLE}"  # noqa: S608 - constants
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public {revoke}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {APP_ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {APP_ROLE}")


def protect(table: str) -> None:
    """Row-level security on one table with a `group_id` (see the module's docstring)."""
    if not _postgres():
        return
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY {table}_group ON {table} TO {APP_ROLE} "
        f"USING ({_GROUP_MATCH}) WITH CHECK ({_GROUP_MATCH})"
    )
    op.execute(
        f"CREATE POLICY {table}_owner ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)"
    )


def unprotect(table: str) -> None:
    if not _postgres():
        return
    op.execute(f"DROP POLICY IF EXISTS {table}_owner ON {table}")
    op.execute(f"DROP POLICY IF EXISTS {table}_group ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
