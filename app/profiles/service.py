"""The pooled payment profile of a client: the rules of the contract, in order.

1. `as_of` (default today, UTC) may not be in the future.
2. Reciprocity: a member that submitted nothing in `reciprocity_days` may not read
   profiles (group admins may; 0 days turns the rule off).
3. The client must be the caller's group's (else 404).
4. Lines: each member's latest line in the lookback; the figures pooled from them unless
   an anonymity rule suppresses them; the trend month by month under the same rules.
5. The read is recorded (inquiry + audit event): in the request's own transaction on
   PostgreSQL, group-committed before the answer on SQLite (`Database.record`).

Settings are read from the group row on every call, so a change applies to the next read.
The pooled part of a profile (everything but the reader's own line, reciprocity and
inquiries) is kept per process under the group's data version (app/profiles/cache.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction

from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.clients.schemas import ClientOut
from app.core.errors import NotFound, ReciprocityRequired, ValidationFailed, field_error
from app.core.types import today, utcnow
from app.fraud.schemas import FraudAlertOut
from app.groups.schemas import GroupSettings
from app.legal import service as legal_service
from app.profiles import formulas, queries
from app.profiles.cache import profile_cache
from app.profiles.schemas import (
    AgingPct,
    ProfileOut,
    Totals,
    TradeLine,
    TrendMonth,
)

INQUIRY_DAYS = 90
BUCKETS = ("current", "past_due_1_30", "past_due_31_60", "past_due_61_90", "past_due_over_90")
PAST_DUE = BUCKETS[1:]


@dataclass(frozen=True)
class Pooled:
    """What every member reading the profile sees alike, as JSON ready to send (cached,
    see app.profiles.cache): plain strings, which the garbage collector never scans.

    `head` is the response from `client` to `trend`; each trade line and legal action is
    kept in the variants a reader can see, with the member it belongs to."""

    head: str
    suppressed: bool
    # (member id, as others see it, as its member sees it, as its member sees it alone)
    lines: tuple[tuple[str, str, str, str], ...]
    # (member id, as others see it, as its reporter sees it)
    legal: tuple[tuple[str, str, str], ...]
    fraud: str  # the fraud_alerts array


_FRAUD_ALERTS = TypeAdapter(list[FraudAlertOut])

# What `head` is cut from: the response with these fields empty ends exactly so.
_TAIL = ',"trade_lines":[],"legal_actions":[],"fraud_alerts":[],"inquiries_90d":0}'


@dataclass(frozen=True)
class _Ask:
    """One read: who, as of when, and its inquiry window."""

    principal: Principal
    group_id: str
    as_of: date
    now: datetime
    after: datetime
    until: datetime


def read_profile(
    session: Session, principal: Principal, client_id: str, as_of: date | None = None
) -> str:
    """The client's profile as the caller may see it, as of `as_of` (default today): the
    response body, `ProfileOut` as JSON. The read is recorded (an inquiry, an audit
    event) through `Database.record`: with the session's transaction, or before the
    request's answer (see there)."""
    ask = _ask(principal, as_of)
    found = queries.reader_and_client(
        session, ask.group_id, principal.member_id, client_id, ask.after, ask.until
    )
    settings, key = _admit(ask, found)
    cache = profile_cache()
    pooled = cache.get(key)
    if pooled is None:
        pooled = _pool(session, ask.group_id, found, ask.as_of, settings)
        cache.put(key, pooled)
    return _answer(session, ask, found, pooled)


def _ask(principal: Principal, as_of: date | None) -> _Ask:
    now = utcnow()
    as_of = _check_as_of(as_of, now)
    if principal.group_id is None:
        raise NotFound("No such client.")
    after, until = _inquiry_window(as_of, now)
    return _Ask(principal, principal.group_id, as_of, now, after, until)


def _admit(ask: _Ask, found) -> tuple[GroupSettings, tuple]:
    """The group's settings and the cache key of the pooled part, once the caller may
    read this client's profile (else 403 reciprocity_required, or 404)."""
    if found is None:
        raise NotFound("No such client.")
    settings = group_settings(found.settings)
    check_reciprocity(ask.principal, settings, found.last_shared, ask.now)
    if found.id is None:
        raise NotFound("No such client.")
    # The settings are in the key too: the version covers them, this costs nothing.
    key = (ask.group_id, found.id, ask.as_of, found.data_version, found.currency)
    return settings, key + _frozen(settings)


def _answer(session: Session, ask: _Ask, found, pooled: Pooled) -> str:
    """Record the read, count the inquiries (this read included), and the body."""
    member_id = ask.principal.member_id
    queries.record_read(
        session, ask.group_id, found.id, member_id, ask.principal.actor, ask.now, ask.as_of
    )
    # Distinct members in the window: the others, and the caller's member when it read
    # in the window before or this read falls in it (today's profile).
    inquiries = found.other_readers
    if member_id and (found.own_reads or ask.until >= ask.now):
        inquiries += 1
    return _view(pooled, member_id, inquiries)


