"""Binding a session to a tenant: the filter every ORM statement then carries."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from app.tenancy.models import GroupScoped

# No real group has this id: a session bound to "no group" (a platform admin) reads none.
NO_GROUP = "00000000-0000-0000-0000-000000000000"


def bind_session(session: Session, group_id: str | None) -> None:
    session.info["tenant_group_id"] = group_id or NO_GROUP


@event.listens_for(Session, "do_orm_execute")
def _scope_to_tenant(state: ORMExecuteState) -> None:
    session = state.session
    if session.info.get("unscoped"):
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    scoped = [m.class_ for m in state.all_mappers if issubclass(m.class_, GroupScoped)]
    if not scoped:
        return
    group_id = session.info.get("tenant_group_id")
    if group_id is None:
        # A request session that was never bound is a programming error: fail closed.
        raise RuntimeError("session used for group data without a tenant (bind_session)")
    state.statement = state.statement.options(
        *(
            with_loader_criteria(cls, lambda c: c.group_id == group_id, include_aliases=True)
            for cls in scoped
        )
    )
