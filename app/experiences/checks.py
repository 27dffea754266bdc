"""The checks of a submitted line that need no database, and its driver values.

What `app.experiences.ingest` runs on every item before anything touches the database,
kept apart from it so that the CSV import's reader process (`app.imports.reader`) can
run them without loading the ORM models or the web framework.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from app.core.errors import clean_validation_errors, field_error
from app.core.types import new_sequential_ids
from app.experiences.fastpath import plain_submission
from app.experiences.schemas import ExperienceFields, ExperienceSubmission


def check_rules(item: ExperienceFields, currency: str, as_of_limit: date) -> list[dict]:
    """The contract's rules across fields (types and ranges are the schema's)."""
    errors: list[dict] = []
    if item.currency != currency:
        errors.append(
            field_error(
                ["currency"],
                f"must be the group's reporting currency {currency}",
                "currency_mismatch",
            )
        )
    cents = getattr(item, "cents", None)  # the quick check's whole cents (fastpath)
    if cents is not None:
        parts = sum(cents[2:])  # the BUCKETS
        total = cents[1]
    else:
        parts = (  # the BUCKETS, spelled out: this runs for every line of every batch
            item.current
            + item.past_due_1_30
            + item.past_due_31_60
            + item.past_due_61_90
            + item.past_due_over_90
        )
        total = item.total_owed
    if parts != total:
        if cents is not None:
            parts = Decimal(parts).scaleb(-2)
        errors.append(
            field_error(
                ["total_owed"],
                f"must equal current + the four past-due buckets ({parts:.2f})",
                "aging_mismatch",
            )
        )
    if item.as_of > as_of_limit:
        errors.append(field_error(["as_of"], "must not be in the future", "date_in_future"))
    return errors


def check_reference(item: ExperienceSubmission) -> list[dict]:
    if item.client_id is not None and item.client is not None:
        return [field_error(["client"], "give client_id or client, not both")]
    if item.client_id is None and item.client is None and item.customer_ref is None:
        return [field_error(["client_id"], "give client_id, client or customer_ref", "missing")]
    return []


def validate_item(raw: Any, currency: str, as_of_limit: date) -> tuple[Any, list[dict]]:
    """(the submission, []) or (None, its errors with locs relative to the item)."""
    # The common well-formed item skips the model (same values); anything else, and every
    # error message, is the model's.
    item = plain_submission(raw)
    if item is not None:
        # The common line breaks no rule: accepted without building any error list.
        cents = item.cents
        if (
            item.currency == currency
            and sum(cents[2:]) == cents[1]
            and item.as_of <= as_of_limit
            and (item.client_id is None) != (item.client is None)
        ):
            return item, []
    else:
        if not isinstance(raw, dict):
            return None, [field_error([], "must be an object", "model_type")]
        try:
            item = ExperienceSubmission.model_validate(raw)
        except ValidationError as exc:
            return None, clean_validation_errors(exc.errors())
    errors = check_rules(item, currency, as_of_limit) + check_reference(item)
    return (None, errors) if errors else (item, [])


@dataclass
class PreparedLines:
    """Lines' driver values made ahead of their clients (`prepare_lines`)."""

    fields: list[tuple]  # per line: the columns from `as_of` to `comments`
    ids: list[str]  # new ids, ascending: the first ones go to the lines in index order


def prepare_lines(items: list[ExperienceFields], sqlite: bool) -> PreparedLines:
    """The driver values of each item's fields, and as many new line ids: work that needs
    no client and no database, which the import worker does while the database stores
    the previous chunk."""
    comments_json: dict[tuple[str, ...], str] = {(): "[]"}  # a few distinct lists
    fields: list[tuple] = []
    for item in items:
        as_of, last_sale, opened = item.as_of, item.last_sale_date, item.account_opened
        if sqlite:
            as_of = as_of.isoformat()
            last_sale = last_sale.isoformat() if last_sale else None
            opened = opened.isoformat() if opened else None
        comments = tuple(item.comments or ())
        if comments not in comments_json:
            comments_json[comments] = json.dumps(list(comments))
        cents = getattr(item, "cents", None)  # the quick check made them (fastpath)
        if cents is None:
            # Validated amounts have at most 2 decimals: x 100 is exact.
            cents = (
                int(item.high_credit * 100),
                int(item.total_owed * 100),
                int(item.current * 100),
                int(item.past_due_1_30 * 100),
                int(item.past_due_31_60 * 100),
                int(item.past_due_61_90 * 100),
                int(item.past_due_over_90 * 100),
            )
        fields.append(
            (
                as_of,
                item.currency,
                item.terms_days,
                *cents,
                item.days_beyond_terms,
                last_sale,
                opened,
                comments_json[comments],
            )
        )
    return PreparedLines(fields, new_sequential_ids(len(items)))


@dataclass
class CheckedItems:
    """Submitted items after the checks that need no database (`check_items`)."""

    received: int
    valid: list[tuple[int, ExperienceSubmission]]  # (index, the submission)
    errors: dict[int, list[dict]]  # index -> its errors
    # The valid items' driver values, in the order of `valid`, if asked for.
    prepared: PreparedLines | None = None


def check_items(
    items: list[Any], currency: str, as_of_limit: date, *, prepare_for: str | None = None
) -> CheckedItems:
    """Validate each item on its own, with no database: the import worker checks its
    next chunk this way while the database stores the current one. `prepare_for`
    ("sqlite" or "postgresql"): also make the valid lines' driver values."""
    errors: dict[int, list[dict]] = {}
    valid: list[tuple[int, ExperienceSubmission]] = []
    for index, raw in enumerate(items):
        item, item_errors = validate_item(raw, currency, as_of_limit)
        if item_errors:
            errors[index] = item_errors
        else:
            valid.append((index, item))
    prepared = None
    if prepare_for is not None:
        prepared = prepare_lines([item for _, item in valid], prepare_for == "sqlite")
    return CheckedItems(len(items), valid, errors, prepared)
