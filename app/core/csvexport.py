"""CSV downloads: one writer for every export, safe to open in a spreadsheet.

A spreadsheet reads a cell that starts with `=`, `+`, `-` or `@` (and, in some, a tab or
a carriage return) as a formula: a client's legal name such as `=HYPERLINK(...)`, typed
by any member, would run on the machine of whoever opens the export (CSV or formula
injection, OWASP). Every text cell that starts so is written with a leading `'`, which
spreadsheets show as text and do not evaluate. Numbers written by us are left as they
are: a negative DBT must stay a number (`-3.5`), and no member can shape it.

The dialect (comma, `"` quoting when needed, CRLF line ends, UTF-8) is the standard
library's `csv.excel`, the form RFC 4180 describes. The rule for one cell is
`app.core.spreadsheet.safe_cell`, shared with the meetings' agenda export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from app.core.spreadsheet import FORMULA_STARTS, safe_cell

__all__ = ["FORMULA_STARTS", "MEDIA_TYPE", "cell", "csv_lines", "csv_text"]

MEDIA_TYPE = "text/csv; charset=utf-8"


def cell(value: Any) -> str:
    """One value as the export writes it: None as empty, dates ISO, numbers as they
    print, and text that a spreadsheet would run as a formula prefixed with `'`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return safe_cell(str(value))


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The export line by line (header first), for a streamed response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect="excel")

    def line(values: Iterable[Any]) -> str:
        writer.writerow([cell(v) for v in values])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(header)
    for row in rows:
        yield line(row)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The whole export as one string."""
    return "".join(csv_lines(header, rows))