def _pool(session: Session, group_id: str, client, as_of: date, settings: GroupSettings) -> Pooled:
    """The profile's pooled part, from the database (index range reads, see queries)."""
    lookback, months, day_after = _windows(as_of, settings)
    return _pooled(
        client,
        as_of,
        settings,
        months,
        queries.latest_lines(session, group_id, client.id, lookback, as_of),
        queries.month_summaries(session, group_id, client.id, months, as_of),
        queries.legal_actions(session, group_id, client.id, as_of),
        queries.approved_fraud(session, group_id, client.id, day_after),
    )


def _windows(as_of: date, settings: GroupSettings) -> tuple[date, list[date], datetime]:
    """(lines after this date, the trend's months, fraud approved before this time)."""
    return (
        formulas.lookback_start(as_of, settings.lookback_months),
        formulas.trend_months(as_of, settings.lookback_months),
        datetime.combine(as_of + timedelta(days=1), time(), tzinfo=UTC),
    )


def _pooled(client, as_of: date, settings: GroupSettings, months, lines, sums, legal, fraud):
    """The pooled part from the rows read: the formulas, and the JSON fragments."""
    reason = formulas.suppression_reason(
        [line.total_owed for line in lines],
        min_contributors=settings.min_contributors,
        dominance_share=settings.dominance_share,
        p_percent=settings.p_percent,
    )
    dbt_by_member = {
        line.member_id: formulas.line_dbt(
            line.total_owed, [getattr(line, b) for b in PAST_DUE], line.days_beyond_terms
        )
        for line in lines
    }
    totals = aging = weighted = None
    if reason is None:
        totals = Totals(
            high_credit=sum((line.high_credit for line in lines), Decimal(0)),
            total_owed=sum((line.total_owed for line in lines), Decimal(0)),
            **{b: sum((getattr(line, b) for line in lines), Decimal(0)) for b in BUCKETS},
        )
        aging = aging_percentages(totals)
        weighted = formulas.weighted_dbt(
            [(dbt_by_member[line.member_id], line.total_owed, line.high_credit) for line in lines]
        )
    index = formulas.payment_index(weighted)

    tier = formulas.risk_tier(
        index, approved_fraud=bool(fraud), legal=[(a.kind, a.status) for a in legal]
    )
    ordered = sorted(
        lines,
        key=lambda ln: formulas.contributor_order_key(
            client.id, ln.member_id, ln.high_credit, ln.total_owed, ln.as_of
        ),
    )
    head = ProfileOut(
        client=ClientOut.of(client),
        as_of=as_of,
        currency=client.currency,
        contributors=len(lines),
        suppressed=reason is not None,
        suppression_reason=reason,
        totals=totals,
        aging_pct=aging,
        weighted_dbt=two_places(weighted) if weighted is not None else None,
        payment_index=index,
        risk_tier=tier,
        trend=_trend(months, sums, settings),
        trade_lines=[],
        legal_actions=[],
        fraud_alerts=[],
        inquiries_90d=0,
    ).model_dump_json()
    if not head.endswith(_TAIL):  # pragma: no cover - guards a change of ProfileOut
        raise RuntimeError("ProfileOut no longer ends with trade_lines ... inquiries_90d")
    trade_lines = []
    for position, line in enumerate(ordered):
        dbt = dbt_by_member[line.member_id]
        trade_lines.append((line.member_id, *_trade_line_variants(line, position, dbt)))
    return Pooled(
        head=head[: -len(_TAIL)],
        suppressed=reason is not None,
        lines=tuple(trade_lines),
        legal=tuple(
            (
                action.member_id,
                legal_service.out(action, reported_by_you=False).model_dump_json(),
                legal_service.out(action, reported_by_you=True).model_dump_json(),
            )
            for action in legal
        ),
        fraud=_FRAUD_ALERTS.dump_json([FraudAlertOut.model_validate(r) for r in fraud]).decode(),
    )


def _view(pooled: Pooled, member_id: str | None, inquiries: int) -> str:
    """The profile as this caller sees it: its own line marked (and only its own line,
    lettered A, when the figures are suppressed), its own legal actions marked."""
    if pooled.suppressed:
        lines = [alone for member, _, _, alone in pooled.lines if member == member_id]
    else:
        lines = [own if member == member_id else other for member, other, own, _ in pooled.lines]
    legal = [mine if member == member_id else other for member, other, mine in pooled.legal]
    return "".join(
        (
            pooled.head,
            ',"trade_lines":[',
            ",".join(lines),
            '],"legal_actions":[',
            ",".join(legal),
            '],"fraud_alerts":',
            pooled.fraud,
            ',"inquiries_90d":',
            str(inquiries),
            "}",
        )
    )


def _trade_line(line, position: int, dbt, *, is_own: bool) -> TradeLine:
    return TradeLine(
        contributor=formulas.contributor_letter(position),
        is_own=is_own,
        as_of=line.as_of,
        terms_days=line.terms_days,
        high_credit=line.high_credit,
        total_owed=line.total_owed,
        **{b: getattr(line, b) for b in BUCKETS},
        dbt=two_places(dbt),
        comments=list(line.comments or []),
    )


