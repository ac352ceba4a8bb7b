"""The Square fake's data: customers, custom attributes, groups, segments, bookings, events.

Follows ``docs/square-api.md`` and the Square OpenAPI subset in ``fakes/specs/square.json``. Records
are kept in Square's own shape (absent fields omitted). Search sees a profile only
``search_lag`` seconds after a write (Square documents the delay); until then it sees the
state before the write.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fakes.square.attributes import CustomAttributes
from fakes.square.shapes import EMAIL, PHONE, SquareError, digits
from fakes.toolkit import Clock, FeedStore, iso

__all__ = ["SquareError", "SquareState", "digits", "square_id", "validate"]

CUSTOMER_FIELDS = (
    "given_name",
    "family_name",
    "nickname",
    "company_name",
    "email_address",
    "phone_number",
    "address",
    "birthday",
    "reference_id",
    "note",
    "tax_ids",
)
MAX_LENGTH = {
    "given_name": 300,
    "family_name": 300,
    "company_name": 500,
    "nickname": 100,
    "email_address": 254,
    "reference_id": 100,
}
_INTERNAL = ("updated_by", "deleted", "version")
_BIRTHDAY = re.compile(r"^(\d{4}-)?\d{2}-\d{2}$")
MERCHANT_ID = "MLFAKE0000001"


def square_id(prefix: str, seq: int) -> str:
    """A Square-looking id (26 upper-case letters and digits), stable per sequence number."""
    digest = hashlib.sha256(f"{prefix}{seq}".encode()).hexdigest().upper()
    return (prefix + digest)[:26]


@dataclass
class SquareState:
    """Everything the fake Square holds."""

    token: str = "test-square-token"
    search_lag: float = 0.0
    clock: Clock = field(default_factory=Clock)
    customers: FeedStore = field(init=False)
    attributes: CustomAttributes = field(init=False)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    segments: dict[str, dict[str, Any]] = field(default_factory=dict)
    bookings: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    idempotency: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    # called with each event as it is recorded (the fake's webhooks, fakes/square/webhooks.py)
    listeners: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)
    versions_seen: list[str] = field(default_factory=list)
    # id -> [(visible from, the profile as search shows it or None when deleted)]
    _search: dict[str, list[tuple[dt.datetime, dict[str, Any] | None]]] = field(
        default_factory=dict
    )
    _seq: int = 0

    def __post_init__(self) -> None:
        self.customers = FeedStore(self.clock, "", lambda n: square_id("C", n))
        self.attributes = CustomAttributes(self.clock)

    def reset(self) -> None:
        """Forget every record."""
        self.customers = FeedStore(self.clock, "", lambda n: square_id("C", n))
        self.attributes.clear()
        for table in (self.groups, self.segments, self.bookings, self.idempotency, self._search):
            table.clear()
        self.events.clear()

    def _next(self, prefix: str) -> str:
        self._seq += 1
        return square_id(prefix, self._seq)

    # -- customers ----------------------------------------------------------------------------

    def public(self, record: dict[str, Any]) -> dict[str, Any]:
        """A stored customer in Square's shape (version counts from 0)."""
        out = {k: v for k, v in record.items() if k not in _INTERNAL and v is not None}
        out["version"] = record["version"] - 1
        out.setdefault("preferences", {"email_unsubscribed": False})
        out["group_ids"] = list(record.get("group_ids") or [])
        out["segment_ids"] = [s for s, seg in self.segments.items() if record["id"] in seg["ids"]]
        return out

    def _indexed(self, record: dict[str, Any] | None, record_id: str) -> None:
        visible = self.clock.now() + dt.timedelta(seconds=self.search_lag)
        snapshot = self.public(record) if record is not None else None
        self._search.setdefault(record_id, []).append((visible, snapshot))

    def create_customer(self, body: dict[str, Any], source: str = "THIRD_PARTY") -> dict[str, Any]:
        """Validate and store a new customer; returns it in Square's shape."""
        fields = validate(body, creating=True)
        fields.update(creation_source=source, group_ids=[])
        record = self.customers.create(fields)
        self._indexed(record, record["id"])
        customer = self.public(record)
        self._event("customer.created", customer["id"], {"customer": customer})
        return customer

    def customer(self, customer_id: str) -> dict[str, Any]:
        """A live customer in Square's shape.

        Raises:
            SquareError: 404 when unknown or deleted.
        """
        return self.public(self._live(customer_id))

    def _live(self, customer_id: str) -> dict[str, Any]:
        try:
            return self.customers.get(customer_id)
        except KeyError:
            raise SquareError(404, "NOT_FOUND", f"Customer {customer_id} not found.") from None

    def _check_version(self, record: dict[str, Any], version: Any, what: str) -> None:
        if version is not None and version != record["version"] - 1:
            raise SquareError(
                409,
                "CONFLICT",
                f"version mismatch: {what} {record['id']} is at version {record['version'] - 1},"
                f" the request names {version}",
                "version",
            )

    def update_customer(self, customer_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """A sparse update: given fields change, ``null`` removes; a stale version is refused."""
        record = self._live(customer_id)
        self._check_version(record, body.get("version"), "customer")
        fields = validate({k: v for k, v in body.items() if k != "version"}, creating=False)
        if "address" in fields and fields["address"] is not None:
            fields["address"] = {**(record.get("address") or {}), **fields["address"]}
        record = self.customers.update(customer_id, fields)
        self._indexed(record, customer_id)
        customer = self.public(record)
        self._event("customer.updated", customer_id, {"customer": customer})
        return customer

    def delete_customer(
        self, customer_id: str, version: int | None = None, context: dict[str, Any] | None = None
    ) -> None:
        """Delete a customer (its bookings keep their ``customer_id``, as in Square)."""
        record = self._live(customer_id)
        self._check_version(record, version, "customer")
        customer = self.public(record)
        self.customers.delete(customer_id)
        self.attributes.forget(customer_id)
        self._indexed(None, customer_id)
        obj: dict[str, Any] = {"customer": customer}
        if context:
            obj["event_context"] = context
        self._event("customer.deleted", customer_id, obj, deleted=True)

    def custom_attributes(self, customer_id: str) -> dict[str, Any]:
        """A live customer's custom attribute values by key (as the seller sees them)."""
        self._live(customer_id)
        return {a["key"]: a["value"] for a in self.attributes.of(customer_id)}

    def set_groups(
        self, customer_id: str, add: str | None = None, remove: str | None = None
    ) -> None:
        """Add or remove one group membership (a committed update: bumps the version)."""
        record = self._live(customer_id)
        group_id = add or remove
        if group_id not in self.groups:
            raise SquareError(404, "NOT_FOUND", f"Customer group {group_id} not found.")
        ids = list(record.get("group_ids") or [])
        if add and add not in ids:
            ids.append(add)
        if remove and remove in ids:
            ids.remove(remove)
        record = self.customers.update(customer_id, {"group_ids": ids})
        self._indexed(record, customer_id)

    def searchable(self) -> list[dict[str, Any]]:
        """The profiles search shows now (each as of its last write older than the lag)."""
        now = self.clock.now()
        found = []
        for history in self._search.values():
            shown = None
            for visible, snapshot in history:
                if visible <= now:
                    shown = snapshot
            if shown is not None:  # segment membership is live (it bumps no version)
                segments = [s for s, seg in self.segments.items() if shown["id"] in seg["ids"]]
                found.append({**shown, "segment_ids": segments})
        return found

    def merge_customers(self, customer_ids: list[str]) -> dict[str, Any]:
        """Merge profiles as Square's dashboard does: a new profile, the old ones deleted."""
        olds = [self._live(i) for i in customer_ids]
        fields: dict[str, Any] = {}
        for name in CUSTOMER_FIELDS:
            fields[name] = next((o[name] for o in olds if o.get(name) is not None), None)
        groups = [g for o in olds for g in o.get("group_ids") or []]
        fields.update(creation_source="MERGE", group_ids=list(dict.fromkeys(groups)))
        record = self.customers.create(fields)
        self._indexed(record, record["id"])
        merged = self.public(record)
        context = {"merge": {"from_customer_ids": customer_ids, "to_customer_id": merged["id"]}}
        self._event(
            "customer.created", merged["id"], {"customer": merged, "event_context": context}
        )
        for booking in self.bookings.values():
            if booking.get("customer_id") in customer_ids:
                self._touch_booking(booking, {"customer_id": merged["id"]})
        for old in customer_ids:
            self.delete_customer(old, context=context)
        return merged

    # -- groups and segments ----------------------------------------------------------------

    def create_group(self, name: str) -> dict[str, Any]:
        """A new customer group."""
        if not name or len(name) > 255:
            raise SquareError(400, "INVALID_VALUE", "group name is required", "group.name")
        now = iso(self.clock.now())
        group = {"id": self._next("G"), "name": name, "created_at": now, "updated_at": now}
        self.groups[group["id"]] = group
        return group

    def add_segment(self, name: str, customer_ids: list[str]) -> dict[str, Any]:
        """A segment with its members (segments are made in the dashboard, not the API)."""
        now = iso(self.clock.now())
        segment = {"id": self._next("S"), "name": name, "created_at": now, "updated_at": now}
        self.segments[segment["id"]] = {**segment, "ids": set(customer_ids)}
        return segment

    # -- bookings ---------------------------------------------------------------------------

    def create_booking(self, booking: Any) -> dict[str, Any]:
        """Validate and store a booking."""
        if not isinstance(booking, dict):
            raise SquareError(400, "EXPECTED_OBJECT", "booking must be an object", "booking")
        for name in ("location_id", "start_at"):
            if not booking.get(name):
                raise SquareError(
                    400, "MISSING_REQUIRED_PARAMETER", f"missing {name}", f"booking.{name}"
                )
        segments = booking.get("appointment_segments") or []
        if not segments or not all(
            s.get("team_member_id") and s.get("service_variation_id") for s in segments
        ):
            raise SquareError(
                400,
                "MISSING_REQUIRED_PARAMETER",
                "appointment_segments need team_member_id and service_variation_id",
                "booking.appointment_segments",
            )
        customer_id = booking.get("customer_id")
        if customer_id:
            self._live(customer_id)
        now = iso(self.clock.now())
        stored = {
            **{k: v for k, v in booking.items() if v is not None},
            "id": self._next("B"),
            "version": 0,
            "status": booking.get("status") or "ACCEPTED",
            "created_at": now,
            "updated_at": now,
        }
        self.bookings[stored["id"]] = stored
        self._event(
            "booking.created", stored["id"], {"booking": dict(stored)}, object_type="booking"
        )
        return dict(stored)

    def booking(self, booking_id: str) -> dict[str, Any]:
        """One booking.

        Raises:
            SquareError: 404 when unknown.
        """
        if booking_id not in self.bookings:
            raise SquareError(404, "NOT_FOUND", f"Booking {booking_id} not found.")
        return dict(self.bookings[booking_id])

    def update_booking(self, booking_id: str, booking: Any) -> dict[str, Any]:
        """Update a booking; a stale ``version`` is refused."""
        stored = self.bookings.get(booking_id)
        if stored is None:
            raise SquareError(404, "NOT_FOUND", f"Booking {booking_id} not found.")
        if not isinstance(booking, dict):
            raise SquareError(400, "EXPECTED_OBJECT", "booking must be an object", "booking")
        version = booking.get("version")
        if version is not None and version != stored["version"]:
            raise SquareError(
                409,
                "CONFLICT",
                f"version mismatch: booking {booking_id} is at version {stored['version']}",
                "booking.version",
            )
        if booking.get("customer_id"):
            self._live(booking["customer_id"])
        changes = {k: v for k, v in booking.items() if k not in ("id", "version", "created_at")}
        return self._touch_booking(stored, changes)

    def _touch_booking(self, stored: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        stored.update(changes)
        stored["version"] += 1
        stored["updated_at"] = iso(self.clock.now())
        self._event(
            "booking.updated", stored["id"], {"booking": dict(stored)}, object_type="booking"
        )
        return dict(stored)

    # -- events -----------------------------------------------------------------------------

    def _event(
        self,
        kind: str,
        object_id: str,
        obj: dict[str, Any],
        *,
        deleted: bool = False,
        object_type: str = "customer",
    ) -> None:
        data: dict[str, Any] = {"type": object_type, "id": object_id, "object": obj}
        if deleted:
            data["deleted"] = True
        event = {
            "merchant_id": MERCHANT_ID,
            "type": kind,
            "event_id": str(uuid.uuid4()),
            "created_at": iso(self.clock.now()),
            "data": data,
        }
        self.events.append(event)
        for listener in self.listeners:
            listener(event)

    def snapshot(self) -> dict[str, Any]:
        """Customers (tombstones too), groups, bookings and events, for the inspection API."""
        return {
            "customers": list(self.customers.records.values()),
            "groups": list(self.groups.values()),
            "bookings": list(self.bookings.values()),
            "custom_attribute_definitions": self.attributes.listed_definitions(),
            "custom_attributes": [
                {"customer_id": owner, **value}
                for (owner, _), value in self.attributes.values.items()
            ],
            "events": len(self.events),
        }


def validate(body: Any, *, creating: bool) -> dict[str, Any]:
    """The accepted customer fields of a create or update body.

    Types, unknown fields and lengths were checked against the spec by the fake's gate
    (``fakes/square/contract.py``); this checks what no schema says.

    Raises:
        SquareError: a value is malformed or a required one missing (Square's codes).
    """
    if not isinstance(body, dict):
        raise SquareError(400, "EXPECTED_OBJECT", "the body must be a JSON object")
    fields = {k: v for k, v in body.items() if k in CUSTOMER_FIELDS}
    for name, limit in MAX_LENGTH.items():
        value = fields.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise SquareError(400, "VALUE_TOO_LONG", f"{name} is longer than {limit}", name)
    named = ("given_name", "family_name", "company_name", "email_address", "phone_number")
    if creating and not any(fields.get(n) for n in named):
        raise SquareError(
            400,
            "MISSING_REQUIRED_PARAMETER",
            "at least one of given_name, family_name, company_name, email_address or "
            "phone_number is required",
        )
    email = fields.get("email_address")
    if email and not EMAIL.match(email):
        raise SquareError(
            400, "INVALID_EMAIL_ADDRESS", f"{email!r} is not an email address", "email_address"
        )
    phone = fields.get("phone_number")
    if phone and (not PHONE.match(phone) or not 9 <= len(digits(phone)) <= 16):
        raise SquareError(
            400, "INVALID_PHONE_NUMBER", f"{phone!r} is not a phone number", "phone_number"
        )
    birthday = fields.get("birthday")
    if birthday and not _BIRTHDAY.match(birthday):
        raise SquareError(400, "INVALID_VALUE", "birthday must be YYYY-MM-DD", "birthday")
    if birthday and len(birthday) == 5:
        fields["birthday"] = f"0000-{birthday}"
    address = fields.get("address")
    if isinstance(address, dict):
        fields["address"] = {k: v for k, v in address.items() if v is not None}
    return fields
