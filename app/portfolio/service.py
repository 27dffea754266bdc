"""A member's portfolio: its own customers, with the pooled figures, segmented by risk.

The portfolio is every client the caller's member has a line for in the lookback, or
watches. Each client's pooled figures follow the profile's rules as of today (the same
formulas, the same anonymity rules, `app.profiles.formulas`), summed for all clients in
one statement (`app.portfolio.queries`), never one profile per client. Reading it
records no inquiry: these are the member's own customers. Reciprocity applies as on a
profile, since the pooled figures are the profile's.

`portfolio_entries` (every client, ordered) is the service the CSV export and the web
console call; `portfolio_page` adds the summary, the filter and the cursor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.clients.schemas import ClientOut
from app.core.errors import Forbidden, ReciprocityRequired, ValidationFailed, field_error
from app.core.pagination import decode_cursor, encode_cursor
from app.core.types import utcnow
from app.groups.models import Group
from app.members.models import Member
from app.portfolio import queries
from app.portfolio.schemas import (
    OwnLine,
    PortfolioItem,
    PortfolioOut,
    PortfolioSummary,
    TierSummary,
)
from app.profiles import formulas
from app.profiles.queries import MonthSummary
from app.profiles.service import check_reciprocity, group_settings, two_places

# The change of the payment index is shown over this many months.
CHANGE_MONTHS = 3
TIERS = ("low", "medium", "high")


@dataclass(frozen=True)
class _Pooled:
    contributors: int
    suppressed: bool
    weighted_dbt: float | None
    payment_index: int | None


def _pooled(summary: MonthSummary | None, settings) -> _Pooled:
    """The profile's rules on one client's sums: suppression first, then the figures."""
    contributors = summary.contributors if summary else 0
    reason = formulas.suppression_from_summary(
        contributors,
        summary.total_owed_cents if summary else 0,
        summary.largest_owed_cents if summary else 0,
        summary.second_owed_cents if summary else 0,
        min_contributors=settings.min_contributors,
        dominance_share=settings.dominance_share,
        p_percent=settings.p_percent,
    )
    if reason is not None or summary is None:
        return _Pooled(contributors, True, None, None)
    weighted = summary.weighted_dbt
    return _Pooled(
        contributors,
        False,
        two_places(weighted) if weighted is not None else None,
        formulas.payment_index(weighted),
    )


def _member_and_settings(session: Session, principal: Principal):
    row = session.execute(
        select(Group.settings, Member.last_shared_at)
        .join(Member, Member.group_id == Group.id)
        .where(Group.id == principal.group_id, Member.id == principal.member_id)
    ).first()
    if row is None:  # pragma: no cover - a member's principal always has both
        raise Forbidden("The portfolio is a member's; your account acts for none.")
    return group_settings(row.settings), row.last_shared_at


@dataclass(frozen=True, slots=True)
class PortfolioEntry:
    """One client of the portfolio with its figures: the item of `GET /v1/portfolio`
    before it is made a response model (only a page's worth of them ever are)."""

    client: object  # the client's columns, as `ClientOut.of` reads them
    own_as_of: date | None
    own_total_owed: Decimal | None
    own_high_credit: Decimal | None
    watched: bool
    contributors: int
    suppressed: bool
    weighted_dbt: float | None
    payment_index: int | None
    payment_index_3m_ago: int | None
    risk_tier: str | None

    @property
    def exposure(self) -> Decimal:
        """The member's own total_owed (0 without a line in the lookback)."""
        return self.own_total_owed if self.own_total_owed is not None else Decimal(0)

    @property
    def tier(self) -> str:
        return self.risk_tier or "unrated"

    def item(self) -> PortfolioItem:
        own = None
        if self.own_as_of is not None:
            own = OwnLine(
                as_of=self.own_as_of,
                total_owed=self.own_total_owed,
                high_credit=self.own_high_credit,
            )
        return PortfolioItem(
            client=ClientOut.of(self.client),
            own=own,
            watched=self.watched,
            contributors=self.contributors,
            suppressed=self.suppressed,
            weighted_dbt=self.weighted_dbt,
            payment_index=self.payment_index,
            payment_index_3m_ago=self.payment_index_3m_ago,
            risk_tier=self.risk_tier,
        )


def portfolio_entries(session: Session, principal: Principal) -> list[PortfolioEntry]:
    """Every client of the caller's member's portfolio with its figures as of today,
    largest own exposure first (403 reciprocity_required as on a profile)."""
    if principal.member_id is None or principal.group_id is None:
        raise Forbidden("The portfolio is a member's; your account acts for none.")
    now = utcnow()
    settings, last_shared = _member_and_settings(session, principal)
    check_reciprocity(principal, settings, last_shared, now)
    entries = _entries(session, principal, settings, now.date())
    entries.sort(key=_sort_key("exposure"))
    return entries


def pooled_figures(
    session: Session, principal: Principal, client_ids: list[str]
) -> dict[str, PortfolioEntry]:
    """These clients' pooled figures as of today, by client id (one statement), for a
    caller that may read profiles (`profiles:read`, and reciprocity as on a profile);
    nothing for any other caller, so that no pooled figure reaches it."""
    if not client_ids or principal.group_id is None or not principal.can("profiles:read"):
        return {}
    now = utcnow()
    settings, last_shared = _group_settings(session, principal)
    try:
        check_reciprocity(principal, settings, last_shared, now)
    except ReciprocityRequired:
        return {}
    entries = _entries(session, principal, settings, now.date(), client_ids)
    return {entry.client.id: entry for entry in entries}


def _group_settings(session: Session, principal: Principal):
    if principal.member_id is not None:
        return _member_and_settings(session, principal)
    settings = session.execute(
        select(Group.settings).where(Group.id == principal.group_id)
    ).scalar_one()
    return group_settings(settings), None


def _entries(session, principal, settings, today, client_ids=None) -> list[PortfolioEntry]:
    then = formulas.add_months(today, -CHANGE_MONTHS)
    rows = queries.portfolio_rows(
        session,
        principal.group_id,
        principal.member_id,
        after=formulas.lookback_start(today, settings.lookback_months),
        today=today,
        after_then=formulas.lookback_start(then, settings.lookback_months),
        then=then,
        approved_before=datetime.combine(today + timedelta(days=1), time(), tzinfo=UTC),
        client_ids=client_ids,
    )
    entries = []
    for row in rows:
        pooled = _pooled(row.now, settings)
        earlier = _pooled(row.then, settings)
        entries.append(
            PortfolioEntry(
                client=row.client,
                own_as_of=row.own_as_of,
                own_total_owed=row.own_total_owed,
                own_high_credit=row.own_high_credit,
                watched=row.watched,
                contributors=pooled.contributors,
                suppressed=pooled.suppressed,
                weighted_dbt=pooled.weighted_dbt,
                payment_index=pooled.payment_index,
                payment_index_3m_ago=earlier.payment_index,
                risk_tier=formulas.risk_tier_of_facts(
                    pooled.payment_index,
                    approved_fraud=row.approved_fraud,
                    open_severe_legal=row.open_severe_legal,
                    open_legal=row.open_legal,
                ),
            )
        )
    return entries


def _sort_key(sort: str):
    """exposure: own total_owed, largest first; payment_index: lowest (worst) first,
    unknown last. Ties by legal name, then id, so that every order is total."""
    if sort == "payment_index":
        return lambda e: (
            e.payment_index is None,
            e.payment_index or 0,
            e.client.legal_name,
            e.client.id,
        )
    return lambda e: (-e.exposure, e.client.legal_name, e.client.id)


def _cursor_key(sort: str, cursor: str) -> tuple:
    if sort == "payment_index":
        unknown, index, name, id_ = decode_cursor(cursor, [bool, int, str, str])
        return (unknown, index, name, id_)
    owed, name, id_ = decode_cursor(cursor, [str, str, str])
    try:
        return (-Decimal(owed), name, id_)
    except ArithmeticError:
        raise ValidationFailed(
            "The cursor is not one this API gave out.",
            errors=[field_error(["query", "cursor"], "invalid cursor", "value_error")],
        ) from None


def _cursor_of(sort: str, entry: PortfolioEntry) -> str:
    if sort == "payment_index":
        return encode_cursor(list(_sort_key(sort)(entry)))
    return encode_cursor([str(entry.exposure), entry.client.legal_name, entry.client.id])


def summarize(entries: list[PortfolioEntry]) -> PortfolioSummary:
    """Clients and own exposure per tier (`unrated`: risk_tier null)."""
    counts = {tier: [0, Decimal(0)] for tier in (*TIERS, "unrated")}
    for entry in entries:
        count = counts[entry.tier]
        count[0] += 1
        count[1] += entry.exposure
    return PortfolioSummary(
        **{tier: TierSummary(clients=n, total_owed=owed) for tier, (n, owed) in counts.items()}
    )


def filtered(
    entries: list[PortfolioEntry], risk_tier: str | None = None, sort: str = "exposure"
) -> list[PortfolioEntry]:
    """The entries of one tier (`unrated`: none), in the order asked for."""
    chosen = [e for e in entries if risk_tier is None or e.tier == risk_tier]
    return sorted(chosen, key=_sort_key(sort))


def portfolio_page(
    session: Session,
    principal: Principal,
    *,
    risk_tier: str | None = None,
    sort: str = "exposure",
    limit: int = 50,
    cursor: str | None = None,
) -> PortfolioOut:
    """`GET /v1/portfolio`: the summary of the whole portfolio, and one page of items."""
    entries = portfolio_entries(session, principal)
    chosen = filtered(entries, risk_tier, sort)
    if cursor:
        after = _cursor_key(sort, cursor)
        key = _sort_key(sort)
        chosen = [e for e in chosen if key(e) > after]
    page = chosen[:limit]
    next_cursor = _cursor_of(sort, page[-1]) if len(chosen) > limit else None
    return PortfolioOut(
        summary=summarize(entries), items=[e.item() for e in page], next_cursor=next_cursor
    )
