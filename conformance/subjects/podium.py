"""Podium as a conformance subject: its fake, and a driver acting as a store's Podium users.

The driver follows ``docs/podium-api.md``: a contact has one ``name`` (the last word is the
last name), lists of e-mails and phone numbers (the first one preferred), one address, and
attribute values by label (custom fields, ``Acquisition``). Users' edits are in effect at
once; the connector's writes are queued, so ``settle`` lets Podium's queue run. Podium
records no user with a contact change, so there are no users to map (G-8: the default).
Products, client purchases and Activity Timeline events, which only the store's
integration writes, are in ``podium_records``.
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from conformance import faults
from conformance.driver import Driver
from conformance.subject import Claims, FakeSystem, Refusal, Subject
from conformance.subjects.podium_records import PodiumRecords
from fakes.podium import PodiumState, make_app, podium_faults
from fakes.podium.contacts import ADDRESS_KEYS
from fakes.podium.state import Tier
from fakes.toolkit import FaultPlan, FaultState, SyncASGITransport
from framework.models.base import CanonicalRecord

ADDRESS = dict(
    zip(
        ("street1", "street2", "city", "state", "postal_code", "country"), ADDRESS_KEYS, strict=True
    )
)
OWN = ("Edge link", "Acquisition")
SETTINGS: dict[str, Any] = {
    "base_url": "https://api.podium.com",
    "client_id": "conformance-podium-client",
    "client_secret": "conformance-podium-secret",
    "refresh_token": "conformance-podium-refresh",
    "tier": "clientele_plus",
    "visibility_wait": 0.01,
}


def _first(items: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    items = items or []
    return next((i for i in items if i.get("preferred")), items[0] if items else None)


def _ordered(items: list[dict[str, Any]] | None, key: str) -> list[str]:
    """Values of a contact list, the preferred one first (Podium's first is the preferred)."""
    items = list(items or [])
    items.sort(key=lambda i: not i.get("preferred"))
    return [str(i[key]) for i in items]


def _name(first: str | None, last: str | None) -> str:
    return " ".join(p for p in (first, last) if p) or "Unnamed"


class PodiumDriver(Driver):
    """A store's staff at work in the fake Podium's web app."""

    def __init__(self, state: PodiumState, faults: FaultState):
        self.state = state
        self.faults = faults
        self.records = PodiumRecords(state)

    def does(self, entity: str, action: str) -> bool:
        """Users make, change and delete contacts; the rest the integration writes."""
        return entity == "customer" or self.records.does(entity, action)

    def add(self, entity: str, record: CanonicalRecord, actor: str | None = None) -> str:
        """Add a contact."""
        if entity != "customer":
            raise NotImplementedError(f"Podium's users do not make {entity} records")
        values = record.model_dump(mode="json")
        address = _first(values.get("addresses"))
        emails = _ordered(values.get("emails"), "address")
        phones = _ordered(values.get("phones"), "number")
        made = self.state.add_contact(
            _name(values.get("first_name"), values.get("last_name")),
            email=emails[0] if emails else None,
            phone=phones[0] if phones else None,
            address={v: address.get(k) for k, v in ADDRESS.items()} if address else None,
            attributes=self._attributes(values),
        )
        uid = str(made["uid"])
        if len(emails) > 1 or len(phones) > 1:
            self.state.edit_contact(uid, emails=emails, phones=phones)
        return uid

    def edit(
        self, entity: str, record_id: str, values: dict[str, Any], actor: str | None = None
    ) -> None:
        """Change a contact (reword a product)."""
        if entity != "customer":
            self.records.edit(entity, record_id, values)
            return
        current = self.get(entity, record_id) or {}
        change: dict[str, Any] = {}
        if "first_name" in values or "last_name" in values:
            merged = {**current, **values}
            change["name"] = _name(merged.get("first_name"), merged.get("last_name"))
        if "emails" in values:
            change["emails"] = _ordered(values["emails"], "address")
        if "phones" in values:
            change["phones"] = _ordered(values["phones"], "number")
        if "addresses" in values:
            address = _first(values["addresses"])
            change["address"] = {v: address.get(k) for k, v in ADDRESS.items()} if address else None
        attributes = self._attributes(values)
        if "custom" in values:
            gone = set(current.get("custom") or {}) - set(values["custom"] or {})
            attributes.update(dict.fromkeys(gone))
        if attributes or "acquisition" in values:
            change["attributes"] = {**attributes, **self._acquisition(values)}
        self.state.edit_contact(record_id, **change)

    @staticmethod
    def _attributes(values: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = dict(values.get("custom") or {})
        if values.get("acquisition"):
            out["Acquisition"] = values["acquisition"]
        return out

    @staticmethod
    def _acquisition(values: dict[str, Any]) -> dict[str, Any]:
        return {"Acquisition": values["acquisition"]} if "acquisition" in values else {}

    def delete(self, entity: str, record_id: str, actor: str | None = None) -> None:
        """Delete a contact."""
        if entity != "customer":
            raise NotImplementedError(f"Podium's users do not delete {entity} records")
        self.state.delete_contact(record_id)

    def get(self, entity: str, record_id: str) -> dict[str, Any] | None:
        """A live contact (product, purchase…) in canonical terms, as Podium holds it."""
        self.state.settle()
        if entity != "customer":
            return self.records.get(entity, record_id)
        record = self.state.find(record_id)
        if record is None or record["id"] != record_id:
            return None
        contact = self.state.public(record)
        words = (contact["name"] or "").split()
        first, last = (
            (" ".join(words[:-1]), words[-1]) if len(words) > 1 else (contact["name"], None)
        )
        address = contact.get("address") or {}
        attributes = {a["label"]: a["value"] for a in contact["attributes"]}
        return {
            "first_name": first,
            "last_name": last,
            "emails": [
                {"address": e, "preferred": i == 0} for i, e in enumerate(contact["emails"])
            ],
            "phones": [
                {"number": p, "preferred": i == 0} for i, p in enumerate(contact["phoneNumbers"])
            ],
            "addresses": [{**{k: address.get(v) for k, v in ADDRESS.items()}, "preferred": True}]
            if any(address.values())
            else [],
            "custom": {k: v for k, v in attributes.items() if k not in OWN},
            "acquisition": attributes.get("Acquisition"),
        }

    def ids(self, entity: str) -> list[str]:
        """Live contact uids (item numbers, sale lines, appointment and job subjects)."""
        self.state.settle()
        if entity != "customer":
            return self.records.ids(entity)
        return [str(r["id"]) for r in self.state.contacts.live()]

    def before_sync(self) -> None:
        """Runs are minutes apart and Podium's queue takes seconds: it has run by then."""
        self.settle()

    def settle(self) -> None:
        """Let Podium's queue run: every write accepted so far takes effect."""
        self.state.clock.offset += dt.timedelta(seconds=self.state.visibility_delay)
        self.state.settle(everything=True)

    def same_instant(self) -> AbstractContextManager[None]:
        """Freeze the fake's clock."""
        return faults.frozen(self.state.clock)

    def outage(self, down: bool) -> None:
        """Every call answers 503 while down."""
        self._plan(faults.outage(down))

    def flaky(self, on: bool) -> None:
        """Some calls answer 503 or 429."""
        self._plan(faults.flaky(on))

    def _plan(self, plan: FaultPlan) -> None:
        self.faults.configure(plan.model_copy(update={"rate_limit": self.faults.plan.rate_limit}))

    def add_unreadable(self, entity: str) -> str:
        """A contact with a malformed e-mail, as an old import let in (past validation)."""
        record: dict[str, Any] = {
            "name": "Broken Record",
            "emails": ["not an e-mail"],
            "phones": [],
            "address": None,
            "attributes": {},
            "locations": [self.state.location],
        }
        return str(self.state.contacts.create(record)["id"])


def podium_fake(tmp: Path, tier: Tier = "clientele_plus") -> FakeSystem:
    """A fresh fake Podium (an account on Clientele+ unless ``tier`` says), served in-process."""
    state = PodiumState(
        tier=tier,
        client_id=str(SETTINGS["client_id"]),
        client_secret=str(SETTINGS["client_secret"]),
        refresh_token=str(SETTINGS["refresh_token"]),
    )
    fault_state = podium_faults()
    return FakeSystem(
        settings={**SETTINGS, "tier": tier},
        driver=PodiumDriver(state, fault_state),
        transport=SyncASGITransport(make_app(state, fault_state)),
    )


def clientele_fake(tmp: Path) -> FakeSystem:
    """A fresh fake Podium account on Clientele (no items, PD-1)."""
    return podium_fake(tmp, "clientele")


subject = Subject(
    connector="podium",
    fake=podium_fake,
    entities={
        # Podium's public API has no deletion feed (docs/podium-api.md): deletes are not seen.
        "customer": Claims(custom_keys=("Ring size", "Metal"), deletes_reported=False),
        # Podium's generator writes a title and description over an uploaded product's
        # (PD-6; docs/podium-api.md): a create keeps neither; a later upload overwrites them.
        # Items sync only on Clientele+ (PD-1): the connector refuses a product flow for an
        # account on Clientele when the configuration loads.
        "product": Claims(
            generated=("title", "description"),
            refused=(Refusal("clientele", clientele_fake, "PD-1"),),
        ),
        "purchase": Claims(),
        "service_job": Claims(),
        "appointment": Claims(),
    },
)
