"""The import CSV: its header, its rows, and how a row becomes an experience item.

A file is read from a byte offset in binary, line by line, each line decoded as UTF-8
and fed to the `csv` module; after every record the offset of the next one is known
exactly, which is what lets a job resume where its last committed chunk ended.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.errors import ValidationFailed, field_error

EXPERIENCE_COLUMNS = (
    "as_of",
    "currency",
    "terms_days",
    "high_credit",
    "total_owed",
    "current",
    "past_due_1_30",
    "past_due_31_60",
    "past_due_61_90",
    "past_due_over_90",
    "days_beyond_terms",
    "last_sale_date",
    "account_opened",
    "comments",
)
CLIENT_COLUMNS = (
    "client_id",
    "customer_ref",
    "legal_name",
    "country",
    "tax_id",
    "duns",
    "lei",
    "postal_code",
)
COLUMNS = EXPERIENCE_COLUMNS + CLIENT_COLUMNS
# `currency` may be left out: the group's reporting currency is then assumed.
REQUIRED_COLUMNS = (
    "as_of",
    "terms_days",
    "high_credit",
    "total_owed",
    "current",
    "past_due_1_30",
    "past_due_31_60",
    "past_due_61_90",
    "past_due_over_90",
)
_INTEGER_COLUMNS = frozenset({"terms_days", "days_beyond_terms"})
_CLIENT_FIELDS = ("legal_name", "country", "tax_id", "duns", "lei")
_COMMENT_SEPARATOR = re.compile(r"[;|]")
_INTEGER = re.compile(r"^[+-]?\d+$")
_BOM = b"\xef\xbb\xbf"
MAX_HEADER_BYTES = 64 * 1024


@dataclass
class Header:
    columns: list[str]
    delimiter: str
    data_offset: int  # the byte offset of the first data line

    @property
    def width(self) -> int:
        return len(self.columns)


def _header_error(msg: str, column: str | None = None) -> dict[str, Any]:
    loc = ["body", "file", "header"] + ([column] if column else [])
    return field_error(loc, msg, "value_error")


def read_header(path: Path) -> Header:
    """The header line of `path`, checked; raises ValidationFailed (422) when unusable."""
    with path.open("rb") as f:
        raw = f.readline(MAX_HEADER_BYTES + 1)
        first_data_line = f.readline()
        while first_data_line and not first_data_line.strip():
            first_data_line = f.readline()
    if not raw.strip():
        msg = "The file is empty: send a header line and at least one row."
        raise ValidationFailed(msg, errors=[_header_error(msg)])
    if len(raw) > MAX_HEADER_BYTES:
        msg = "The first line is too long to be a header."
        raise ValidationFailed(msg, errors=[_header_error(msg)])
    offset = len(raw)
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        msg = "The header is not UTF-8: save the file as CSV UTF-8."
        raise ValidationFailed(msg, errors=[_header_error(msg)]) from None
    delimiter = _sniff_delimiter(text)
    columns = [c.strip().lower() for c in next(csv.reader([text], delimiter=delimiter))]
    errors = []
    unknown = [c for c in columns if c not in COLUMNS]
    for column in unknown:
        errors.append(_header_error(f"unknown column {column!r}", column or "(empty)"))
    for column in sorted({c for c in columns if columns.count(c) > 1}):
        errors.append(_header_error(f"column {column!r} appears more than once", column))
    for column in REQUIRED_COLUMNS:
        if column not in columns:
            errors.append(_header_error(f"missing required column {column!r}", column))
    names_client = "client_id" in columns or "customer_ref" in columns or "legal_name" in columns
    if not names_client:
        errors.append(
            _header_error("name the client: a client_id, customer_ref or legal_name column")
        )
    if "legal_name" in columns and "country" not in columns:
        errors.append(_header_error("a legal_name column needs a country column", "country"))
    if errors:
        raise ValidationFailed(
            f"The CSV header does not fit: {errors[0]['msg']}"
            + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
            errors=errors,
        )
    if not first_data_line:
        msg = "The file has a header but no rows."
        raise ValidationFailed(msg, errors=[field_error(["body", "file"], msg, "value_error")])
    return Header(columns=columns, delimiter=delimiter, data_offset=offset)


def _sniff_delimiter(header_line: str) -> str:
    try:
        return csv.Sniffer().sniff(header_line, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


@dataclass
class Record:
    """One data row: its first physical line, and either its item or why it was refused."""

    line: int
    item: dict[str, Any] | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)


class _Lines:
    """The file's lines from an offset, decoded, with the offset and line number kept."""

    def __init__(self, f, offset: int, line: int):
        self.f = f
        self.offset = offset
        self.line = line - 1  # the last line handed out
        self.undecodable: set[int] = set()

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        raw = self.f.readline()
        if not raw:
            raise StopIteration
        self.offset += len(raw)
        self.line += 1
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.undecodable.add(self.line)
            return raw.decode("utf-8", "replace")


