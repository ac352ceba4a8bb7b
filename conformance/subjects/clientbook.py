"""Clientbook as a conformance subject: its fake, and a driver acting as Clientbook's users.

The driver follows ``docs/clientbook-api.md``: a client holds one e-mail, one mobile
number, one address and named preferences; associates ``as_12`` (Point of Sale ID 12) and
``as_77`` (none) make the changes. Wish lists, notes, messages, products, purchases,
service jobs and texts are in ``clientbook_records``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from conformance import faults
from conformance.driver import Driver, Users
from conformance.subject import Claims, FakeSystem, Subject
from conformance.subjects.clientbook_records import ClientbookRecords
from fakes.clientbook import ClientbookState, make_app
from fakes.clientbook.state import CLIENT_FIELDS
from fakes.toolkit import FaultState, SyncASGITransport
from framework.models.base import CanonicalRecord

API_KEY = "conformance-clientbook-key"
ADDRESS = ("street1", "street2", "city", "state", "postal_code", "country")


def _first(items: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """The preferred element of a contact list, else the first (a client keeps one)."""
    items = items or []
    return next((i for i in items if i.get("preferred")), items[0] if items else None)


def client_body(values: dict[str, Any], current: dict[str, Any] | None = None) -> dict[str, Any]:
    """A client body for canonical ``values`` (each field's whole value)."""
    body: dict[str, Any] = {}
    for name in ("first_name", "last_name", "acquisition"):
        if name in values:
            body[name] = values[name]
    if "emails" in values:
        email = _first(values["emails"])
        body["email"] = email["address"] if email else None
    if "phones" in values:
        phone = _first(values["phones"])
        body["mobile"] = phone["number"] if phone else None
    if "addresses" in values:
        address = _first(values["addresses"])
        body["address"] = {k: address.get(k) for k in ADDRESS} if address else None
    if "custom" in values:
        wanted = values["custom"] or {}
        gone = [p["name"] for p in (current or {}).get("preferences") or []]
        body["preferences"] = [{"name": n, "value": None} for n in gone if n not in wanted] + [
            {"name": n, "value": v} for n, v in wanted.items()
        ]
    return body


class ClientbookDriver(Driver):
    """Clientbook's users at work on the fake."""

    users = Users(mapped="as_12", mapped_pos_id="12", unmapped="as_77")

    def __init__(self, state: ClientbookState, faults: FaultState):
        self.state = state
        self.faults = faults
        self.records = ClientbookRecords(state)

    def add(self, entity: str, record: CanonicalRecord, actor: str | None = None) -> str:
        """Create a client (a wish, a note, a message…)."""
        if entity != "customer":
            data = record.model_dump(mode="json")
            return self.records.add(entity, data, actor or self.users.mapped)
        body = client_body(record.model_dump(mode="json"))
        return str(self.state.create_client(body, actor or self.users.mapped)["id"])

    def edit(
        self, entity: str, record_id: str, values: dict[str, Any], actor: str | None = None
    ) -> None:
        """Change a client (a wish, a note…)."""
        if entity != "customer":
            self.records.edit(entity, record_id, values, actor or self.users.mapped)
            return
        body = client_body(values, self.state.clients.get(record_id))
        self.state.update_client(record_id, body, actor or self.users.mapped)

    def delete(self, entity: str, record_id: str, actor: str | None = None) -> None:
        """Delete a client (a wish, a note…)."""
        if entity != "customer":
            self.records.delete(entity, record_id, actor or self.users.mapped)
            return
        self.state.clients.delete(record_id, actor or self.users.mapped)

    def get(self, entity: str, record_id: str) -> dict[str, Any] | None:
        """A live client (wish, note…) in canonical terms."""
        if entity != "customer":
            return self.records.get(entity, record_id)
        try:
            client = self.state.clients.get(record_id)
        except KeyError:
            return None
        address = client.get("address") or {}
        return {
            "first_name": client.get("first_name"),
            "last_name": client.get("last_name"),
            "emails": [{"address": client["email"], "preferred": True}]
            if client.get("email")
            else [],
            "phones": [{"number": client["mobile"], "preferred": True}]
            if client.get("mobile")
            else [],
            "addresses": [{**address, "preferred": True}] if any(address.values()) else [],
            "custom": {p["name"]: p["value"] for p in client.get("preferences") or []},
            "acquisition": client.get("acquisition"),
        }

    def ids(self, entity: str) -> list[str]:
        """Live client (wish, note…) ids."""
        if entity != "customer":
            return self.records.ids(entity)
        return [str(c["id"]) for c in self.state.clients.live()]

    def same_instant(self) -> AbstractContextManager[None]:
        """Freeze the fake's clock."""
        return faults.frozen(self.state.clock)

    def outage(self, down: bool) -> None:
        """Every call answers 503 while down."""
        self.faults.configure(faults.outage(down))

    def flaky(self, on: bool) -> None:
        """Some calls answer 503 or 429."""
        self.faults.configure(faults.flaky(on))

    def does(self, entity: str, action: str) -> bool:
        """Users make, change and delete clients; other records as the app lets them."""
        return entity == "customer" or self.records.does(entity, action)

    def add_foreign(self, entity: str, record: CanonicalRecord) -> str:
        """An item of another collection (CB-6); a message entry of the activity (CB-7)."""
        client = str(getattr(record, "customer", ""))
        return self.records.add_foreign(entity, client, self.users.mapped)

    def add_unreadable(self, entity: str) -> str:
        """A client with a malformed e-mail, as an old import let in (past validation)."""
        if entity != "customer":
            owner = self.state.create_client({"first_name": "Owner"}, self.users.mapped)
            return self.records.add_unreadable(entity, str(owner["id"]), self.users.mapped)
        fields: dict[str, Any] = {name: None for name in CLIENT_FIELDS}
        fields |= {"first_name": "Broken", "email": "not an e-mail", "preferences": []}
        return str(self.state.clients.create(fields, self.users.mapped)["id"])


def clientbook_fake(tmp: Path) -> FakeSystem:
    """A fresh fake Clientbook with its two associates, served in-process."""
    state, faults = ClientbookState(api_key=API_KEY), FaultState()
    state.add_associate("as_12", "Maria Lopez", "12")
    state.add_associate("as_77", "Sam Carter", None)
    return FakeSystem(
        settings={"base_url": "http://clientbook.test", "api_key": API_KEY},
        driver=ClientbookDriver(state, faults),
        transport=SyncASGITransport(make_app(state, faults)),
    )


SALE_HELD = ("customer", "item_key", "description", "amount", "quantity", "sold_at")

subject = Subject(
    connector="clientbook",
    fake=clientbook_fake,
    entities={
        "customer": Claims(custom_keys=("Ring size", "Metal")),
        "wish": Claims(),
        "note": Claims(),
        "message": Claims(),
        "product": Claims(),
        # A purchase keeps the sale and line as one reference ("001-000011"), not apart.
        "purchase": Claims(fields=SALE_HELD),
        "service_job": Claims(),
        "sms_notification": Claims(),
    },
)
