"""The canonical customer: names, typed contact methods, custom fields, acquisition, sync flag."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Hashable
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from framework.models.base import CanonicalRecord
from framework.normalize import email_key, text_key

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class ContactMethod(BaseModel):
    """What every contact method has: a free-text type label and a preferred flag."""

    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(None, max_length=255, description="Type label: Home, Work, Cell…")
    preferred: bool = False


class Email(ContactMethod):
    """An e-mail address."""

    address: str = Field(max_length=254)
    promo: bool | None = Field(None, description="Opted in to promotional mail")

    @field_validator("address")
    @classmethod
    def _valid(cls, value: str) -> str:
        email_key(value)  # raises ValueError naming the address
        return value.strip()


class Phone(ContactMethod):
    """A phone number, in E.164 form (connectors normalise with ``phone_e164``)."""

    number: str
    extension: str | None = Field(None, max_length=20)
    do_not_contact: bool | None = None

    @field_validator("number")
    @classmethod
    def _e164(cls, value: str) -> str:
        if not _E164.match(value):
            raise ValueError(f"phone number {value!r} is not in E.164 form (+15551234567)")
        return value


class Address(ContactMethod):
    """A postal address."""

    company: str | None = Field(None, max_length=255)
    street1: str | None = Field(None, max_length=255)
    street2: str | None = Field(None, max_length=255)
    city: str | None = Field(None, max_length=255)
    state: str | None = Field(None, max_length=255)
    postal_code: str | None = Field(None, max_length=32)
    country: str | None = Field(None, max_length=64)


class TradeCredit(BaseModel):
    """Buying on trade credit (IS-12): allowed or not, the limit, the balance owed."""

    model_config = ConfigDict(extra="forbid")

    allowed: bool = False
    limit: Decimal | None = None
    balance: Decimal | None = None

    def over_limit(self) -> bool:
        """Whether the balance owed exceeds what the customer may owe (no credit: nothing)."""
        owed = self.balance or Decimal(0)
        return owed > ((self.limit or Decimal(0)) if self.allowed else Decimal(0))


def _address_identity(item: dict[str, Any]) -> Hashable:
    parts = (item.get(k) or "" for k in ("street1", "street2", "city", "postal_code"))
    return tuple(text_key(p) for p in parts)


class Customer(CanonicalRecord, entity="customer"):
    """A customer as both sides agree on it.

    Fields a system does not have stay ``None``/empty there; a pair's flows say which fields
    move, which way, and under which precedence policy.
    """

    first_name: str | None = Field(None, max_length=255)
    middle_name: str | None = Field(None, max_length=255)
    last_name: str | None = Field(None, max_length=255)
    company: str | None = Field(None, max_length=255)
    gender: str | None = Field(None, max_length=1, description="M, F or U")
    birth_date: dt.date | None = None
    emails: list[Email] = Field(default_factory=list)
    phones: list[Phone] = Field(default_factory=list)
    addresses: list[Address] = Field(default_factory=list)
    custom: dict[str, str] = Field(
        default_factory=dict, description="Custom fields (Edge) / preferences (Clientbook)"
    )
    acquisition: str | None = Field(None, max_length=255, description="The first why-in")
    sync_flag: bool | None = Field(None, description="Selected for sync on the POS (CB-1)")
    tax_id: str | None = Field(None, max_length=32, description="NIP, VAT number")
    delivery_addresses: list[Address] = Field(default_factory=list, description="IS-9")
    discount_group: str | None = Field(None, description="IS-10")
    shops: list[str] = Field(default_factory=list, description="Shops it may buy in (IS-11)")
    trade_credit: TradeCredit | None = Field(None, description="IS-12")
    blocked: bool | None = Field(None, description="Blocked from buying (IS-12)")
    login: str | None = Field(None, max_length=255, description="Shop account login (IS-7)")
    groups: list[str] = Field(default_factory=list, description="Groups/segments (SQ-3)")

    @classmethod
    def item_identity(cls, field: str, item: Any) -> Hashable:
        """Contact methods are the same method when their normalised values are equal."""
        if field == "emails":
            return email_key(item["address"])
        if field == "phones":
            return str(item["number"])
        if field in ("addresses", "delivery_addresses"):
            return _address_identity(item)
        return super().item_identity(field, item)

    match_key_names: ClassVar[tuple[str, ...]] = ("email", "phone")

    def match_keys(self) -> dict[str, list[str]]:
        """E-mail and phone keys, normalised (G-3)."""
        return {
            "email": sorted({email_key(e.address) for e in self.emails}),
            "phone": sorted({p.number for p in self.phones}),
        }

    def preferred(self, field: str) -> Any:
        """Return the preferred element of a contact list, else the first, else ``None``."""
        items = getattr(self, field)
        for item in items:
            if item.preferred:
                return item
        return items[0] if items else None
