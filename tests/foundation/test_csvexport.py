"""The one CSV writer of every export: spreadsheet formula injection is neutralised."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.csvexport import FORMULA_STARTS, cell, csv_lines, csv_text


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"],
)
def test_text_a_spreadsheet_would_run_is_prefixed_with_a_quote(text):
    assert cell(text) == "'" + text


def test_plain_text_numbers_dates_and_empties_are_written_as_they_are():
    assert cell("Acme Inc.") == "Acme Inc."
    assert cell(None) == ""
    assert cell(Decimal("-12.50")) == "-12.50"  # our own numbers stay numbers
    assert cell(-3.5) == "-3.5"
    assert cell(7) == "7"
    assert cell(True) == "true"
    assert cell(date(2026, 1, 31)) == "2026-01-31"


def test_the_export_is_rfc_4180_with_a_header_and_quoting():
    text = csv_text(["name", "city"], [["=cmd|' /C calc'!A0", "Köln, DE"], ['B "x"', None]])
    assert text.splitlines()[0] == "name,city"
    assert list(csv.reader(io.StringIO(text))) == [
        ["name", "city"],
        ["'=cmd|' /C calc'!A0", "Köln, DE"],
        ['B "x"', ""],
    ]
    assert text.endswith("\r\n")


def test_lines_stream_one_row_at_a_time():
    lines = list(csv_lines(["a"], [["1"], ["2"]]))
    assert lines == ["a\r\n", "1\r\n", "2\r\n"]


@given(st.text(max_size=40))
def test_no_written_text_cell_starts_a_formula(text):
    rows = list(csv.reader(io.StringIO(csv_text(["x"], [[text]]), newline="")))
    assert len(rows) == 2
    assert not rows[1][0].startswith(FORMULA_STARTS)
