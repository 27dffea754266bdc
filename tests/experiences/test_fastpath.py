"""The bulk path's quick check agrees with the full schema: whatever it accepts, the model
accepts with the same values; whatever the model refuses, it refuses (and the model then
writes the errors); and it does accept the shapes ERPs and CSV imports send."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.core.errors import clean_validation_errors
from app.experiences.checks import validate_item
from app.experiences.fastpath import plain_submission
from app.experiences.schemas import MONEY_FIELDS, ExperienceSubmission
from app.imports.csvfile import RowMapper

_FIELDS = (
    "as_of",
    "currency",
    "terms_days",
    *MONEY_FIELDS,
    "days_beyond_terms",
    "last_sale_date",
    "account_opened",
    "comments",
    "client_id",
    "customer_ref",
)

dates = st.sampled_from(
    [
        "2025-01-31",
        "2024-02-29",
        "2025-02-29",
        "2025-13-01",
        "2025-1-31",
        " 2025-01-31",
        "2025-01-31T00:00:00",
        "20250131",
        "",
        None,
        20250131,
        1735603200,
        True,
        "٢٠٢٥-٠١-٣١",
    ]
) | st.dates().map(date.isoformat)
amounts = (
    st.sampled_from(
        [
            "0",
            "0.00",
            "100",
            "100.5",
            "100.50",
            "100.505",
            "100.500",
            " 100.50",
            "-1",
            "1e3",
            "NaN",
            "Infinity",
            "",
            "1,000.00",
            "00.10",
            ".5",
            "9999999999999.99",
            "999999999999.99",
            "99999999999999",
            None,
            True,
            0,
            -1,
            10**12 - 1,
            10**12,
            10**13,
            10**15,
            1.5,
            0.1,
            "١٠٠",
        ]
    )
    | st.integers(-5, 10**14)
    | st.decimals(allow_nan=False, places=2).map(str)
)
ints = st.sampled_from([0, 30, 365, 366, -1, -30, -31, 3650, 3651, "30", " 30", 30.0, True, None])
currencies = st.sampled_from(
    ["USD", "usd", "Usd", " USD", "USD ", "EUR", "US", "USDX", "ÄBC", "12A"]
)
codes = st.sampled_from(["PROMPT", "SLOW", "COD", "prompt", " SLOW", "UNKNOWN", "", 1])
comments = (
    st.none()
    | st.lists(codes, max_size=17)
    | st.sampled_from(["SLOW;COLLECTION", "PROMPT", "", "slow", "SLOW, CIA", "SLOW;;SLOW"])
)
texts = st.sampled_from(
    ["C-1", "", " C-1", "C-1 ", "x" * 36, "x" * 37, "x" * 64, "x" * 65, "C\x1f", 7, None]
)
countries = st.sampled_from(["US", "us", "DE", " US", "XX", "USA", "", None, 1])
tax_ids = st.sampled_from(["12-3456789", "--", "", " 12", "x" * 65, None, "ÄB"])
duns_values = st.sampled_from(["123456789", "12-345-6789", "12345678", "", " 123456789", None])
leis = st.sampled_from(["5493001KJTIIGC8Y1R12", "5493001kjtiigc8y1r12", "549300", "", None])
addresses = st.none() | st.fixed_dictionaries(
    {},
    optional={
        "postal_code": st.sampled_from(["10001", " 10001", "x" * 33, "", None, 5]),
        "line1": st.sampled_from(["1 Main St", "x" * 301, None]),
        "city": st.sampled_from(["Springfield", None]),
        "country": st.just("US"),  # not an address field: refused
    },
)
clients = st.none() | st.fixed_dictionaries(
    {},
    optional={
        "legal_name": st.sampled_from(["Acme Inc.", "", " Acme", "x" * 301, None, "Ünïcode GmbH"]),
        "country": countries,
        "tax_id": tax_ids,
        "duns": duns_values,
        "lei": leis,
        "address": addresses,
        "postal_code": st.just("10001"),  # belongs in the address: refused
    },
)


@st.composite
def items(draw):
    base = {
        "as_of": "2025-01-31",
        "currency": "USD",
        "terms_days": 30,
        "high_credit": "2500.00",
        "total_owed": "1000.00",
        "current": "600.00",
        "past_due_1_30": "400.00",
        "past_due_31_60": "0",
        "past_due_61_90": 0,
        "past_due_over_90": 0,
        "client": {"legal_name": "Acme Inc.", "country": "US"},
    }
    strategies = {
        "as_of": dates,
        "currency": currencies,
        "terms_days": ints,
        **dict.fromkeys(MONEY_FIELDS, amounts),
        "days_beyond_terms": ints,
        "last_sale_date": dates,
        "account_opened": dates,
        "comments": comments,
        "client_id": texts,
        "customer_ref": texts,
        "client": clients,
    }
    for name in draw(st.sets(st.sampled_from(sorted(strategies)), max_size=6)):
        base[name] = draw(strategies[name])
    for name in draw(st.sets(st.sampled_from(sorted(strategies)), max_size=2)):
        base.pop(name, None)
    if draw(st.booleans()) and draw(st.booleans()):
        base[draw(st.sampled_from(["group_id", "extra", "member_id"]))] = "x"
    return base


def _same(fast, model: ExperienceSubmission) -> None:
    for name in _FIELDS:
        mine, theirs = getattr(fast, name), getattr(model, name)
        assert mine == theirs and type(mine) is type(theirs), name
        if isinstance(theirs, Decimal):
            assert str(mine) == str(theirs), name
    if model.client is None:
        assert fast.client is None
        return
    for name in ("legal_name", "country", "tax_id", "duns", "lei"):
        assert getattr(fast.client, name) == getattr(model.client, name), name
    if model.client.address is None:
        assert fast.client.address is None
    else:
        for name in ("line1", "city", "region", "postal_code"):
            assert getattr(fast.client.address, name) == getattr(model.client.address, name)


@settings(max_examples=3000, deadline=None)
@given(items())
def test_the_quick_check_never_accepts_what_the_model_refuses_and_agrees_on_values(raw):
    fast = plain_submission(raw)
    try:
        model = ExperienceSubmission.model_validate(raw)
    except ValidationError:
        assert fast is None
        return
    if fast is not None:
        _same(fast, model)


@settings(max_examples=300, deadline=None)
@given(items())
def test_validate_item_gives_the_same_answer_as_the_model_alone(raw):
    """validate_item with the quick check in front = the model followed by the rules."""
    limit = date(2025, 6, 30)
    item, errors = validate_item(raw, "USD", limit)
    try:
        model = ExperienceSubmission.model_validate(raw)
    except ValidationError as exc:
        assert item is None
        assert errors == clean_validation_errors(exc.errors())
        return
    if errors:
        assert item is None
    else:
        _same(item, model)


def test_the_shapes_erps_and_csv_files_send_take_the_quick_path():
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    batch_item = {
        "client": {
            "legal_name": "Customer 00001 LLC",
            "country": "DE",
            "tax_id": "01-0007919",
            "address": {"postal_code": "10001"},
        },
        "customer_ref": "C00001",
        "as_of": yesterday,
        "currency": "USD",
        "terms_days": 30,
        "high_credit": "2000.00",
        "total_owed": "1000.50",
        "current": "1000.50",
        "past_due_1_30": "0.00",
        "past_due_31_60": "0.00",
        "past_due_61_90": "0.00",
        "past_due_over_90": "0.00",
        "comments": ["SLOW"],
    }
    assert plain_submission(batch_item) is not None
    columns = [
        "customer_ref",
        "legal_name",
        "country",
        "tax_id",
        "postal_code",
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
        "comments",
        "days_beyond_terms",
        "client_id",
    ]
    row = (
        f"C0000001,Bench Client 1 Inc,US,BX-0000001,10001,{yesterday},USD,30,"
        "2000.00,1000.00,600.00,300.00,100.00,0,0,SLOW;DISPUTE,12,"
    ).split(",")
    csv_item = RowMapper(columns, "USD")(row)
    fast = plain_submission(csv_item)
    assert fast is not None
    _same(fast, ExperienceSubmission.model_validate(csv_item))
    assert fast.comments == ["SLOW", "DISPUTE"] and fast.days_beyond_terms == 12


_AMOUNT_CHARACTERS = st.sampled_from("0123456789.,-+ e٣²１")


@given(
    st.one_of(
        st.text(_AMOUNT_CHARACTERS, max_size=18),
        st.from_regex(r"[0-9]{1,14}(\.[0-9]{0,3})?", fullmatch=True),
    )
)
@example("1234567890123")
@example("12345678901234")
@example("1.23")
@example("1.234")
@example("1.")
@example(".5")
@example("٣")
@example("-1")
def test_the_quick_amount_takes_exactly_the_plain_decimal_strings(text):
    """Without a regular expression, the same strings: 1-12 ASCII digits, optionally a
    point and one or two more (no sign, exponent, comma, space or non-ASCII digit)."""
    import re

    plain = re.fullmatch(r"[0-9]{1,12}(\.[0-9]{1,2})?", text) is not None
    item = {
        "client_id": "c1",
        "as_of": "2025-01-31",
        "currency": "USD",
        "terms_days": 30,
        "high_credit": text,
        "total_owed": "0",
        "current": "0",
        "past_due_1_30": "0",
        "past_due_31_60": "0",
        "past_due_61_90": "0",
        "past_due_over_90": "0",
    }
    fast = plain_submission(item)
    assert (fast is not None) == plain, text
    if fast is not None:
        assert fast.high_credit == Decimal(text)
