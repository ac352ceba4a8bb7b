"""Canonical records that hang off a customer or describe the store's items.

Ids of other records are ``RefTo`` fields: the engine translates them between systems.
Which system holds which entity, and which way each moves, is the pairs' business
(``docs/rules.md``: CB-6 … CB-10, PD-4 … PD-6).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from framework.models.base import CanonicalRecord, RefTo

CustomerId = Annotated[str, RefTo("customer")]


class Product(CanonicalRecord, entity="product"):
    """An inventory item as a product (CB-10, PD-6); sold items become archived products."""

    item_key: str = Field(description="Edge item number, e.g. 001-100-00001 (searchable)")
    title: str | None = Field(None, max_length=255)
    description: str | None = None
    category: str | None = None
    vendor: str | None = None
    inventory_type: str | None = Field(None, description="stock, memo, consignment, trade…")
    price: Decimal | None = None
    status: Literal["on_hand", "sold", "other"] = Field(
        "on_hand", description="other: neither on hand nor sold (on order, returned, scrapped…)"
    )
    archived: bool = False
    special_order: bool = False
    images: list[str] = Field(default_factory=list)


class WishItem(CanonicalRecord, entity="wish"):
    """One wish of a customer's wish list (CB-6): a stock item, or a described non-stock wish."""

    customer: CustomerId
    item_key: str | None = Field(None, description="Edge item number; None for non-stock")
    description: str = Field(max_length=255)
    buy_for: str | None = None
    event: str | None = None
    event_date: dt.date | None = None
    date_entered: dt.date | None = None
    date_bought: dt.date | None = None
    associate: str | None = None


class Note(CanonicalRecord, entity="note"):
    """A customer note (Edge) / a recent-activity entry (Clientbook), CB-7."""

    customer: CustomerId
    text: str
    date: dt.datetime | None = None
    associate: str | None = Field(None, description="Who wrote or last edited it (G-8)")


class Purchase(CanonicalRecord, entity="purchase"):
    """One sold line of a customer's sales history (CB-8, PD-4)."""

    customer: CustomerId
    sale_key: str
    line_no: int
    item_key: str | None = None
    description: str | None = None
    amount: Decimal
    quantity: int = 1
    sold_at: dt.date | None = None
    special_order: bool = False


class ServiceJob(CanonicalRecord, entity="service_job"):
    """A repair, custom job or appraisal (CB-8 placeholder products, PD-5 timeline events)."""

    customer: CustomerId
    job_no: str
    kind: Literal["repair", "custom", "appraisal"]
    status: str = Field(description="Not Ready, Done or Picked Up")
    summary: str | None = None
    description: str | None = None
    date_entered: dt.date | None = None


class Appointment(CanonicalRecord, entity="appointment"):
    """An appointment of a customer (PD-5: created, updated, completed)."""

    customer: CustomerId
    starts_at: dt.datetime
    ends_at: dt.datetime | None = None
    status: Literal["scheduled", "completed", "cancelled"] = "scheduled"
    subject: str | None = None
    details: str | None = None
    associate: str | None = None


class Message(CanonicalRecord, entity="message"):
    """An e-mail or text sent to a customer through the platform (CB-9)."""

    customer: CustomerId
    channel: Literal["email", "sms"]
    subject: str | None = None
    body: str
    sent_at: dt.datetime
    associate: str | None = None


class SmsNotification(CanonicalRecord, entity="sms_notification"):
    """A text notification the POS sends through the platform's SMS back end (CB-12)."""

    phone: str = Field(description="E.164")
    body: str
    customer: Annotated[str | None, RefTo("customer")] = None
    kind: str | None = Field(None, description="What the notification is about")
