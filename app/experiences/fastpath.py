"""A quick check for the common, well-formed submission, beside the full pydantic model.

An ERP batch or a CSV import sends thousands of lines in exactly one shape: dates as
`YYYY-MM-DD`, amounts as plain decimal strings or whole numbers, codes in upper case, no
stray spaces. `plain_submission()` accepts only that shape and returns the same values
`ExperienceSubmission.model_validate()` would; for anything else it returns None and the
caller runs the full model, which alone writes error messages. It never accepts what the
model refuses (tests/experiences/test_fastpath.py compares the two on generated items),
so it decides nothing of its own: the rules stay the schema's.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from app.clients.normalize import normalize_duns, normalize_lei
from app.clients.schemas import has_alnum, is_country
from app.core.schemas import EARLIEST_DATE, LATEST_DATE
from app.core.types import MONEY_DIGITS
from app.experiences.schemas import (
    COMMENT_CODES,
    EXPERIENCE_FIELDS,
    MONEY_FIELDS,
    comment_list,
)

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CODES = frozenset(COMMENT_CODES)
# What one submitted item may hold: the experience fields and the client reference.
_SUBMISSION_FIELDS = (*EXPERIENCE_FIELDS, "client_id", "client", "customer_ref")
_FIELDS = frozenset(_SUBMISSION_FIELDS)
_CLIENT_FIELDS = frozenset(("legal_name", "country", "tax_id", "duns", "lei", "address"))
_ADDRESS_LIMITS = {"line1": 300, "city": 120, "region": 120, "postal_code": 32}


def _money(position: int) -> property:
    return property(
        lambda line: Decimal(line.money[position]),
        doc=f"`{MONEY_FIELDS[position]}` as the model gives it: Decimal of the value sent.",
    )


class PlainSubmission:
    """What the bulk path reads of a validated `ExperienceSubmission`, without the model.

    The seven amounts are kept as sent (`money`) and as whole cents (`cents`), in
    `MONEY_FIELDS` order: the rules and the driver values use the cents, so no Decimal is
    made per amount; the amount attributes make one when read.
    """

    __slots__ = (
        *(name for name in _SUBMISSION_FIELDS if name not in MONEY_FIELDS),
        "money",
        "cents",
    )

    high_credit = _money(0)
    total_owed = _money(1)
    current = _money(2)
    past_due_1_30 = _money(3)
    past_due_31_60 = _money(4)
    past_due_61_90 = _money(5)
    past_due_over_90 = _money(6)


class PlainAddress:
    """The fields of a validated `AddressIn` (all four, None when not given)."""

    __slots__ = tuple(_ADDRESS_LIMITS)

    def __init__(self):
        self.line1 = self.city = self.region = self.postal_code = None


class PlainClient:
    """The fields of a validated `ClientIn`, as client resolution reads them."""

    __slots__ = ("legal_name", "country", "tax_id", "duns", "lei", "address")

    def __init__(self, legal_name, country, tax_id, duns, lei, address):
        self.legal_name, self.country, self.tax_id = legal_name, country, tax_id
        self.duns, self.lei, self.address = duns, lei, address


class _NotPlain(Exception):
    """The item is not in the common shape: the full model must look at it."""


def _date(value: Any) -> date:
    if type(value) is str and len(value) == 10 and _ISO_DATE.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise _NotPlain from None
        if EARLIEST_DATE <= day <= LATEST_DATE:
            return day
    raise _NotPlain


def _optional_date(value: Any) -> date | None:
    return None if value is None else _date(value)


def _int(value: Any, low: int, high: int) -> int:
    if type(value) is int and low <= value <= high:
        return value
    raise _NotPlain


_WHOLE_LIMIT = 10**MONEY_DIGITS
# Cents per unit of the last digit sent: "12" is 1200 cents, "12.5" 1250, "12.50" 1250.
_CENTS_PER_DIGIT = (100, 10, 1)


def _cents(value: Any) -> int:
    """An amount in whole cents, for the two forms the schema's own fast branch
    (`schemas._amount`) takes as they are: a string matching _PLAIN_AMOUNT (1 to
    MONEY_DIGITS ASCII digits, optionally a point and 1 or 2 more), checked with str
    methods, or a whole number. This runs seven times per line: one `int()` of the
    digits, no Decimal (tests/experiences/test_fastpath.py holds it to the model)."""
    if type(value) is str:
        # What ERPs send, "1234.50", checked the short way (the branch below takes it too).
        if len(value) > 3 and value[-3] == "." and len(value) <= MONEY_DIGITS + 3:
            digits = value[:-3] + value[-2:]
            if digits.isascii() and digits.isdigit():
                return int(digits)
        whole, point, decimals = value.partition(".")
        digits = whole + decimals
        if (
            0 < len(whole) <= MONEY_DIGITS
            and len(decimals) <= 2
            and (decimals or not point)
            and digits.isascii()
            and digits.isdigit()
        ):
            return int(digits) * _CENTS_PER_DIGIT[len(decimals)]
    elif type(value) is int and 0 <= value < _WHOLE_LIMIT:
        return value * 100
    raise _NotPlain


def _text(value: Any, low: int, high: int) -> str:
    # Exactly as given: no surrounding whitespace for the model to strip.
    if type(value) is str and low <= len(value) <= high and value == value.strip():
        return value
    raise _NotPlain


def _comments(value: Any) -> list[str] | None:
    if value is None:
        return None
    if type(value) is list and not value:  # what most lines send
        return []
    codes = comment_list(value)
    if type(codes) is not list or len(codes) > len(COMMENT_CODES):
        raise _NotPlain
    for code in codes:
        if type(code) is not str or code not in _CODES:
            raise _NotPlain
    return list(dict.fromkeys(codes))


def _currency(value: Any) -> str:
    if type(value) is str and len(value) == 3 and value.isascii() and value.isalpha():
        return value.upper()
    raise _NotPlain


def _address(value: Any) -> PlainAddress | None:
    if value is None:
        return None
    if type(value) is not dict or not _ADDRESS_LIMITS.keys() >= value.keys():
        raise _NotPlain
    address = PlainAddress()
    for name, text in value.items():
        if text is not None:
            setattr(address, name, _text(text, 0, _ADDRESS_LIMITS[name]))
    return address


def _client(value: Any) -> PlainClient | None:
    if value is None:
        return None
    if type(value) is not dict or not value.keys() <= _CLIENT_FIELDS:
        raise _NotPlain
    country = _text(value.get("country", ""), 1, 2).upper()
    if not is_country(country):
        raise _NotPlain
    tax_id = value.get("tax_id")
    if tax_id is not None and not has_alnum(_text(tax_id, 1, 64)):
        raise _NotPlain
    duns = value.get("duns")
    if duns is not None:
        duns = normalize_duns(_text(duns, 0, 64))
        if duns is not None and (len(duns) != 9 or not duns.isdigit()):
            raise _NotPlain
    lei = value.get("lei")
    if lei is not None:
        lei = normalize_lei(_text(lei, 0, 64))
        if lei is not None and (len(lei) != 20 or not lei.isalnum()):
            raise _NotPlain
    legal_name = _text(value.get("legal_name"), 1, 300)
    return PlainClient(legal_name, country, tax_id, duns, lei, _address(value.get("address")))


def plain_submission(raw: Any) -> PlainSubmission | None:
    """The item's validated values when it is in the common shape, else None.

    Only the schema's checks (types, ranges, codes, unknown fields): the rules across
    fields (`checks.check_rules`, `checks.check_reference`) are the caller's either way.
    """
    if type(raw) is not dict or not raw.keys() <= _FIELDS:
        return None
    get = raw.get
    line = PlainSubmission()
    try:
        line.as_of = _date(get("as_of"))
        line.currency = _currency(get("currency"))
        line.terms_days = _int(get("terms_days"), 0, 365)
        money = line.money = tuple(map(get, MONEY_FIELDS))
        line.cents = tuple(map(_cents, money))
        days = get("days_beyond_terms")
        line.days_beyond_terms = None if days is None else _int(days, -30, 3650)
        line.last_sale_date = _optional_date(get("last_sale_date"))
        line.account_opened = _optional_date(get("account_opened"))
        line.comments = _comments(get("comments"))
        client_id = get("client_id")
        line.client_id = None if client_id is None else _text(client_id, 0, 36)
        line.client = _client(get("client"))
        ref = get("customer_ref")
        line.customer_ref = None if ref is None else _text(ref, 1, 64)
    except _NotPlain:
        return None
    return line