@dataclass
class Chunk:
    records: list[Record]
    next_offset: int
    next_line: int
    at_end: bool


def read_chunk(
    path: Path, header: Header, offset: int, line: int, max_records: int, currency: str
) -> Chunk:
    """Up to `max_records` data records from `offset` (which starts physical line `line`).

    Blank lines are skipped. Lines that are not UTF-8, or rows with the wrong number of
    fields, come back as refused records; the others as ingest items.
    """
    records: list[Record] = []
    with path.open("rb") as f:
        f.seek(offset)
        lines = _Lines(f, offset, line)
        reader = csv.reader(lines, delimiter=header.delimiter)
        at_end = False
        while len(records) < max_records:
            start = lines.line + 1
            try:
                row = next(reader)
            except StopIteration:
                at_end = True
                break
            except csv.Error as exc:
                records.append(Record(start, errors=[_row_error(["line"], f"not CSV: {exc}")]))
                continue
            if not any(cell.strip() for cell in row):
                continue
            if any(n in lines.undecodable for n in range(start, lines.line + 1)):
                msg = "not valid UTF-8 text: save the file as CSV UTF-8"
                records.append(Record(start, errors=[_row_error(["line"], msg, "encoding")]))
            elif len(row) != header.width:
                msg = f"expected {header.width} fields as in the header, found {len(row)}"
                records.append(Record(start, errors=[_row_error(["line"], msg)]))
            else:
                records.append(Record(start, item=to_item(header.columns, row, currency)))
        return Chunk(records, lines.offset, lines.line + 1, at_end)


def _row_error(loc: list[Any], msg: str, type_: str = "value_error") -> dict[str, Any]:
    return field_error(loc, msg, type_)


def to_item(columns: list[str], row: list[str], currency: str) -> dict[str, Any]:
    """A CSV row as an item of POST /v1/experiences/batch (empty cells left out)."""
    cells = {name: value.strip() for name, value in zip(columns, row, strict=True)}
    item: dict[str, Any] = {}
    if cells.get("client_id"):
        item["client_id"] = cells["client_id"]
    elif any(cells.get(name) for name in (*_CLIENT_FIELDS, "postal_code")):
        client: dict[str, Any] = {name: cells[name] for name in _CLIENT_FIELDS if cells.get(name)}
        if cells.get("postal_code"):
            client["address"] = {"postal_code": cells["postal_code"]}
        item["client"] = client
    if cells.get("customer_ref"):
        item["customer_ref"] = cells["customer_ref"]
    for name in EXPERIENCE_COLUMNS:
        value = cells.get(name)
        if not value:
            continue
        if name == "comments":
            item[name] = [c.strip() for c in _COMMENT_SEPARATOR.split(value) if c.strip()]
        elif name in _INTEGER_COLUMNS and _INTEGER.match(value):
            item[name] = int(value)
        else:
            item[name] = value
    item.setdefault("currency", currency)
    return item
