"""Example CRM as a conformance subject: a driver of the fake, and the declaration."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from conformance import Driver, FakeSystem, Subject, Users
from conformance.faults import frozen
from fakes.toolkit import FaultPlan, FaultRule, FaultState, SyncASGITransport
from framework.models.base import CanonicalRecord
from syncwright_example_crm.fake import CrmState, make_app


def _first(items: list[dict[str, Any]] | None, key: str) -> str | None:
    items = items or []
    chosen = next((i for i in items if i.get("preferred")), items[0] if items else None)
    return chosen[key] if chosen else None


def contact_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Canonical customer values as contact fields."""
    out: dict[str, Any] = {}
    if "first_name" in values:
        out["given_name"] = values["first_name"]
    if "last_name" in values:
        out["family_name"] = values["last_name"]
    if "emails" in values:
        out["email"] = _first(values["emails"], "address")
    if "phones" in values:
        out["phone"] = _first(values["phones"], "number")
    return out


class CrmDriver(Driver):
    """A CRM user at work on the fake."""

    users = Users(mapped="u1", mapped_pos_id="12", unmapped="u2")

    def __init__(self, state: CrmState, faults: FaultState):
        self.state = state
        self.faults = faults

    def add(self, entity: str, record: CanonicalRecord, actor: str | None = None) -> str:
        values = contact_fields(record.model_dump(mode="json"))
        return str(self.state.create(values, actor or "u1")["id"])

    def edit(
        self, entity: str, record_id: str, values: dict[str, Any], actor: str | None = None
    ) -> None:
        self.state.update(record_id, contact_fields(values), actor or "u1")

    def delete(self, entity: str, record_id: str, actor: str | None = None) -> None:
        self.state.contacts.delete(record_id, actor or "u1")

    def get(self, entity: str, record_id: str) -> dict[str, Any] | None:
        try:
            c = self.state.contacts.get(record_id)
        except KeyError:
            return None
        return {
            "first_name": c.get("given_name"),
            "last_name": c.get("family_name"),
            "emails": [{"address": c["email"], "preferred": True}] if c.get("email") else [],
            "phones": [{"number": c["phone"], "preferred": True}] if c.get("phone") else [],
        }

    def ids(self, entity: str) -> list[str]:
        return [str(c["id"]) for c in self.state.contacts.live()]

    def same_instant(self) -> AbstractContextManager[None]:
        return frozen(self.state.clock)

    def outage(self, down: bool) -> None:
        self.faults.configure(FaultPlan(rules=[FaultRule(kind="503", rate=1.0)] if down else []))


def crm_fake(tmp: Path) -> FakeSystem:
    """A fresh fake CRM account, in-process."""
    state, faults = CrmState(api_key="conformance-key"), FaultState()
    return FakeSystem(
        settings={"base_url": "http://crm.test", "api_key": "conformance-key"},
        driver=CrmDriver(state, faults),
        transport=SyncASGITransport(make_app(state, faults)),
    )


subject = Subject(connector="example-crm", fake=crm_fake)
