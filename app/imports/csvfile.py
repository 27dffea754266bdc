"""The import CSV: its header, its rows, and how a row becomes an experience item.

A file is read from a byte offset in binary, line by line, each line decoded as UTF-8
and fed to the `csv` module; after every record the offset of the next one is known
exactly, which is what lets a job resume where its last committed chunk ended.

Spreadsheets and ERPs do not write the API's strict forms, so this layer (and only this
one: the JSON API stays strict) reads what they export: amounts with thousands
separators and a currency sign (`"56,000.00"`, `$48000.00`), dates in the order the
upload names (`date_format`), and the file's own column names mapped onto ours
(`ImportOptions.columns`). What it cannot read is refused with the line's number and a
plain reason; the rest goes to the same checks as `POST /v1/experiences/batch`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from app.core.errors import ValidationFailed, field_error
from app.experiences.schemas import EXPERIENCE_FIELDS, MONEY_FIELDS

EXPERIENCE_COLUMNS = EXPERIENCE_FIELDS
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
REQUIRED_COLUMNS = ("as_of", "terms_days", *MONEY_FIELDS)
_INTEGER_COLUMNS = frozenset({"terms_days", "days_beyond_terms"})
_CLIENT_FIELDS = ("legal_name", "country", "tax_id", "duns", "lei")
_COMMENT_SEPARATOR = re.compile(r"[;|]")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_BOM = b"\xef\xbb\xbf"
MAX_HEADER_BYTES = 64 * 1024
DATE_COLUMNS = ("as_of", "last_sale_date", "account_opened")
# The orders a spreadsheet writes dates in, by the name an upload gives them.
DATE_FORMATS = {
    "YYYY-MM-DD": None,  # the API's own form: passed on as written
    "MM/DD/YYYY": re.compile(r"(?P<m>[0-9]{1,2})/(?P<d>[0-9]{1,2})/(?P<y>[0-9]{4})"),
    "DD/MM/YYYY": re.compile(r"(?P<d>[0-9]{1,2})/(?P<m>[0-9]{1,2})/(?P<y>[0-9]{4})"),
    "DD.MM.YYYY": re.compile(r"(?P<d>[0-9]{1,2})\.(?P<m>[0-9]{1,2})\.(?P<y>[0-9]{4})"),
}
DEFAULT_DATE_FORMAT = "YYYY-MM-DD"
# A column the mapping says to leave out (`null`): read past, never a field.
IGNORED = "\x00ignored"


@dataclass(frozen=True)
class ImportOptions:
    """How to read one upload: the file's column names mapped onto ours (lower case,
    trimmed; a column mapped to None is left out), and the order of its dates."""

    columns: dict[str, str | None] = field(default_factory=dict)
    date_format: str = DEFAULT_DATE_FORMAT


@dataclass
class Header:
    columns: list[str]
    delimiter: str
    data_offset: int  # the byte offset of the first data line
    date_format: str = DEFAULT_DATE_FORMAT

    @property
    def width(self) -> int:
        return len(self.columns)


def check_options(columns: Any, date_format: Any) -> ImportOptions:
    """The options of an upload or a saved mapping, checked; ValidationFailed (422)
    naming what is wrong."""
    errors = []
    if date_format is None:
        date_format = DEFAULT_DATE_FORMAT
    if date_format not in DATE_FORMATS:
        errors.append(
            field_error(
                ["date_format"],
                "must be one of " + ", ".join(DATE_FORMATS),
                "value_error",
            )
        )
    mapped: dict[str, str | None] = {}
    if columns is None:
        columns = {}
    if not isinstance(columns, dict):
        errors.append(
            field_error(
                ["mapping"],
                "must be an object of the file's column names to ours, e.g. {\"Invoice "
                'Date": "as_of", "Notes": null}',
                "value_error",
            )
        )
        columns = {}
    if len(columns) > 200:
        errors.append(field_error(["mapping"], "at most 200 columns", "value_error"))
        columns = {}
    for theirs, ours in columns.items():
        name = theirs.strip().lower()
        if not name or len(name) > 200:
            errors.append(field_error(["mapping", theirs], "a column name of 1 to 200 characters"))
        elif ours is not None and ours not in COLUMNS:
            errors.append(
                field_error(
                    ["mapping", theirs],
                    f"{ours!r} is not a column of the import; use one of " + ", ".join(COLUMNS),
                )
            )
        else:
            mapped[name] = ours
    if errors:
        raise ValidationFailed(f"The import options do not fit: {errors[0]['msg']}", errors=errors)
    return ImportOptions(mapped, date_format)


def _header_error(msg: str, column: str | None = None) -> dict[str, Any]:
    loc = ["body", "file", "header"] + ([column] if column else [])
    return field_error(loc, msg, "value_error")


def options_of(stored: dict[str, Any] | None) -> ImportOptions:
    """The options a job keeps (`ImportJob.options`, checked when it was queued)."""
    if not stored:
        return ImportOptions()
    date_format = stored.get("date_format") or DEFAULT_DATE_FORMAT
    return ImportOptions(dict(stored.get("columns") or {}), date_format)


def read_header(path: Path, options: ImportOptions | None = None) -> Header:
    """The header line of `path` (its names mapped by `options`), checked; raises
    ValidationFailed (422) when unusable."""
    options = options or ImportOptions()
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
    columns = [(options.columns[c] or IGNORED) if c in options.columns else c for c in columns]
    errors = []
    unknown = [c for c in columns if c not in COLUMNS and c != IGNORED]
    for column in unknown:
        errors.append(_header_error(f"unknown column {column!r}", column or "(empty)"))
    for column in sorted({c for c in columns if columns.count(c) > 1 and c != IGNORED}):
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
    return Header(
        columns=columns,
        delimiter=delimiter,
        data_offset=offset,
        date_format=options.date_format,
    )


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


class _Position:
    """Where reading stands: the byte offset after the last line handed out, and its
    line number; plus the lines that were not UTF-8."""

    __slots__ = ("offset", "line", "undecodable")

    def __init__(self, offset: int, line: int):
        self.offset = offset
        self.line = line - 1
        self.undecodable: set[int] = set()


def _lines(f, position: _Position) -> Iterator[str]:
    for raw in f:
        position.offset += len(raw)
        position.line += 1
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            position.undecodable.add(position.line)
            yield raw.decode("utf-8", "replace")


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
    to_item = RowMapper(header.columns, currency, header.date_format)
    width = header.width
    with path.open("rb") as f:
        f.seek(offset)
        position = _Position(offset, line)
        reader = csv.reader(_lines(f, position), delimiter=header.delimiter)
        at_end = False
        while len(records) < max_records:
            start = position.line + 1
            try:
                row = next(reader)
            except StopIteration:
                at_end = True
                break
            except csv.Error as exc:
                records.append(Record(start, errors=[_row_error(["line"], f"not CSV: {exc}")]))
                continue
            if (
                len(row) == width
                and start == position.line
                and not position.undecodable
                and any(row)
            ):
                records.append(to_item.record(start, row))  # the common case
            elif not any(cell.strip() for cell in row):
                continue
            elif any(n in position.undecodable for n in range(start, position.line + 1)):
                msg = "not valid UTF-8 text: save the file as CSV UTF-8"
                records.append(Record(start, errors=[_row_error(["line"], msg, "encoding")]))
            elif len(row) != width:
                msg = f"expected {width} fields as in the header, found {len(row)}"
                records.append(Record(start, errors=[_row_error(["line"], msg)]))
            else:
                records.append(to_item.record(start, row))
        return Chunk(records, position.offset, position.line + 1, at_end)


def _row_error(loc: list[Any], msg: str, type_: str = "value_error") -> dict[str, Any]:
    return field_error(loc, msg, type_)


class _Unreadable(ValueError):
    """Cells of a row that the CSV layer cannot read (their errors, in plain words)."""

    def __init__(self, errors: list[dict[str, Any]]):
        super().__init__("unreadable cells")
        self.errors = errors


# An amount as spreadsheets write it: a currency sign or code before or after, thousands
# separated by commas (in groups of three), a point before the cents.
_SPREADSHEET_AMOUNT = re.compile(
    r"(?:[$€£¥]|[A-Z]{3})?\s*"
    r"(?P<number>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]{1,2})?|[0-9]+(?:\.[0-9]{1,2})?)"
    r"\s*(?:[$€£¥]|[A-Z]{3})?"
)
_PLAIN = re.compile(r"[0-9]+(\.[0-9]{1,2})?")


def csv_amount(cell: str) -> str:
    """The API's form of a spreadsheet amount ("56,000.00", "$48000.00", "1 200 USD" is
    not one: spaces do not separate thousands here); ValueError when it is not one."""
    if _PLAIN.fullmatch(cell):
        return cell  # the common case, as the API writes it
    found = _SPREADSHEET_AMOUNT.fullmatch(cell)
    if found is None:
        raise ValueError(
            f"{cell[:40]!r} is not an amount: write it as 56000.00, 56,000.00 or $56,000.00 "
            "(at most 2 decimals, not negative)"
        )
    return found["number"].replace(",", "")


def csv_date(cell: str, date_format: str) -> str:
    """The ISO form of a date written in `date_format`; ValueError when it is not one."""
    pattern = DATE_FORMATS[date_format]
    if pattern is None:
        return cell  # ISO: the schema checks it
    found = pattern.fullmatch(cell)
    try:
        if found is None:
            raise ValueError
        return date(int(found["y"]), int(found["m"]), int(found["d"])).isoformat()
    except ValueError:
        raise ValueError(f"{cell[:40]!r} is not a date as {date_format}") from None


class RowMapper:
    """Turns a CSV row into an item of POST /v1/experiences/batch (empty cells left out).

    Built once per header: the column positions are looked up once, not per row.
    """

    def __init__(self, columns: list[str], currency: str, date_format: str = DEFAULT_DATE_FORMAT):
        at = {name: i for i, name in enumerate(columns)}
        self.currency = currency
        self.amounts = [(name, at[name]) for name in MONEY_FIELDS if name in at]
        self.date_format = date_format
        self.dates = (
            [(name, at[name]) for name in DATE_COLUMNS if name in at]
            if DATE_FORMATS[date_format] is not None
            else []
        )
        self.client_id = at.get("client_id")
        self.customer_ref = at.get("customer_ref")
        self.client_fields = [(name, at[name]) for name in _CLIENT_FIELDS if name in at]
        self.postal_code = at.get("postal_code")
        self.comments = at.get("comments")
        self.integers = [(name, at[name]) for name in _INTEGER_COLUMNS if name in at]
        converted = {name for name, _ in self.amounts + self.dates}
        self.plain = [
            (name, at[name])
            for name in EXPERIENCE_COLUMNS
            if name in at
            and name != "comments"
            and name not in _INTEGER_COLUMNS
            and name not in converted
        ]

    def record(self, line: int, row: list[str]) -> Record:
        try:
            return Record(line, item=self(row))
        except _Unreadable as exc:
            return Record(line, errors=exc.errors)

    def __call__(self, row: list[str]) -> dict[str, Any]:
        item: dict[str, Any] = {}
        client_id = row[self.client_id].strip() if self.client_id is not None else ""
        if client_id:
            item["client_id"] = client_id
        else:
            client = {}
            for name, i in self.client_fields:
                value = row[i].strip()
                if value:
                    client[name] = value
            if self.postal_code is not None:
                postal = row[self.postal_code].strip()
                if postal:
                    client["address"] = {"postal_code": postal}
            if client:
                item["client"] = client
        if self.customer_ref is not None:
            ref = row[self.customer_ref].strip()
            if ref:
                item["customer_ref"] = ref
        for name, i in self.plain:
            value = row[i].strip()
            if value:
                item[name] = value
        errors = []
        for name, i in self.amounts:
            value = row[i].strip()
            if value:
                try:
                    item[name] = csv_amount(value)
                except ValueError as exc:
                    errors.append(_row_error([name], str(exc)))
        for name, i in self.dates:
            value = row[i].strip()
            if value:
                try:
                    item[name] = csv_date(value, self.date_format)
                except ValueError as exc:
                    errors.append(_row_error([name], str(exc), "date_parsing"))
        if errors:
            raise _Unreadable(errors)
        for name, i in self.integers:
            value = row[i].strip()
            if value:
                item[name] = int(value) if _INTEGER.fullmatch(value) else value
        if self.comments is not None:
            value = row[self.comments].strip()
            if value:
                item["comments"] = [c.strip() for c in _COMMENT_SEPARATOR.split(value) if c.strip()]
        item.setdefault("currency", self.currency)
        return item
