"""What Podium keeps for partners, as ``docs/podium-api.md`` models it (*modelled*).

Products (public reads, modelled upsert by ``xid``, Clientele+ only, generated titles),
client purchases (upsert by ``externalId``) and the Activity Timeline (events added once
by ``externalId``). Writes are validated on arrival and take effect through the queue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from fakes.podium.errors import PodiumError, bad_request
from fakes.toolkit import Clock, FeedStore, iso

PRODUCT_KEYS = frozenset(
    {"xid", "name", "description", "price", "images", "archived", "specialOrder"}
)
PURCHASE_KEYS = frozenset(
    {
        "externalId",
        "productXid",
        "description",
        "amount",
        "quantity",
        "purchasedAt",
        "specialOrder",
    }
)
EVENT_KEYS = frozenset({"externalId", "subject", "action", "title", "occurredAt", "details"})
SUBJECTS = ("appointment", "service_job")


def _decimal(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    try:
        return str(Decimal(str(value)).quantize(Decimal("0.01")))
    except InvalidOperation:
        raise bad_request(f"{key} {value!r} is not a decimal amount") from None


def _string(body: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise bad_request(
            f"{key} is required and must be a string" if required else f"{key} must be a string"
        )
    return value


def _known(body: Any, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("the body must be a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise bad_request(f"unknown field {unknown[0]}")
    return dict(body)


class Partner:
    """Products, client purchases and timeline events."""

    clock: Clock
    tier: str
    generate_titles: bool
    products: FeedStore
    xids: dict[str, str]
    purchases: dict[str, dict[str, dict[str, Any]]]
    timeline: dict[str, list[dict[str, Any]]]

    def queue_write(self, job: Callable[[], None]) -> None:
        """Queue one write (``PodiumState`` has the queue)."""
        raise NotImplementedError

    def contact(self, identifier: str) -> dict[str, Any]:
        """A live contact (``Contacts.contact``)."""
        raise NotImplementedError

    # -- products ---------------------------------------------------------------------------

    def request_product(self, body: Any) -> str:
        """Validate a product upsert (Clientele+ only) and queue it; its xid."""
        if self.tier != "clientele_plus":
            raise PodiumError(403, "Products are available on the Clientele+ tier only")
        fields = _known(body, PRODUCT_KEYS)
        xid = _string(fields, "xid", required=True)
        assert xid is not None
        for key in ("name", "description"):
            _string(fields, key)
        if "price" in fields:
            fields["price"] = _decimal(fields, "price")
        images = fields.get("images")
        if images is not None and not (
            isinstance(images, list) and all(isinstance(i, str) for i in images)
        ):
            raise bad_request("images must be a list of URLs")
        for key in ("archived", "specialOrder"):
            if key in fields and not isinstance(fields[key], bool):
                raise bad_request(f"{key} must be true or false")
        self.queue_write(lambda: self._upsert_product(xid, fields))
        return xid

    def _upsert_product(self, xid: str, fields: dict[str, Any]) -> None:
        change: dict[str, Any] = {
            k: fields[k] for k in ("name", "description", "price", "images") if k in fields
        }
        if "specialOrder" in fields:
            change["special_order"] = fields["specialOrder"]
        uid = self.xids.get(xid)
        archived = fields.get("archived")
        if uid is None:
            record = {
                "xid": xid,
                "name": None,
                "description": None,
                "price": None,
                "images": [],
                "special_order": False,
                "archived_at": iso(self.clock.now()) if archived else None,
                **change,
            }
            if self.generate_titles:
                record |= generated(record)
            self.xids[xid] = self.products.create(record)["id"]
            return
        current = self.products.get(uid)
        if archived is True and current["archived_at"] is None:
            change["archived_at"] = iso(self.clock.now())
        elif archived is False:
            change["archived_at"] = None
        self.products.update(uid, change)

    def product_public(self, record: dict[str, Any]) -> dict[str, Any]:
        """A product as the API shows it (``Product`` in the spec)."""
        return {
            "uid": record["id"],
            "xid": record["xid"],
            "name": record["name"],
            "description": record["description"],
            "price": record["price"],
            "images": [
                {
                    "uid": f"{record['id'][:-4]}{n:04d}",
                    "url": url,
                    "isPrimary": n == 0,
                    "productUid": record["id"],
                }
                for n, url in enumerate(record["images"])
            ],
            "archivedAt": record["archived_at"],
            "insertedAt": record["created_at"],
            "updatedAt": record["updated_at"],
        }

    def product_by_xid(self, xid: str) -> dict[str, Any] | None:
        """The product with this external id (the Edge item number), as the API shows it."""
        uid = self.xids.get(xid)
        return self.product_public(self.products.get(uid)) if uid else None

    # -- client purchases -------------------------------------------------------------------

    def request_purchase(self, identifier: str, body: Any) -> str:
        """Validate a purchase upsert of a visible contact and queue it; its externalId."""
        contact = self.contact(identifier)["id"]
        fields = _known(body, PURCHASE_KEYS)
        external = _string(fields, "externalId", required=True)
        assert external is not None
        _string(fields, "productXid")
        _string(fields, "description")
        fields["amount"] = _decimal(fields, "amount")
        quantity = fields.get("quantity", 1)
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise bad_request("quantity must be an integer")
        day = _string(fields, "purchasedAt")
        if day is not None:
            try:
                dt.date.fromisoformat(day)
            except ValueError:
                raise bad_request(f"purchasedAt {day!r} is not a date (YYYY-MM-DD)") from None
        record = {
            "externalId": external,
            "productXid": fields.get("productXid"),
            "description": fields.get("description"),
            "amount": fields["amount"],
            "quantity": quantity,
            "purchasedAt": day,
            "specialOrder": bool(fields.get("specialOrder")),
        }

        def upsert() -> None:
            mine = self.purchases.setdefault(contact, {})
            now = iso(self.clock.now())
            created = mine.get(external, {}).get("createdAt", now)
            mine[external] = {**record, "createdAt": created, "updatedAt": now}

        self.queue_write(upsert)
        return external

    def purchases_of(self, identifier: str) -> list[dict[str, Any]]:
        """A contact's purchases."""
        return list(self.purchases.get(self.contact(identifier)["id"], {}).values())

    # -- the Activity Timeline --------------------------------------------------------------

    def request_event(self, identifier: str, body: Any) -> str:
        """Validate a timeline event of a visible contact and queue it; its externalId."""
        contact = self.contact(identifier)["id"]
        fields = _known(body, EVENT_KEYS)
        external = _string(fields, "externalId", required=True)
        assert external is not None
        subject = fields.get("subject")
        if (
            not isinstance(subject, dict)
            or subject.get("type") not in SUBJECTS
            or not isinstance(subject.get("externalId"), str)
        ):
            raise bad_request("subject must be {type: appointment | service_job, externalId}")
        _string(fields, "action", required=True)
        _string(fields, "title")
        occurred = _string(fields, "occurredAt")
        if occurred is not None:
            try:
                dt.datetime.fromisoformat(occurred.replace("Z", "+00:00"))
            except ValueError:
                raise bad_request(f"occurredAt {occurred!r} is not a date-time") from None
        details = fields.get("details") or {}
        if not isinstance(details, dict):
            raise bad_request("details must be an object")
        event = {
            "externalId": external,
            "subject": {"type": subject["type"], "externalId": subject["externalId"]},
            "action": fields["action"],
            "title": fields.get("title"),
            "occurredAt": occurred,
            "details": details,
        }

        def add() -> None:
            events = self.timeline.setdefault(contact, [])
            if any(e["externalId"] == external for e in events):
                return  # already on the timeline: a replayed write adds nothing
            events.append({**event, "createdAt": iso(self.clock.now())})

        self.queue_write(add)
        return external

    def timeline_of(self, identifier: str) -> list[dict[str, Any]]:
        """A contact's timeline events, oldest first."""
        return list(self.timeline.get(self.contact(identifier)["id"], []))


def generated(record: dict[str, Any]) -> dict[str, Any]:
    """The title and description Podium's generator writes over an uploaded product's."""
    name = record.get("name") or record["xid"]
    return {
        "name": f"{name} | Timeless Piece",
        "description": (
            f"Discover the {name.lower()}: a piece chosen for lasting beauty and everyday wear."
        ),
    }
