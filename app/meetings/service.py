"""Group meetings: planned by the group admin, their discussion list built from the
group's data and members' nominations, frozen when the meeting is closed.

Every function takes the session first and only flushes; the caller's transaction
commits. Nominators stay anonymous: no response names the member behind a nomination,
only how many there are and whether the caller's member is one of them.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlalchemy import func, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.principal import Principal
from app.clients.service import resolve_reference
from app.core.errors import Conflict, NotFound
from app.core.pagination import PageParams, decode_cursor, encode_cursor, paginate
from app.core.spreadsheet import safe_cell
from app.core.types import today, utcnow
from app.groups.models import Group
from app.groups.service import effective_settings
from app.meetings import agenda as agenda_rules
from app.meetings.models import Meeting, MeetingAgendaItem, MeetingNomination
from app.meetings.schemas import (
    AgendaItem,
    MeetingCreate,
    MeetingOut,
    MeetingPatch,
    NominationCreate,
    NominationOut,
)

CSV_HEADER = (
    "client_name",
    "country",
    "tax_id",
    "reasons",
    "nominations",
    "contributors",
    "weighted_dbt",
    "payment_index",
    "risk_tier",
)


class MeetingClosed(Conflict):
    code, title = "meeting_closed", "Meeting closed"


def to_out(meeting: Meeting) -> MeetingOut:
    return MeetingOut.model_validate(meeting)


def create(session: Session, principal: Principal, body: MeetingCreate) -> Meeting:
    """Plan a meeting; the group's antitrust notice is copied into it."""
    settings = effective_settings(session.get(Group, principal.group_id))
    meeting = Meeting(
        group_id=principal.group_id,
        title=body.title,
        held_on=body.held_on,
        antitrust_notice=settings.antitrust_notice,
    )
    session.add(meeting)
    session.flush()
    audit.record(
        session,
        principal,
        "meeting.created",
        audit.resource("meeting", meeting.id),
        {"title": meeting.title, "held_on": meeting.held_on.isoformat()},
    )
    return meeting


def get(session: Session, meeting_id: str, *, for_update: bool = False) -> Meeting:
    """A meeting of the caller's group (the session's tenant scope), else NotFound."""
    stmt = select(Meeting).where(Meeting.id == meeting_id)
    if for_update:
        # Closing and nominating take the row: a nomination cannot slip in beside a close.
        stmt = stmt.with_for_update()
    meeting = session.execute(stmt).scalar_one_or_none()
    if meeting is None:
        raise NotFound("No such meeting.")
    return meeting


def list_meetings(session: Session, params: PageParams) -> tuple[list[Meeting], str | None]:
    """The group's meetings, the newest `held_on` first."""
    return paginate(
        session,
        select(Meeting),
        [Meeting.held_on, Meeting.id],
        params,
        descending=True,
        kinds=[date, str],
    )


def _planned(meeting: Meeting) -> None:
    if meeting.status == "closed":
        raise MeetingClosed("The meeting is closed; its list is frozen.")


def update(session: Session, principal: Principal, meeting_id: str, body: MeetingPatch) -> Meeting:
    """A planned meeting's new title or day (a closed one: 409 meeting_closed)."""
    meeting = get(session, meeting_id, for_update=True)
    _planned(meeting)
    changes = {}
    for field in ("title", "held_on"):
        if field not in body.model_fields_set:
            continue
        new, old = getattr(body, field), getattr(meeting, field)
        if new != old:
            changes[field] = {"from": str(old), "to": str(new)}
            setattr(meeting, field, new)
    if changes:
        session.flush()
        audit.record(
            session, principal, "meeting.updated", audit.resource("meeting", meeting.id), changes
        )
    return meeting


