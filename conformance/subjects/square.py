"""Square as a conformance subject: its fake, and a driver acting as a seller's staff.

The driver follows ``docs/square-api.md`` and Square's own reference: a profile holds one
e-mail, one phone and one address, and the seller sees more of them in the profile's custom
fields (customer custom attributes of the types Email, PhoneNumber and Address); where it
was made (``creation_source``: the point of sale, Square Appointments…) is what Square
shows as its source, and profiles made at the point of sale and from appointments are the
same kind of record (SQ-1). Groups are named lists a profile belongs to (SQ-3).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import phonenumbers

from conformance import faults
from conformance.driver import Driver
from conformance.subject import Claims, FakeSystem, Subject
from fakes.square import SquareState, make_app
from fakes.toolkit import FaultState, SyncASGITransport
from framework.models.base import CanonicalRecord

TOKEN = "conformance-square-token"
REGION = "US"
SOURCES = {
    "APPOINTMENTS": "Square Appointments",
    "DIRECTORY": "Square Point of Sale",
    "THIRD_PARTY": None,
}
ADDRESS = {
    "street1": "address_line_1",
    "street2": "address_line_2",
    "city": "locality",
    "state": "administrative_district_level_1",
    "postal_code": "postal_code",
    "country": "country",
}


def _first(items: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    items = items or []
    return next((i for i in items if i.get("preferred")), items[0] if items else None)


def profile(values: dict[str, Any]) -> dict[str, Any]:
    """The profile fields a seller types for canonical ``values`` (each field's whole value)."""
    body: dict[str, Any] = {}
    names = {"first_name": "given_name", "last_name": "family_name", "company": "company_name"}
    for name, square in names.items():
        if name in values:
            body[square] = values[name]
    if "emails" in values:
        email = _first(values["emails"])
        body["email_address"] = email["address"] if email else None
    if "phones" in values:
        phone = _first(values["phones"])
        body["phone_number"] = phone["number"] if phone else None
    if "addresses" in values:
        address = _first(values["addresses"])
        body["address"] = (
            {v: address.get(k) for k, v in ADDRESS.items() if address.get(k)} if address else None
        )
    if "birth_date" in values:
        body["birthday"] = values["birth_date"]
    return body


class SquareDriver(Driver):
    """A seller's staff at work in Square (the dashboard, the point of sale, Appointments)."""

    def __init__(self, state: SquareState, faults: FaultState):
        self.state = state
        self.faults = faults

    def add(self, entity: str, record: CanonicalRecord, actor: str | None = None) -> str:
        """Make a profile at the point of sale, or from an appointment (its acquisition)."""
        data = record.model_dump(mode="json")
        source = "APPOINTMENTS" if data.get("acquisition") == SOURCES["APPOINTMENTS"] else None
        body = {k: v for k, v in profile(data).items() if v is not None}
        made = self.state.create_customer(body, source=source or "DIRECTORY")
        self._groups(made["id"], data.get("groups") or [])
        return str(made["id"])

    def _groups(self, customer_id: str, names: list[str]) -> None:
        """Make the profile a member of exactly the groups ``names`` (made when missing)."""
        by_name = {g["name"]: g["id"] for g in self.state.groups.values()}
        for name in names:
            if name not in by_name:
                by_name[name] = self.state.create_group(name)["id"]
        wanted = {by_name[n] for n in names}
        held = set(self.state.customer(customer_id).get("group_ids") or [])
        for group in wanted - held:
            self.state.set_groups(customer_id, add=group)
        for group in held - wanted:
            self.state.set_groups(customer_id, remove=group)

    def edit(
        self, entity: str, record_id: str, values: dict[str, Any], actor: str | None = None
    ) -> None:
        """Change a profile."""
        body = profile(values)
        if body:
            self.state.update_customer(record_id, body)
        if "groups" in values:
            self._groups(record_id, values["groups"] or [])

    def delete(self, entity: str, record_id: str, actor: str | None = None) -> None:
        """Delete a profile."""
        self.state.delete_customer(record_id)

    def get(self, entity: str, record_id: str) -> dict[str, Any] | None:
        """A live profile in canonical terms."""
        try:
            c = self.state.customer(record_id)
        except Exception:  # SquareError 404: unknown or deleted
            return None
        address = c.get("address") or {}
        groups = {g["id"]: g["name"] for g in self.state.groups.values()}
        phone = c.get("phone_number")
        shown: dict[str, Any] = {
            "first_name": c.get("given_name"),
            "last_name": c.get("family_name"),
            "company": c.get("company_name"),
            "emails": [{"address": c["email_address"]}] if c.get("email_address") else [],
            "phones": [{"number": _e164(phone)}] if phone else [],
            "addresses": [_address(address)] if address else [],
            "birth_date": c.get("birthday"),
            "acquisition": SOURCES.get(str(c.get("creation_source"))),
            "groups": sorted(groups.get(g, g) for g in c.get("group_ids") or []),
        }
        for field, items in self._custom_contacts(record_id).items():
            shown[field] = [*shown[field], *items]  # a merge keeps the rest there (SQ-2)
        return shown

    def _custom_contacts(self, customer_id: str) -> dict[str, list[dict[str, Any]]]:
        """Contact methods the seller sees in a profile's custom fields of those types."""
        found: dict[str, list[dict[str, Any]]] = {"emails": [], "phones": [], "addresses": []}
        for key, value in self.state.custom_attributes(customer_id).items():
            kind = self.state.attributes.definition(key)["schema"]["$ref"].rpartition(".")[2]
            if kind == "Email":
                found["emails"].append({"address": value})
            elif kind == "PhoneNumber":
                found["phones"].append({"number": _e164(value)})
            elif kind == "Address":
                found["addresses"].append(_address(value))
        return found

    def ids(self, entity: str) -> list[str]:
        """Live profile ids."""
        return [str(r["id"]) for r in self.state.customers.live()]

    def same_instant(self) -> AbstractContextManager[None]:
        """Freeze Square's clock."""
        return faults.frozen(self.state.clock)

    def outage(self, down: bool) -> None:
        """Every call answers 503 while down."""
        self.faults.configure(faults.outage(down))

    def flaky(self, on: bool) -> None:
        """Some calls answer 503 or 429."""
        self.faults.configure(faults.flaky(on))

    def add_unreadable(self, entity: str) -> str:
        """A profile whose phone number was typed short (Square keeps 9 to 16 digits)."""
        made = self.state.create_customer(
            {"given_name": "Broken", "phone_number": "217 555 010"}, source="DIRECTORY"
        )
        return str(made["id"])


def _address(address: dict[str, Any]) -> dict[str, Any]:
    return {k: address.get(v) for k, v in ADDRESS.items()}


def _e164(text: str) -> str:
    parsed = phonenumbers.parse(text, REGION)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def square_fake(tmp: Path) -> FakeSystem:
    """A fresh fake Square seller account, served in-process."""
    state, fault_state = SquareState(token=TOKEN), FaultState()
    return FakeSystem(
        settings={
            "base_url": "https://connect.squareup.com",
            "api_key": TOKEN,
            "search_lag_seconds": 60,
        },
        driver=SquareDriver(state, fault_state),
        transport=SyncASGITransport(make_app(state, fault_state)),
    )


# Search pages through a query fixed when the read began; each read starts a window before
# the newest change it saw (docs/square-api.md, "Search lag").
subject = Subject(
    connector="square", fake=square_fake, entities={"customer": Claims(feed="windowed")}
)
