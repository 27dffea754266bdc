"""Payment experiences: the single and batch submissions, and a member's own lines.

Both submissions go through the rules and the upsert of `ingest.py`. A member reads and
deletes only its own lines: another member's line, like another group's, is not found.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.principal import Principal
from app.clients import service as clients
from app.core.errors import NotFound, PayloadTooLarge, ValidationFailed
from app.core.hooks import experiences_landed
from app.core.pagination import PageParams, paginate
from app.core.types import today, utcnow
from app.experiences.checks import check_reference, check_rules
from app.experiences.ingest import (
    IngestResult,
    group_currency,
    ingest,
    upsert_lines,
)
from app.experiences.models import Experience
from app.experiences.schemas import ExperienceSubmission

MAX_BATCH_ITEMS = 5000


def submit(session: Session, principal: Principal, body: ExperienceSubmission) -> Experience:
    """Store one line (replacing the member's line of the same client and `as_of`)."""
    errors = check_rules(body, group_currency(session, principal.group_id), today())
    errors += check_reference(body)
    if errors:
        for error in errors:
            error["loc"] = ["body", *error["loc"]]
        raise ValidationFailed(_first(errors), errors=errors)
    client = clients.resolve_reference(
        session,
        principal,
        client_id=body.client_id,
        client=body.client,
        customer_ref=body.customer_ref,
    )
    created = upsert_lines(session, principal, [(client.id, body, body.customer_ref)], utcnow())
    experiences_landed.send(session, principal, {client.id})
    audit.record(
        session,
        principal,
        "experiences.submitted",
        audit.resource("client", client.id),
        {"received": 1, "created": created, "updated": 1 - created, "rejected": 0},
    )
    stmt = _own(principal).where(Experience.client_id == client.id, Experience.as_of == body.as_of)
    return session.execute(stmt).scalar_one()


def submit_batch(session: Session, principal: Principal, items: list[Any]) -> IngestResult:
    """Store the valid items, report the invalid ones by index; one audit event."""
    if len(items) > MAX_BATCH_ITEMS:
        raise PayloadTooLarge(
            f"A batch holds at most {MAX_BATCH_ITEMS} items ({len(items)} sent); "
            "split it, or upload a CSV to POST /v1/imports."
        )
    result = ingest(session, principal, items)
    audit.record(
        session,
        principal,
        "experiences.submitted",
        None,
        {
            "received": result.received,
            "created": result.created,
            "updated": result.updated,
            "rejected": result.rejected,
        },
    )
    return result


def list_own(
    session: Session,
    principal: Principal,
    params: PageParams,
    client_id: str | None = None,
    as_of: date | None = None,
) -> tuple[list[Experience], str | None]:
    """The caller's member's lines, newest `as_of` first (then the latest stored), of
    one client (which must be the group's) and one `as_of` when asked."""
    stmt = _own(principal)
    if client_id is not None:
        clients.get(session, client_id)
        stmt = stmt.where(Experience.client_id == client_id)
    if as_of is not None:
        stmt = stmt.where(Experience.as_of == as_of)
    order = [Experience.as_of, Experience.created_at, Experience.id]
    return paginate(session, stmt, order, params, descending=True, kinds=[date, datetime, str])


def get_own(session: Session, principal: Principal, experience_id: str) -> Experience:
    row = session.execute(
        _own(principal).where(Experience.id == experience_id)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("No such experience.")
    return row


def delete_own(session: Session, principal: Principal, experience_id: str) -> None:
    row = get_own(session, principal, experience_id)
    session.delete(row)
    audit.record(
        session,
        principal,
        "experiences.deleted",
        audit.resource("experience", row.id),
        {"client_id": row.client_id, "as_of": row.as_of.isoformat()},
    )


def _own(principal: Principal):
    """The member's own lines (the session adds the group)."""
    return select(Experience).where(Experience.member_id == principal.member_id)


def _first(errors: list[dict]) -> str:
    first = errors[0]
    return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
