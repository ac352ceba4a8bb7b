"""The Clientbook fake's data: clients, associates, idempotency keys, and more.

Products and purchases live in ``catalog``, collections in ``wishlists``, recent activity,
messages and texts in ``timeline``. Follows ``docs/clientbook-api.md``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from fakes.clientbook.catalog import Catalog
from fakes.clientbook.timeline import Timeline
from fakes.clientbook.validate import Invalid as Invalid
from fakes.clientbook.wishlists import Wishlists
from fakes.toolkit import Clock, FeedStore

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
CLIENT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "mobile",
    "address",
    "preferences",
    "acquisition",
)
ADDRESS_FIELDS = ("street1", "street2", "city", "state", "postal_code", "country")


@dataclass
class ClientbookState(Catalog, Wishlists, Timeline):
    """Everything the fake Clientbook holds."""

    api_key: str = "test-clientbook-key"
    clock: Clock = field(default_factory=Clock)
    associates: list[dict[str, Any]] = field(default_factory=list)
    idempotency: dict[str, dict[str, Any]] = field(default_factory=dict)
    queue_delay: float | None = None  # seconds; None: creates are not queued
    queue: list[tuple[dt.datetime, dict[str, Any], str, str | None]] = field(default_factory=list)
    clients: FeedStore = field(init=False)
    products: FeedStore = field(init=False)
    purchases: FeedStore = field(init=False)
    collections: FeedStore = field(init=False)
    items: FeedStore = field(init=False)
    activity: FeedStore = field(init=False)
    messages: FeedStore = field(init=False)
    sku_index: dict[str, str] = field(init=False)
    collections_by_client: dict[str, list[str]] = field(init=False)
    sms: dict[str, dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget every record."""
        self.clients = FeedStore(self.clock, "cl_")
        self.products = FeedStore(self.clock, "pr_")
        self.purchases = FeedStore(self.clock, "pu_")
        self.collections = FeedStore(self.clock, "co_")
        self.items = FeedStore(self.clock, "ci_")
        self.activity = FeedStore(self.clock, "ac_")
        self.messages = FeedStore(self.clock, "ms_")
        self.sku_index = {}
        self.collections_by_client = {}
        self.sms = {}
        self.idempotency.clear()
        self.queue.clear()

    def create(self, body: Any, actor: str, key: str | None) -> tuple[int, dict[str, Any]]:
        """A create through the API: ``(201, client)``, or ``(202, receipt)`` when queued.

        The same idempotency key answers what it answered first (201 once the queued
        client exists).

        Raises:
            Invalid: the body is refused.
        """
        self.publish()
        if key and key in self.idempotency:
            first = self.idempotency[key]
            return (202 if first.get("status") == "queued" else 201), first
        if self.queue_delay is None:
            client = self.create_client(body, actor)
            answer: tuple[int, dict[str, Any]] = (201, client)
        else:
            fields = validate(body, creating=True)  # refused now, not when the queue runs
            due = self.clock.now() + dt.timedelta(seconds=self.queue_delay)
            self.queue.append((due, fields, actor, key))
            answer = (202, {"status": "queued", "idempotency_key": key})
        if key:
            self.idempotency[key] = answer[1]
        return answer

    def publish(self) -> None:
        """Run the queue: create the queued clients whose time has come."""
        now = self.clock.now()
        due = [entry for entry in self.queue if entry[0] <= now]
        self.queue = [entry for entry in self.queue if entry[0] > now]
        for _, fields, actor, key in due:
            client = self.create_client(fields, actor)
            if key:
                self.idempotency[key] = client

    def add_associate(self, associate_id: str, name: str, pos_id: str | None) -> None:
        """Add an associate (done by hand in the real app)."""
        self.associates.append({"id": associate_id, "name": name, "pos_id": pos_id})

    def create_client(self, body: Any, actor: str = "api") -> dict[str, Any]:
        """Validate and store a new client."""
        fields = validate(body, creating=True)
        named = {p["name"]: p.get("value") for p in fields.get("preferences") or []}
        fields["preferences"] = [{"name": k, "value": v} for k, v in named.items() if v is not None]
        for name in CLIENT_FIELDS:
            fields.setdefault(name, None if name != "preferences" else [])
        return self.clients.create(fields, actor)

    def update_client(self, client_id: str, body: Any, actor: str = "api") -> dict[str, Any]:
        """Validate and apply a partial update (preferences set by name)."""
        fields = validate(body, creating=False)
        if "preferences" in fields:
            current = {p["name"]: p["value"] for p in self.clients.get(client_id)["preferences"]}
            for pref in fields["preferences"]:
                if pref.get("value") is None:
                    current.pop(pref["name"], None)
                else:
                    current[pref["name"]] = pref["value"]
            fields["preferences"] = [{"name": k, "value": v} for k, v in current.items()]
        return self.clients.update(client_id, fields, actor)

    def snapshot(self) -> dict[str, Any]:
        """Every record (tombstones too), associate and text, for the inspection API."""
        stores = {
            "clients": self.clients,
            "products": self.products,
            "purchases": self.purchases,
            "collections": self.collections,
            "collection_items": self.items,
            "activity": self.activity,
            "messages": self.messages,
        }
        return {
            **{name: list(store.records.values()) for name, store in stores.items()},
            "associates": self.associates,
            "sms": list(self.sms.values()),
        }


def validate(body: Any, *, creating: bool) -> dict[str, Any]:
    """The accepted fields of a client body.

    Raises:
        Invalid: a field is unknown, of the wrong type, too long or malformed.
    """
    if not isinstance(body, dict):
        raise Invalid("body must be a JSON object")
    unknown = set(body) - set(CLIENT_FIELDS)
    if unknown:
        raise Invalid(f"unknown field {sorted(unknown)[0]!r}", sorted(unknown)[0])
    fields = dict(body)
    for name in ("first_name", "last_name", "email", "mobile", "acquisition"):
        value = fields.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > 255):
            raise Invalid(f"{name} must be a string of at most 255 characters", name)
    if creating and not (fields.get("first_name") or fields.get("last_name")):
        raise Invalid("first_name or last_name is required", "first_name")
    if fields.get("email") and not _EMAIL.match(fields["email"]):
        raise Invalid(f"email {fields['email']!r} is not an e-mail address", "email")
    if fields.get("mobile") and not _E164.match(fields["mobile"]):
        raise Invalid(f"mobile {fields['mobile']!r} is not in E.164 form", "mobile")
    address = fields.get("address")
    if address is not None:
        if not isinstance(address, dict) or set(address) - set(ADDRESS_FIELDS):
            raise Invalid("address has unknown fields", "address")
        fields["address"] = {k: address.get(k) for k in ADDRESS_FIELDS}
    prefs = fields.get("preferences")
    if prefs is not None and (
        not isinstance(prefs, list)
        or not all(
            isinstance(p, dict)
            and isinstance(p.get("name"), str)
            and len(p["name"]) <= 64
            and (p.get("value") is None or isinstance(p.get("value"), str))
            for p in prefs
        )
    ):
        raise Invalid("preferences must be a list of {name, value}", "preferences")
    return fields
