"""Drivers: how the suite uses a fake system as a person using that system would.

A check never reaches into a fake's internals; it asks the system's driver to add, edit or
delete a record, to show what the system holds, and (where the system can) to freeze its
clock, answer in another time zone, or go offline. Records cross the driver in canonical
JSON form (``Customer(...).model_dump(mode="json")``), limited to the fields the system
holds: the driver translates to and from the system's own shapes, written from the
system's documentation like the connector and the fake (never importing either).

Ids are the system's own record ids, the ones its connector reports in ``Change.id``.
Subclass :class:`Driver` and write the five record methods; the rest are optional
capabilities whose defaults say "this system cannot" (the checks needing them are then
reported as not applicable).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from framework.models.base import CanonicalRecord


@dataclass(frozen=True)
class Users:
    """Platform users a driver can act as (G-8): one mapped to a POS associate, one not."""

    mapped: str
    mapped_pos_id: str
    unmapped: str


class Driver:
    """The base of drivers; see the module docstring."""

    users: Users | None = None
    """Platform systems name their users here; POS systems leave it ``None``."""

    # -- records (every driver) -------------------------------------------------------------

    def add(self, entity: str, record: CanonicalRecord, actor: str | None = None) -> str:
        """Create a record as a user (``actor``, or the system's usual user); returns its id."""
        raise NotImplementedError

    def edit(
        self, entity: str, record_id: str, values: dict[str, Any], actor: str | None = None
    ) -> None:
        """Set canonical fields of a record (each field's whole value) as a user."""
        raise NotImplementedError

    def delete(self, entity: str, record_id: str, actor: str | None = None) -> None:
        """Delete a record as a user."""
        raise NotImplementedError

    def get(self, entity: str, record_id: str) -> dict[str, Any] | None:
        """What the system holds for a record, as canonical JSON; ``None`` when gone."""
        raise NotImplementedError

    def ids(self, entity: str) -> list[str]:
        """The ids of the live records of ``entity``."""
        raise NotImplementedError

    def does(self, entity: str, action: str) -> bool:
        """Whether the system's users ``add``, ``edit`` or ``delete`` records of ``entity``.

        Default: all three. A sent message is never edited; some records are never deleted
        by hand. Checks needing an action the users do not take skip that part, or are
        reported as not applicable.
        """
        return True

    # -- the system's own rhythm -------------------------------------------------------------

    def before_sync(self) -> None:
        """Called before each engine run (a file-exchange POS runs its scheduled export)."""

    def settle(self) -> None:
        """Make everything written so far visible to a reader of the system."""

    # -- optional capabilities ---------------------------------------------------------------

    def associate_of(self, entity: str, record_id: str) -> str | None:
        """POS systems: the associate recorded with the last write of a record (G-8)."""
        raise NotImplementedError

    def same_instant(self) -> AbstractContextManager[None] | None:
        """A context in which every change gets the same timestamp; ``None``: cannot."""
        return None

    def in_zone(self, zone: str) -> AbstractContextManager[None] | None:
        """A context in which the system answers times in ``zone``; ``None``: cannot."""
        return None

    def outage(self, down: bool) -> None:
        """Make the system unreachable (``True``) or reachable again (``False``)."""
        raise NotImplementedError

    def flaky(self, on: bool) -> None:
        """Make some calls fail as the system does under load (429, 5xx), or stop it."""
        raise NotImplementedError

    def add_unreadable(self, entity: str) -> str:
        """Store a record no canonical record can carry (a malformed e-mail); returns its id."""
        raise NotImplementedError

    def add_with_code(
        self, entity: str, record: CanonicalRecord, code: str, actor: str | None = None
    ) -> str:
        """Create a record carrying the shared code ``code``; only systems that keep one.

        IS-3: an F/K customer's code, an IdoSell account's external code.
        """
        raise NotImplementedError

    def set_code(self, entity: str, record_id: str, code: str) -> None:
        """Change a record's shared code as a user would (IS-4: a code changed on one side)."""
        raise NotImplementedError

    def add_foreign(self, entity: str, record: CanonicalRecord) -> str:
        """Store what looks like ``record`` but the rules say is no record of ``entity``.

        A Clientbook item of a collection other than the wish list (CB-6), a message entry
        of the recent activity (not a note, CB-7). Returns its id in the system.
        """
        raise NotImplementedError

    def can(self, capability: str) -> bool:
        """Whether this driver offers an optional capability (by method name)."""
        if capability in ("same_instant", "in_zone"):
            probe = getattr(self, capability)
            context = probe() if capability == "same_instant" else probe("UTC")
            return context is not None
        if capability == "users":
            return self.users is not None
        method = getattr(type(self), capability, None)
        return method is not None and method is not getattr(Driver, capability, None)
