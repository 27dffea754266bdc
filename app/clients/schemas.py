"""Request and response bodies of /v1/clients, and the client reference of submissions."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

import pycountry
from pydantic import Field, field_validator

from app.clients.normalize import normalize_duns, normalize_lei
from app.core.schemas import RequestModel, ResponseModel, UtcDateTime

_ALNUM = re.compile(r"[^\W_]")


def has_alnum(value: str) -> bool:
    """Whether a tax id holds a letter or a digit (the rule of `ClientIn.tax_id`)."""
    return _ALNUM.search(value) is not None


Match = Literal["tax_id", "duns", "lei", "name_address", "created"]


@lru_cache(maxsize=512)
def is_country(code: str) -> bool:
    """Whether `code` is an ISO 3166-1 alpha-2 country code (upper case)."""
    return len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None


def _country(value: str) -> str:
    code = value.strip().upper()
    if not is_country(code):
        raise ValueError("must be an ISO 3166-1 alpha-2 country code such as US or DE")
    return code


class AddressIn(RequestModel):
    line1: str | None = Field(default=None, max_length=300)
    city: str | None = Field(default=None, max_length=120)
    region: str | None = Field(default=None, max_length=120)
    postal_code: str | None = Field(default=None, max_length=32)


class ClientIn(RequestModel):
    """A client named by its identifiers; resolved to an existing client when one matches."""

    legal_name: str = Field(min_length=1, max_length=300)
    country: str = Field(description="ISO 3166-1 alpha-2, e.g. US.", examples=["US"])
    tax_id: str | None = Field(default=None, min_length=1, max_length=64)
    duns: str | None = Field(default=None, description="9 digits (separators allowed).")
    lei: str | None = Field(default=None, description="20 characters (ISO 17442).")
    address: AddressIn | None = None

    _check_country = field_validator("country")(_country)

    @field_validator("tax_id")
    @classmethod
    def _tax_id(cls, value: str | None) -> str | None:
        if value is not None and not has_alnum(value):
            raise ValueError("must contain letters or digits")
        return value

    @field_validator("duns")
    @classmethod
    def _duns(cls, value: str | None) -> str | None:
        duns = normalize_duns(value)
        if duns is not None and (len(duns) != 9 or not duns.isdigit()):
            raise ValueError("a D-U-N-S number has 9 digits")
        return duns

    @field_validator("lei")
    @classmethod
    def _lei(cls, value: str | None) -> str | None:
        lei = normalize_lei(value)
        if lei is not None and (len(lei) != 20 or not lei.isalnum()):
            raise ValueError("an LEI has 20 letters and digits")
        return lei


class AddressOut(ResponseModel):
    line1: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None


class ClientOut(ResponseModel):
    id: str
    legal_name: str
    country: str
    tax_id: str | None
    duns: str | None
    lei: str | None
    address: AddressOut | None
    created_at: UtcDateTime

    @classmethod
    def of(cls, client) -> ClientOut:
        parts = (client.line1, client.city, client.region, client.postal_code)
        address = (
            AddressOut(
                line1=client.line1,
                city=client.city,
                region=client.region,
                postal_code=client.postal_code,
            )
            if any(p is not None for p in parts)
            else None
        )
        return cls(
            id=client.id,
            legal_name=client.legal_name,
            country=client.country,
            tax_id=client.tax_id,
            duns=client.duns,
            lei=client.lei,
            address=address,
            created_at=client.created_at,
        )


class ClientResolvedOut(ClientOut):
    match: Match = Field(description="Which key found the client, or `created`.")


class ClientFoundOut(ClientOut):
    """A search result: the client, and its pooled `risk_tier` and `payment_index` as of
    today when the caller may read profiles and the profile is not suppressed (else
    null; `risk_tier` may show on a suppressed profile when a fraud or legal fact
    decides it, as on the profile)."""

    risk_tier: Literal["low", "medium", "high"] | None = None
    payment_index: int | None = None
