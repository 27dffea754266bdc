"""Base classes for request and response bodies."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, WithJsonSchema

from app.core.types import parse_money


class RequestModel(BaseModel):
    """Request bodies reject unknown fields: a typo or a smuggled `group_id` is a 422."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseModel(BaseModel):
    """Response bodies list exactly what may leave the building."""

    model_config = ConfigDict(from_attributes=True)


def _money_in(value: object) -> Decimal:
    return parse_money(value)


# Money: a JSON number or a decimal string with at most 2 decimals, kept exact.
MoneyIn = Annotated[
    Decimal,
    BeforeValidator(_money_in),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number"},
                {"type": "string", "pattern": r"^-?\d+(\.\d{1,2})?$"},
            ],
            "description": "An amount: a number or a decimal string, at most 2 decimals.",
        }
    ),
]

# Returned as a decimal string exact to the cent ("1234.50").
MoneyOut = Annotated[
    Decimal,
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="always"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d{2}$"}),
]

UtcDateTime = Annotated[
    datetime,
    PlainSerializer(
        lambda v: v.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", return_type=str, when_used="json"
    ),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
