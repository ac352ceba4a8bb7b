"""The fake Podium's contacts and contact attributes (``docs/podium-api.md``, "Contacts").

API writes are validated when they arrive and take effect through the write queue; the
methods without ``request_`` are a Podium user's edits in the web app, in effect at once.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from fakes.podium.contact_index import ContactStore
from fakes.podium.errors import PodiumError, bad_request
from fakes.toolkit import Clock, iso

ADDRESS_KEYS = ("addressLine1", "addressLine2", "city", "state", "postalCode", "country")
CREATE_KEYS = frozenset(
    {"address", "attributes", "contactStatus", "email", "locations", "name", "phoneNumber", "tags"}
)
UPDATE_KEYS = frozenset(
    {"address", "contactStatus", "conversationUid", "email", "locations", "name", "phoneNumber"}
)
DATA_TYPES = ("ADDRESS", "BOOLEAN", "DATETIME", "FLOAT", "INTEGER", "STRING", "UUID")
EMAIL = re.compile(r"(.+)@(.+)\.(.+)")
PHONE = re.compile(r"^\+[1-9]\d{1,15}$")
NAMESPACE = uuid.UUID("6f1c2d4e-0000-4000-8000-0000000a0d10")


def podium_uid(kind: str, seq: int) -> str:
    """A uuid, stable per kind and sequence number (repeatable tests and demos)."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}-{seq}"))


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"{key} must be a string")
    return value


