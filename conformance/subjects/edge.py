"""The Edge as a conformance subject: its fake, and a driver acting as a store's staff.

The driver follows ``docs/edge-exchange.md`` (our reading of the vendor's EDT data description): a
customer is an EDT PairValue with typed contact objects (the one named by
``CustomerPref*`` is preferred), custom fields ``CustomerKey1..8``, ``CustomerXfer`` as the
sync flag, ``CustomerInactive`` as a deletion and ``CustomerUpdateUser`` as who made the
last change. Nothing moves until the store's scheduled EDT run (``before_sync``). Wishes,
notes, jobs, appointments, items, sales, texts and Activity entries are in ``edge_records``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import phonenumbers

from conformance.driver import Driver
from conformance.subject import Claims, FakeSystem, Subject
from conformance.subjects.edge_records import EdgeRecords
from fakes.edge import EdgeFake
from framework.models.base import CanonicalRecord

REGION = "US"
NAMES = {
    "first_name": "CustomerFirstName",
    "middle_name": "CustomerMiddleName",
    "last_name": "CustomerLastName",
    "company": "CustomerCompany",
    "acquisition": "CustomerAcquisition",
}
ADDRESS = {
    "street1": "AddressStreet",
    "street2": "AddressStreet2",
    "city": "AddressCity",
    "state": "AddressState",
    "postal_code": "AddressZip",
    "country": "AddressCountry",
}
CUSTOM = tuple(f"CustomerKey{i}" for i in range(1, 9))
CONTACTS = {
    "emails": ("Emails", "Email", "CustomerPrefEMail"),
    "phones": ("Phones", "Phone", "CustomerPrefPhone"),
    "addresses": ("Addresses", "Address", "CustomerPrefMail"),
}


def _national(number: str) -> str:
    """How Edge stores a phone number of its own region: national digits."""
    parsed = phonenumbers.parse(number, None)
    if phonenumbers.region_code_for_number(parsed) == REGION:
        return str(phonenumbers.national_significant_number(parsed))
    return number


def _e164(text: str) -> str:
    parsed = phonenumbers.parse(text, REGION)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _contact(field: str, item: dict[str, Any]) -> dict[str, Any]:
    if field == "emails":
        return {"EmailEmail": item["address"], "EmailSendPromo": bool(item.get("promo"))}
    if field == "phones":
        return {
            "PhonePhone": _national(item["number"]),
            "PhonePhoneExt": item.get("extension") or "",
            "PhoneDoNotContact": bool(item.get("do_not_contact")),
        }
    return {v: item.get(k) or "" for k, v in ADDRESS.items()}


def _canonical(field: str, value: dict[str, Any], preferred: bool) -> dict[str, Any]:
    if field == "emails":
        return {"address": value["EmailEmail"], "label": value["EmailType"], "preferred": preferred}
    if field == "phones":
        number = _e164(str(value["PhonePhone"]))
        return {"number": number, "label": value["PhoneType"], "preferred": preferred}
    return {
        "label": value["AddressType"],
        "preferred": preferred,
        **{k: value.get(v) or None for k, v in ADDRESS.items()},
    }


class EdgeDriver(Driver):
    """A store's staff at work on the fake Edge."""

    def __init__(self, edge: EdgeFake):
        self.edge = edge
        self.records = EdgeRecords(edge)

    def add(self, entity: str, record: CanonicalRecord, actor: str | None = None) -> str:
        """Add a record (it reaches the export at the next EDT run)."""
        data = record.model_dump(mode="json")
        if entity != "customer":
            return self.records.add(entity, data, actor)
        key = self.edge.add_customer(
            data.get("first_name") or "",
            data.get("last_name") or "",
            xfer=data.get("sync_flag") is not False,
        )
        self.edit(entity, key, {k: v for k, v in data.items() if k not in ("sync_flag",)}, actor)
        return key

    def edit(
        self, entity: str, record_id: str, values: dict[str, Any], actor: str | None = None
    ) -> None:
        """Change a record's fields."""
        if entity != "customer":
            self.records.edit(entity, record_id, values, actor)
            return
        changes: dict[str, Any] = {NAMES[k]: v or "" for k, v in values.items() if k in NAMES}
        if "sync_flag" in values:
            changes["CustomerXfer"] = bool(values["sync_flag"])
        if "custom" in values:
            changes.update({k: (values["custom"] or {}).get(k, "") for k in CUSTOM})
        for field, (array, prefix, pointer) in CONTACTS.items():
            if field in values:
                items = sorted(values[field] or [], key=lambda i: not i.get("preferred"))
                changes[array] = self._methods(record_id, prefix, field, items)
                changes[pointer] = changes[array][0]["Key"] if items else ""
        if actor is not None:
            changes["CustomerUpdateUser"] = actor
        self.edge.edit_customer(record_id, **changes)

    def _methods(
        self, key: str, prefix: str, field: str, items: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for item in items:
            kind = item.get("label") or ("Cell" if field == "phones" else "Home")
            name, n = kind, 2
            while name in {m["Key"] for m in out}:
                name, n = f"{kind} {n}", n + 1
            value = {f"{prefix}CustKey": key, f"{prefix}Type": kind, **_contact(field, item)}
            out.append({"Key": name, "PairValue": value})
        return out

    def delete(self, entity: str, record_id: str, actor: str | None = None) -> None:
        """Make a customer inactive (Edge's deletion); take a wish off its list."""
        if entity != "customer":
            self.records.delete(entity, record_id)
            return
        self.edge.edit_customer(record_id, CustomerInactive=True)

    def get(self, entity: str, record_id: str) -> dict[str, Any] | None:
        """A live record in canonical terms."""
        if entity != "customer":
            return self.records.get(entity, record_id)
        value = self.edge.customers.get(record_id)
        if value is None or value.get("CustomerInactive"):
            return None
        out: dict[str, Any] = {k: value.get(v) or None for k, v in NAMES.items()}
        for field, (array, _, pointer) in CONTACTS.items():
            out[field] = [
                _canonical(field, m["PairValue"], m["Key"] == value.get(pointer))
                for m in value.get(array) or []
            ]
        out["custom"] = {k: value[k] for k in CUSTOM if value.get(k)}
        out["sync_flag"] = bool(value.get("CustomerXfer"))
        return out

    def ids(self, entity: str) -> list[str]:
        """Keys of live records (active customers)."""
        if entity != "customer":
            return self.records.ids(entity)
        return [k for k, v in self.edge.customers.items() if not v.get("CustomerInactive")]

    def associate_of(self, entity: str, record_id: str) -> str | None:
        """``CustomerUpdateUser`` (``WishlistUpdateUser``…)."""
        if entity != "customer":
            return self.records.associate_of(entity, record_id)
        user = self.edge.customers[record_id].get("CustomerUpdateUser")
        return None if user is None else str(user)

    def before_sync(self) -> None:
        """The store's scheduled EDT run."""
        self.edge.run_cycle()

    def settle(self) -> None:
        """Two EDT runs: imports are downloaded, then imported and exported."""
        self.edge.run_cycle()
        self.edge.run_cycle()

    def does(self, entity: str, action: str) -> bool:
        """Staff make, change and delete customers; other records as Edge lets them."""
        return entity == "customer" or self.records.does(entity, action)

    def add_unreadable(self, entity: str) -> str:
        """A customer whose e-mail is not an address (Edge stores what staff type)."""
        if entity != "customer":
            owner = self.edge.add_customer("Owner", "Record")
            return self.records.add_unreadable(entity, owner)
        key = self.edge.add_customer("Broken", "Record")
        self.edge.add_contact(key, "Emails", "Home", EmailEmail="not an e-mail")
        return key

    def outage(self, down: bool) -> None:
        """The exchange folder's Inbox disappears (an FTP mount gone) or comes back."""
        away = self.edge.inbox.with_name("Inbox.offline")
        if down:
            self.edge.inbox.rename(away)
        else:
            away.rename(self.edge.inbox)


def edge_fake(tmp: Path) -> FakeSystem:
    """A fresh fake Edge exchanging files in ``tmp``."""
    folder = tmp / "edt"
    return FakeSystem(
        settings={"folder": str(folder), "store_license_id": "1001", "settle_seconds": 0},
        driver=EdgeDriver(EdgeFake(folder)),
    )


subject = Subject(
    connector="edge",
    fake=edge_fake,
    entities={
        "customer": Claims(custom_keys=("CustomerKey1", "CustomerKey2")),
        "wish": Claims(),
        "note": Claims(),
        "message": Claims(),
        # Jobs, appointments, items and texts are never deleted (Edge keeps them, their
        # status changes: an appointment is Cancelled).
        "service_job": Claims(deletes_reported=False),
        "appointment": Claims(deletes_reported=False),
        "product": Claims(deletes_reported=False),
        "purchase": Claims(),
        "sms_notification": Claims(deletes_reported=False),
    },
)
