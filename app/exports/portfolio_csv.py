"""The portfolio as CSV: its columns and rows, for `GET /v1/portfolio.csv` and the
console's download of the same file (one writer, `app.core.csvexport`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from fastapi.responses import StreamingResponse

from app.core import csvexport
from app.portfolio.service import PortfolioEntry

PORTFOLIO_COLUMNS = (
    "client_id",
    "legal_name",
    "country",
    "tax_id",
    "duns",
    "lei",
    "city",
    "postal_code",
    "own_as_of",
    "own_total_owed",
    "own_high_credit",
    "watched",
    "contributors",
    "suppressed",
    "weighted_dbt",
    "payment_index",
    "payment_index_3m_ago",
    "risk_tier",
)


def row(entry: PortfolioEntry) -> tuple:
    client = entry.client
    return (
        client.id,
        client.legal_name,
        client.country,
        client.tax_id,
        client.duns,
        client.lei,
        client.city,
        client.postal_code,
        entry.own_as_of,
        entry.own_total_owed,
        entry.own_high_credit,
        entry.watched,
        entry.contributors,
        entry.suppressed,
        entry.weighted_dbt,
        entry.payment_index,
        entry.payment_index_3m_ago,
        entry.risk_tier,
    )


def lines(entries: Iterable[PortfolioEntry]) -> Iterator[str]:
    """The header, then one line per entry, in the order given."""
    return csvexport.csv_lines(PORTFOLIO_COLUMNS, (row(e) for e in entries))


def download(entries: Iterable[PortfolioEntry]) -> StreamingResponse:
    """The file as a download (`portfolio.csv`), streamed."""
    return StreamingResponse(
        lines(entries),
        media_type=csvexport.MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="portfolio.csv"'},
    )