def _trade_line_variants(line, position: int, dbt) -> tuple[str, str, str]:
    """The line's JSON as other members see it, as its member sees it, and as its member
    sees it alone (letter A): one serialization, the three differ only in what the
    response model puts first (`contributor`, `is_own`)."""
    letter = formulas.contributor_letter(position)
    others = _trade_line(line, position, dbt, is_own=False).model_dump_json()
    head = f'{{"contributor":"{letter}","is_own":false,'
    if not others.startswith(head):  # pragma: no cover - guards a change of TradeLine
        raise RuntimeError("TradeLine no longer starts with contributor, is_own")
    rest = others[len(head) :]
    own = f'{{"contributor":"{letter}","is_own":true,{rest}'
    return others, own, f'{{"contributor":"A","is_own":true,{rest}'


def _frozen(settings: GroupSettings) -> tuple:
    return tuple(settings.model_dump().items())


def _inquiry_window(as_of: date, now: datetime) -> tuple[datetime, datetime]:
    """(after, until]: the 90 days up to now for today's profile (this read included),
    the 90 days up to the end of `as_of` for a past one (so that it reads the same
    later). `inquiries_90d` counts the distinct members that read the profile in it."""
    until = min(now, datetime.combine(as_of + timedelta(days=1), time(), tzinfo=UTC))
    return until - timedelta(days=INQUIRY_DAYS), until


def aging_percentages(totals: Totals) -> AgingPct | None:
    """Each bucket as a percentage of total_owed (2 decimals, halves up); None when
    nothing is owed (a share of nothing is not a number). The rounded shares need not
    add up to exactly 100."""
    owed = totals.total_owed
    if not owed:
        return None
    owed_n, owed_d = owed.as_integer_ratio()
    shares = {}
    for b in BUCKETS:
        n, d = getattr(totals, b).as_integer_ratio()
        shares[b] = _two_places_of(100 * n * owed_d, d * owed_n)  # b / owed · 100
    return AgingPct(total_owed=100.0, **shares)


def two_places(value: Fraction | Decimal | int) -> float:
    """A figure for display: 2 decimals, halves rounded away from zero, computed exactly
    (integer arithmetic: this runs some twenty times per profile)."""
    if isinstance(value, Fraction | int):
        return _two_places_of(value.numerator, value.denominator)
    return _two_places_of(*value.as_integer_ratio())


def _two_places_of(n: int, d: int) -> float:
    """two_places(n / d), d != 0."""
    if d < 0:
        n, d = -n, -d
    cents = (200 * abs(n) + d) // (2 * d)  # floor(|x|·100 + 1/2)
    return (cents if n >= 0 else -cents) / 100


def group_settings(stored: dict | None) -> GroupSettings:
    """The group's anonymity and reciprocity settings, defaults filled in (settings that
    other features keep in the same document are not ours to judge)."""
    stored = stored or {}
    return GroupSettings.model_validate(
        {k: v for k, v in stored.items() if k in GroupSettings.model_fields}
    )


def _check_as_of(as_of: date | None, now: datetime) -> date:
    today = now.date()
    if as_of is None:
        return today
    if as_of > today:
        raise ValidationFailed(
            "as_of may not be in the future.",
            errors=[field_error(["query", "as_of"], "may not be in the future", "value_error")],
        )
    return as_of


def check_reciprocity(
    principal: Principal, settings: GroupSettings, last_shared: datetime | None, now: datetime
) -> None:
    """Members must have submitted (created or replaced) a line in `reciprocity_days`."""
    if principal.is_group_admin or settings.reciprocity_days == 0:
        return
    since = now - timedelta(days=settings.reciprocity_days)
    if principal.member_id and last_shared is not None and last_shared >= since:
        return
    raise ReciprocityRequired(
        f"Profiles are for members that share: submit at least one payment experience "
        f"(within {settings.reciprocity_days} days) to read them."
    )


def _trend(months: list[date], sums: dict, settings: GroupSettings) -> list[TrendMonth]:
    trend = []
    current = today().replace(day=1)
    for i, first in enumerate(months):
        month = sums.get(i)
        contributors = month.contributors if month else 0
        reason = formulas.suppression_from_summary(
            contributors,
            month.total_owed_cents if month else 0,
            month.largest_owed_cents if month else 0,
            month.second_owed_cents if month else 0,
            min_contributors=settings.min_contributors,
            dominance_share=settings.dominance_share,
            p_percent=settings.p_percent,
        )
        if reason is not None or month is None:
            trend.append(
                TrendMonth(
                    month=first.strftime("%Y-%m"),
                    contributors=contributors,
                    total_owed=None,
                    weighted_dbt=None,
                    payment_index=None,
                    in_progress=first >= current,
                )
            )
            continue
        weighted = month.weighted_dbt
        trend.append(
            TrendMonth(
                month=first.strftime("%Y-%m"),
                contributors=contributors,
                total_owed=Decimal(month.total_owed_cents) / 100,
                weighted_dbt=two_places(weighted) if weighted is not None else None,
                payment_index=formulas.payment_index(weighted),
                in_progress=first >= current,
            )
        )
    return trend
