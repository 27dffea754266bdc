"""The one gate between a caller and a group's data.

Every table of group data inherits `GroupScoped`. A request's session is bound to the
caller's group (`bind_session`); from then on every ORM SELECT, UPDATE and DELETE on a
group-scoped table gets `group_id = <caller's group>` added by the session itself
(`with_loader_criteria`), so a query that forgets the filter still cannot read or touch
another group. Platform admins, who have no group, see no group data at all. Workers
and the CLI use explicitly unscoped sessions (`app.core.db.system_session`), or
`session.group_session` for work done for one group. The gate is connected by
`app.wiring.install()`; request sessions are refused until it is.

Set-based Core statements (bulk inserts, aggregates) do not pass through the ORM hook;
they take the group from `Principal.group_id` and name `group_id` in their SQL
(tests/tenancy/test_raw_sql_lint.py). On PostgreSQL, row-level security is the second
wall behind both (`session.py`, migrations/rls.py, docs/SCALING.md).
"""
