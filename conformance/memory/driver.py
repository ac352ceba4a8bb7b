"""Using a memory system as a person would: records straight into :class:`MemoryState`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from conformance import faults
from conformance.driver import Driver, Users
from conformance.memory.fake import MemoryState
from fakes.toolkit import FaultState
from framework.models.base import CanonicalRecord


class MemoryDriver(Driver):
    """The driver of one memory system (its records are canonical already)."""

    users = Users(mapped="u_mapped", mapped_pos_id="12", unmapped="u_unmapped")

    def __init__(self, state: MemoryState, faults: FaultState):
        self.state = state
        self.faults = faults

    def add(self, entity: str, record: CanonicalRecord, actor: str | None = None) -> str:
        """Create a record as ``actor`` (default: the mapped user)."""
        data = record.model_dump(mode="json")
        created = self.state.create(entity, data, actor or self.users.mapped)
        return str(created["id"])

    def add_with_code(
        self, entity: str, record: CanonicalRecord, code: str, actor: str | None = None
    ) -> str:
        """Create a record carrying the shared code ``code``."""
        data = record.model_dump(mode="json")
        created = self.state.create(entity, data, actor or self.users.mapped, code=code)
        return str(created["id"])

    def set_code(self, entity: str, record_id: str, code: str) -> None:
        """Change a record's shared code, as a user would."""
        self.state.set_code(entity, record_id, code, self.users.mapped)

    def edit(
        self, entity: str, record_id: str, values: dict[str, Any], actor: str | None = None
    ) -> None:
        """Replace fields as ``actor`` (default: the mapped user)."""
        self.state.update(entity, record_id, values, actor or self.users.mapped)

    def delete(self, entity: str, record_id: str, actor: str | None = None) -> None:
        """Delete as ``actor`` (default: the mapped user)."""
        self.state.delete(entity, record_id, actor or self.users.mapped)

    def get(self, entity: str, record_id: str) -> dict[str, Any] | None:
        """The record's canonical data; ``None`` once deleted."""
        try:
            data: dict[str, Any] = self.state.store(entity).get(record_id)["data"]
        except KeyError:
            return None
        return data

    def ids(self, entity: str) -> list[str]:
        """Live ids."""
        return [str(r["id"]) for r in self.state.live(entity)]

    def associate_of(self, entity: str, record_id: str) -> str | None:
        """The associate the last write recorded."""
        associate: str | None = self.state.store(entity).get(record_id).get("associate")
        return associate

    def same_instant(self) -> AbstractContextManager[None]:
        """Freeze the system's clock."""
        return faults.frozen(self.state.clock)

    @contextmanager
    def _zoned(self, zone: str) -> Iterator[None]:
        before = self.state.zone
        self.state.set_zone(zone)
        try:
            yield
        finally:
            self.state.zone = before

    def in_zone(self, zone: str) -> AbstractContextManager[None]:
        """Answer times in ``zone``."""
        return self._zoned(zone)

    def outage(self, down: bool) -> None:
        """Every API call answers 503 while down."""
        self.faults.configure(faults.outage(down))

    def flaky(self, on: bool) -> None:
        """Some calls answer 503 or 429."""
        self.faults.configure(faults.flaky(on))

    def add_unreadable(self, entity: str) -> str:
        """A record with a malformed e-mail, stored past the API's validation."""
        data = {"first_name": "Broken", "emails": [{"address": "not an e-mail"}]}
        return str(self.state.store(entity).create({"data": data}, "u_mapped")["id"])