class Contacts:
    """Contacts, attribute definitions and locations; writes go through ``queue``."""

    clock: Clock
    contacts: ContactStore
    attributes: dict[str, dict[str, Any]]
    locations: dict[str, dict[str, Any]]
    organization: str
    application: str

    def queue_write(self, job: Callable[[], None]) -> None:
        """Queue one write (``PodiumState`` has the queue)."""
        raise NotImplementedError

    # -- reading ----------------------------------------------------------------------------

    def find(self, identifier: str) -> dict[str, Any] | None:
        """The live contact with this uid, phone number or e-mail, if any."""
        return self.contacts.first(
            uid=identifier, phone=identifier, email=identifier.strip().lower()
        )

    def contact(self, identifier: str) -> dict[str, Any]:
        """A live contact.

        Raises:
            PodiumError: 404, no contact has this identifier.
        """
        record = self.find(identifier)
        if record is None:
            raise PodiumError(404, f"Contact {identifier} not found")
        return record

    def public(self, record: dict[str, Any]) -> dict[str, Any]:
        """A contact as the API shows it (``contact`` in the spec)."""
        return {
            "uid": record["id"],
            "name": record["name"],
            "emails": list(record["emails"]),
            "phoneNumbers": list(record["phones"]),
            "address": dict(record["address"]) if record["address"] else None,
            "attributes": [
                {
                    "uid": uid,
                    "label": self.attributes[uid]["label"],
                    "dataType": self.attributes[uid]["dataType"],
                    "value": value,
                    "ownerResource": dict(self.attributes[uid]["ownerResource"]),
                }
                for uid, value in record["attributes"].items()
                if uid in self.attributes
            ],
            "tags": [],
            "locations": [{"uid": uid} for uid in record["locations"]],
            "organization": {"uid": self.organization},
            "conversations": [],
            "channels": [],
            "createdAt": record["created_at"],
            "updatedAt": record["updated_at"],
        }

    # -- API writes (queued) ----------------------------------------------------------------

    def request_create(self, body: Any) -> str:
        """Validate a create (an upsert on phone or e-mail) and queue it; its identifier."""
        fields = self._fields(body, CREATE_KEYS, creating=True)
        if not (fields.get("email") or fields.get("phoneNumber")):
            raise bad_request("phoneNumber: a contact needs a phoneNumber or an email")
        self.queue_write(lambda: self._upsert(fields))
        return str(fields.get("phoneNumber") or fields.get("email"))

    def request_update(self, identifier: str, body: Any) -> str:
        """Validate an update of a visible contact and queue it."""
        uid = self.contact(identifier)["id"]
        fields = self._fields(body, UPDATE_KEYS, creating=False)
        if not fields:
            raise bad_request("body: the body must change at least one field")
        self.queue_write(lambda: self._apply(uid, fields))
        return identifier

    def request_delete(self, identifier: str) -> str:
        """Queue the deletion of a visible contact."""
        uid = self.contact(identifier)["id"]
        self.queue_write(lambda: self._gone(uid))
        return identifier

    def request_attribute(self, identifier: str, attribute: str, body: Any | None) -> str:
        """Queue setting (``body`` ``{"value"}``) or removing (``None``) one attribute value."""
        uid = self.contact(identifier)["id"]
        if attribute not in self.attributes:
            raise PodiumError(404, f"Contact attribute {attribute} not found")
        if body is None:
            self.queue_write(lambda: self._attribute(uid, attribute, None))
            return identifier
        if not isinstance(body, dict) or not isinstance(body.get("value"), str):
            raise bad_request("value is required and must be a string")
        value = body["value"]
        self.queue_write(lambda: self._attribute(uid, attribute, value))
        return identifier

    def _fields(self, body: Any, allowed: frozenset[str], *, creating: bool) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise bad_request("the body must be a JSON object")
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise bad_request(f"unknown field {unknown[0]}")
        fields = dict(body)
        name = _text(fields, "name")
        if creating and not name:
            raise bad_request("name is required")
        if "name" in fields and not name:
            raise bad_request("name must not be empty")
        email = _text(fields, "email")
        if email is not None and not EMAIL.search(email):
            raise bad_request(f"email {email!r} is not an e-mail address")
        phone = _text(fields, "phoneNumber")
        if phone is not None and not PHONE.match(phone):
            raise bad_request(f"phoneNumber {phone!r} is not formatted as +15555555555")
        if creating and not fields.get("locations"):
            raise bad_request("locations is required")
        for location in fields.get("locations") or []:
            if location not in self.locations:
                raise bad_request(f"locations: unknown location {location}")
        if "address" in fields and fields["address"] is not None:
            address = fields["address"]
            if not isinstance(address, dict) or set(address) - set(ADDRESS_KEYS):
                raise bad_request("address has unknown fields")
            fields["address"] = {k: address.get(k) for k in ADDRESS_KEYS}
        for item in fields.get("attributes") or []:
            if not isinstance(item, dict) or item.get("uid") not in self.attributes:
                raise bad_request(f"attributes: unknown attribute {item!r}")
        return fields

    # -- what a queued write does when it takes effect --------------------------------------

    def _upsert(self, fields: dict[str, Any]) -> None:
        email = (fields.get("email") or "").lower()
        phone = fields.get("phoneNumber")
        found = self.contacts.first(phone=phone or None, email=email or None)
        if found is not None:
            self._apply(found["id"], fields)
            return
        record = {
            "name": fields["name"],
            "emails": [fields["email"]] if fields.get("email") else [],
            "phones": [phone] if phone else [],
            "address": fields.get("address"),
            "attributes": {a["uid"]: a.get("value") for a in fields.get("attributes") or []},
            "locations": list(fields["locations"]),
        }
        self.contacts.create(record)

    def _apply(self, uid: str, fields: dict[str, Any]) -> None:
        try:
            record = self.contacts.get(uid)
        except KeyError:
            return  # deleted meanwhile: the queued write has nothing to change
        change: dict[str, Any] = {}
        if "name" in fields:
            change["name"] = fields["name"]
        if fields.get("email"):
            change["emails"] = _first(record["emails"], fields["email"], email=True)
        if fields.get("phoneNumber"):
            change["phones"] = _first(record["phones"], fields["phoneNumber"], email=False)
        if "address" in fields:
            change["address"] = fields["address"]
        if fields.get("locations"):
            change["locations"] = list(fields["locations"])
        if fields.get("attributes"):
            attributes = dict(record["attributes"])
            attributes.update({a["uid"]: a.get("value") for a in fields["attributes"]})
            change["attributes"] = attributes
        self.contacts.update(uid, change)

    def _attribute(self, uid: str, attribute: str, value: str | None) -> None:
        try:
            attributes = dict(self.contacts.get(uid)["attributes"])
        except KeyError:
            return
        if value is None:
            attributes.pop(attribute, None)
        else:
            attributes[attribute] = value
        self.contacts.update(uid, {"attributes": attributes})

    def _gone(self, uid: str) -> None:
        try:
            self.contacts.delete(uid)
        except KeyError:
            return

    # -- a Podium user's edits (in effect at once) ------------------------------------------

    def add_contact(
        self,
        name: str,
        *,
        email: str | None = None,
        phone: str | None = None,
        address: dict[str, Any] | None = None,
        attributes: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Add a contact in Podium's web app; returns it as the API shows it."""
        record = self.contacts.create(
            {
                "name": name,
                "emails": [email] if email else [],
                "phones": [phone] if phone else [],
                "address": {k: (address or {}).get(k) for k in ADDRESS_KEYS} if address else None,
                "attributes": self._by_label(attributes or {}),
                "locations": [next(iter(self.locations))],
            }
        )
        return self.public(record)

    def edit_contact(self, uid: str, **fields: Any) -> dict[str, Any]:
        """Change a contact in the web app.

        ``fields``: ``name``, ``emails``, ``phones``, ``address``, or ``attributes``
        (label -> value; ``None`` removes one).
        """
        record = self.contacts.get(uid)
        change = {k: v for k, v in fields.items() if k != "attributes"}
        if "address" in change and change["address"] is not None:
            change["address"] = {k: change["address"].get(k) for k in ADDRESS_KEYS}
        if "attributes" in fields:
            attributes = dict(record["attributes"])
            for uid_, value in self._by_label(fields["attributes"]).items():
                if value is None:
                    attributes.pop(uid_, None)
                else:
                    attributes[uid_] = value
            change["attributes"] = attributes
        return self.public(self.contacts.update(uid, change))

    def add_email(self, uid: str, email: str) -> dict[str, Any]:
        """Add another e-mail to a contact in the web app."""
        record = self.contacts.get(uid)
        return self.edit_contact(uid, emails=[*record["emails"], email])

    def delete_contact(self, uid: str) -> None:
        """Delete a contact in the web app."""
        self.contacts.delete(uid)

    def attribute_values(self, uid: str) -> dict[str, Any]:
        """A contact's attribute values by label."""
        record = self.contacts.get(uid)
        return {self.attributes[a]["label"]: v for a, v in record["attributes"].items()}

    # -- attribute definitions --------------------------------------------------------------

    def define_attribute(
        self, label: str, data_type: str = "STRING", owner: str = "ORGANIZATION"
    ) -> dict[str, Any]:
        """Define a contact attribute (``contact_entity_attribute``)."""
        if not label:
            raise bad_request("label is required")
        if data_type not in (*DATA_TYPES, "SINGLE_SELECT", "MULTI_SELECT"):
            raise bad_request(f"dataType {data_type!r} is not one of {', '.join(DATA_TYPES)}")
        if owner not in ("PRODUCT", "ORGANIZATION"):
            raise bad_request("ownerResourceType must be PRODUCT or ORGANIZATION")
        uid = podium_uid("attribute", len(self.attributes) + 1)
        now = iso(self.clock.now())
        owner_uid = self.application if owner == "PRODUCT" else self.organization
        self.attributes[uid] = {
            "uid": uid,
            "label": label,
            "dataType": data_type,
            "isEncrypted": False,
            "ownerResource": {"type": owner, "uid": owner_uid},
            "createdAt": now,
            "updatedAt": now,
        }
        return self.attributes[uid]

    def _by_label(self, values: dict[str, Any]) -> dict[str, Any]:
        labels = {a["label"]: uid for uid, a in self.attributes.items()}
        out = {}
        for label, value in values.items():
            uid = labels.get(label) or self.define_attribute(label)["uid"]
            out[uid] = value
        return out


def _first(items: list[str], value: str, *, email: bool) -> list[str]:
    """``items`` with ``value`` as its first element, replacing the old first one (PATCH)."""

    def key(text: str) -> str:
        return text.lower() if email else text

    if any(key(i) == key(value) for i in items):
        return list(items)
    return [value, *items[1:]]
