"""Clients (the debtors), shared by the members of a group, and members' own customer numbers."""

from datetime import datetime

from sqlalchemy import Index, text
from sqlmodel import Field

from app.core.types import UTCDateTime, new_sequential_id, utcnow
from app.tenancy.models import GroupScoped, group_key


class Client(GroupScoped, table=True):
    __tablename__ = "client"
    __table_args__ = (
        # Resolution keys. A client is only ever created when none of them matched, so
        # each is unique within a group; racing creators hit these and retry the lookup.
        Index(
            "uq_client_tax_id",
            "group_id",
            "country",
            "tax_id_norm",
            unique=True,
            sqlite_where=text("tax_id_norm IS NOT NULL"),
            postgresql_where=text("tax_id_norm IS NOT NULL"),
        ),
        Index(
            "uq_client_duns",
            "group_id",
            "duns",
            unique=True,
            sqlite_where=text("duns IS NOT NULL"),
            postgresql_where=text("duns IS NOT NULL"),
        ),
        Index(
            "uq_client_lei",
            "group_id",
            "lei",
            unique=True,
            sqlite_where=text("lei IS NOT NULL"),
            postgresql_where=text("lei IS NOT NULL"),
        ),
        Index(
            "uq_client_name_address", "group_id", "name_norm", "country", "postal_norm", unique=True
        ),
        Index("ix_client_group_created", "group_id", "created_at", "id"),
        # The target of experience's (client_id, group_id) foreign key (an index, not a
        # constraint: SQLite can add one without rebuilding a table others refer to).
        Index("uq_client_id_group", "id", "group_id", unique=True),
    )

    id: str = Field(default_factory=new_sequential_id, primary_key=True, max_length=36)
    legal_name: str = Field(max_length=300)
    country: str = Field(max_length=2)
    tax_id: str | None = Field(default=None, max_length=64)
    tax_id_norm: str | None = Field(default=None, max_length=64)
    duns: str | None = Field(default=None, max_length=9)
    lei: str | None = Field(default=None, max_length=20)
    name_norm: str = Field(max_length=300)
    line1: str | None = Field(default=None, max_length=300)
    city: str | None = Field(default=None, max_length=120)
    region: str | None = Field(default=None, max_length=120)
    postal_code: str | None = Field(default=None, max_length=32)
    # '' when no postal code was given, so that the name+address key stays unique.
    postal_norm: str = Field(default="", max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CustomerRef(GroupScoped, table=True):
    """A member's own customer number for a client (`customer_ref`)."""

    __tablename__ = "customer_ref"
    __table_args__ = (
        group_key("customer_ref", "client"),
        group_key("customer_ref", "member"),
    )

    group_id: str = Field(foreign_key="trade_group.id", primary_key=True, max_length=36)
    member_id: str = Field(primary_key=True, max_length=36)
    customer_ref: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=36)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
