"""The fake Edge's record kinds beyond customers, as ``docs/edge-exchange.md`` models them.

A :class:`Table` holds one kind's records (``Key`` -> PairValue) and which changed since the
last export. An :class:`ImportRule` says how EDT imports a kind from ``Outbox``: which
field holds the record's key, its customer and the partner's id, and what a new record
starts with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fakes.edge.files import edt_date


@dataclass
class Table:
    """The records of one EDT kind (``WishList``…) and the keys changed since the last export."""

    kind: str
    wrapper: str
    letter: str = ""
    exports: bool = True
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)
    next_id: int = 1

    def new_key(self, store_id: int) -> str:
        """A fresh key, ``001-W000001`` style."""
        key = f"{store_id:03d}-{self.letter}{self.next_id:06d}"
        self.next_id += 1
        return key

    def put(self, key: str, value: dict[str, Any]) -> None:
        """Store a record and mark it changed (it exports on the next run)."""
        self.records[key] = value
        self.changed.add(key)

    def edit(self, key: str, fields: dict[str, Any]) -> None:
        """Change fields of a record (as a POS user)."""
        self.records[key].update(fields)
        self.changed.add(key)

    def by_web_id(self, transfer: str, web_id: str) -> str | None:
        """The key of the record holding a partner id, if any."""
        for key, value in self.records.items():
            if (value.get(transfer) or {}).get("WebTransferWebID") == web_id:
                return key
        return None


Defaults = Callable[[str, dt.datetime], dict[str, Any]]


@dataclass(frozen=True)
class ImportRule:
    """How EDT imports one kind: key, owner and transfer fields, and a new record's fields."""

    table: str
    key_field: str
    owner_field: str
    transfer: str
    defaults: Defaults


def wish_defaults(owner: str, now: dt.datetime) -> dict[str, Any]:
    """A new wish before the import's fields are laid over it."""
    return {
        "WishlistCustKey": owner,
        "WishlistCustAccountKey": owner,
        "WishlistItemKey": "",
        "WishlistItemDesc": "",
        "WishlistItemDescMemo": "",
        "WishlistItemImage": "",
        "WishlistBuyFor": "",
        "WishlistBuyForCustKey": None,
        "WishlistEventDesc": None,
        "WishlistEventDate": None,
        "WishlistDateEntered": edt_date(now.date()),
        "WishlistDateBought": None,
        "WishlistDateRemoved": None,
        "WishlistFinalItkey": None,
        "WishlistAssociate": 0,
        "WishlistUpdateUser": None,
    }


def note_defaults(owner: str, now: dt.datetime) -> dict[str, Any]:
    """A new note."""
    return {
        "NoteCustKey": owner,
        "NoteText": "",
        "NoteDate": edt_date(now),
        "NoteAssociate": None,
        "NoteUpdateUser": None,
        "NoteDeleted": False,
    }


def activity_defaults(owner: str, now: dt.datetime) -> dict[str, Any]:
    """A new Activity-tab entry."""
    return {
        "ActivityCustKey": owner,
        "ActivityType": "Text",
        "ActivitySubject": None,
        "ActivityText": "",
        "ActivityDate": edt_date(now),
        "ActivityAssociate": None,
        "ActivitySource": None,
    }


IMPORTS: dict[str, ImportRule] = {
    "wishlist": ImportRule(
        "WishList", "WishlistKey", "WishlistCustKey", "WishlistTransfer", wish_defaults
    ),
    "notelist": ImportRule("NoteList", "NoteKey", "NoteCustKey", "NoteTransfer", note_defaults),
    "activitylist": ImportRule(
        "ActivityList", "ActivityKey", "ActivityCustKey", "ActivityTransfer", activity_defaults
    ),
}


def new_tables() -> dict[str, Table]:
    """Every kind beyond customers, in export order (items before what refers to them)."""
    tables = [
        Table("ItemList", "Items"),
        Table("WishList", "Wishes", "W"),
        Table("NoteList", "Notes", "N"),
        Table("JobList", "Jobs", "J"),
        Table("AppointmentList", "Appointments", "P"),
        Table("Transaction", "SaleLines"),
        Table("NotificationList", "Notifications", "T"),
        Table("ActivityList", "Activities", "A", exports=False),
    ]
    return {t.kind: t for t in tables}