def close(session: Session, principal: Principal, meeting_id: str) -> Meeting:
    """Close the meeting and store its list as it stands: later data changes nothing."""
    meeting = get(session, meeting_id, for_update=True)
    _planned(meeting)
    items = _build(session, meeting, member_id=None)
    now = utcnow()
    # Only a planned meeting is closed: a rival close that committed first wins.
    closed = session.execute(
        sql_update(Meeting)
        .where(Meeting.id == meeting.id, Meeting.status == "planned")
        .values(status="closed", closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if closed.rowcount != 1:
        raise MeetingClosed("The meeting is closed; its list is frozen.")
    session.add_all(
        MeetingAgendaItem(
            group_id=meeting.group_id,
            meeting_id=meeting.id,
            position=position,
            client_id=item.client.id,
            item=item.model_dump(mode="json", exclude={"nominated_by_you"}),
        )
        for position, item in enumerate(items)
    )
    session.flush()
    session.refresh(meeting)
    audit.record(
        session,
        principal,
        "meeting.closed",
        audit.resource("meeting", meeting.id),
        {"items": len(items)},
    )
    return meeting


def nominate(
    session: Session, principal: Principal, meeting_id: str, body: NominationCreate
) -> tuple[NominationOut, bool]:
    """The caller's member names a client for the list (again: the same one nomination,
    with the new reason). Returns the nomination and whether it is new."""
    meeting = get(session, meeting_id, for_update=True)
    _planned(meeting)
    client = resolve_reference(
        session,
        principal,
        client_id=body.client_id,
        client=body.client,
        customer_ref=body.customer_ref,
    )
    existing = session.execute(
        select(MeetingNomination).where(
            MeetingNomination.meeting_id == meeting.id,
            MeetingNomination.member_id == principal.member_id,
            MeetingNomination.client_id == client.id,
        )
    ).scalar_one_or_none()
    created = existing is None
    if created:
        session.add(
            MeetingNomination(
                group_id=meeting.group_id,
                meeting_id=meeting.id,
                member_id=principal.member_id,
                client_id=client.id,
                reason=body.reason,
            )
        )
    elif existing.reason != body.reason:
        existing.reason = body.reason
        existing.updated_at = utcnow()
    else:
        return _nomination_out(session, meeting.id, client.id, body.reason), False
    session.flush()
    audit.record(
        session,
        principal,
        "meeting.nominated",
        audit.resource("meeting", meeting.id),
        {"client_id": client.id, "reason": body.reason, "created": created},
    )
    return _nomination_out(session, meeting.id, client.id, body.reason), created


def _nomination_out(session: Session, meeting_id: str, client_id: str, reason: str):
    count = session.execute(
        select(func.count())
        .select_from(MeetingNomination)
        .where(MeetingNomination.meeting_id == meeting_id, MeetingNomination.client_id == client_id)
    ).scalar_one()
    return NominationOut(
        meeting_id=meeting_id,
        client_id=client_id,
        reason=reason,
        nominations=count,
        nominated_by_you=True,
    )


def _build(session: Session, meeting: Meeting, *, member_id: str | None) -> list[AgendaItem]:
    previous = session.execute(
        select(func.max(Meeting.held_on)).where(
            Meeting.held_on < meeting.held_on, Meeting.id != meeting.id
        )
    ).scalar_one()
    return agenda_rules.build(
        session,
        group_id=meeting.group_id,
        meeting_id=meeting.id,
        held_on=meeting.held_on,
        previous_held_on=previous,
        today=today(),
        settings=effective_settings(session.get(Group, meeting.group_id)),
        member_id=member_id,
    )


def agenda(session: Session, principal: Principal, meeting_id: str) -> list[AgendaItem]:
    """The meeting's whole list as the caller sees it: built now while the meeting is
    planned, read back as stored once it is closed."""
    meeting = get(session, meeting_id)
    if meeting.status != "closed":
        return _build(session, meeting, member_id=principal.member_id)
    mine: set[str] = set()
    if principal.member_id is not None:
        mine = set(
            session.execute(
                select(MeetingNomination.client_id).where(
                    MeetingNomination.meeting_id == meeting.id,
                    MeetingNomination.member_id == principal.member_id,
                )
            ).scalars()
        )
    stored = session.execute(
        select(MeetingAgendaItem.item, MeetingAgendaItem.client_id)
        .where(MeetingAgendaItem.meeting_id == meeting.id)
        .order_by(MeetingAgendaItem.position)
    )
    return [
        AgendaItem.model_validate({**item, "nominated_by_you": client_id in mine})
        for item, client_id in stored
    ]


def agenda_page(
    session: Session, principal: Principal, meeting_id: str, params: PageParams
) -> tuple[list[AgendaItem], str | None]:
    """One page of the list: the cursor is a position in it."""
    items = agenda(session, principal, meeting_id)
    start = decode_cursor(params.cursor, [int])[0] if params.cursor else 0
    if start < 0:
        start = 0
    end = start + params.limit
    return items[start:end], encode_cursor([end]) if end < len(items) else None


def agenda_csv(session: Session, principal: Principal, meeting_id: str) -> str:
    """The list for the meeting room, one row per item; every cell neutralised against
    spreadsheet formula injection (a client's name is anyone's input)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for item in agenda(session, principal, meeting_id):
        profile = item.profile
        row = (
            item.client.legal_name,
            item.client.country,
            item.client.tax_id or "",
            ";".join(item.reasons),
            item.nominations,
            profile.contributors,
            "" if profile.weighted_dbt is None else f"{profile.weighted_dbt:.2f}",
            "" if profile.payment_index is None else profile.payment_index,
            profile.risk_tier or "",
        )
        writer.writerow([safe_cell(str(cell)) for cell in row])
    return out.getvalue()
