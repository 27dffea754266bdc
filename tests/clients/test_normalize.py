"""The resolution keys' normalizers: their quick paths for the common spellings give
exactly what the one rule gives (upper case, then every character but A-Z and 0-9
removed), whatever the text."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.clients.normalize import normalize_postal, normalize_tax_id

_NOT_ALNUM_UPPER = re.compile(r"[^0-9A-Z]+")


def _rule(text: str) -> str:
    return _NOT_ALNUM_UPPER.sub("", text.upper())


@settings(max_examples=2000, deadline=None)
@given(st.text())
@example("de 123-456.789")
@example("00-0000000")
@example("-")
@example("ı-1")  # dotless i: upper() makes it an ASCII I
@example("ß12")  # upper() makes it SS
@example("１２３")  # full-width digits are not ASCII digits
def test_tax_ids_and_postal_codes_follow_the_one_rule(text):
    assert normalize_tax_id(text) == (_rule(text) or None)
    assert normalize_postal(text) == _rule(text)


def test_nothing_given_stays_nothing():
    assert normalize_tax_id(None) is None
    assert normalize_postal(None) == "" and normalize_postal("") == ""
