"""What a store's people do in the fake Edge beyond customers, and what Edge then shows.

Wishes, notes, service jobs, appointments, items, sales and text notifications, as
``docs/edge-exchange.md`` models their files.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from fakes.edge.files import edt_date
from fakes.edge.tables import Table, note_defaults, wish_defaults

JOB_LETTERS = {"Repair": "R", "Custom": "C", "Appraisal": "A"}


class PosRecords:
    """The POS user's side of wishes, notes, jobs, items, sales and notifications."""

    tables: dict[str, Table]
    customers: dict[str, dict[str, Any]]
    store_id: int
    _clock: dt.datetime

    def _now(self) -> str:
        return edt_date(self._clock) or ""

    def _today(self) -> str:
        return edt_date(self._clock.date()) or ""

    def _of(self, kind: str, owner_field: str, customer: str) -> list[dict[str, Any]]:
        return [
            copy.deepcopy(v)
            for v in self.tables[kind].records.values()
            if v.get(owner_field) == customer
        ]

    # -- wish lists -------------------------------------------------------------------------

    def add_wish(
        self,
        customer: str,
        description: str,
        *,
        item_key: str = "",
        associate: int = 1,
        **fields: Any,
    ) -> str:
        """Add a wish (``item_key`` empty: a non-stock wish); returns its key."""
        table = self.tables["WishList"]
        key = table.new_key(self.store_id)
        value = {
            "WishlistKey": key,
            **wish_defaults(customer, self._clock),
            "WishlistItemKey": item_key,
            "WishlistItemDesc": description,
            "WishlistAssociate": associate,
            "WishlistUpdateUser": str(associate),
            "WishlistTransfer": {"WebTransferWebID": ""},
            **fields,
        }
        table.put(key, value)
        return key

    def edit_wish(self, key: str, **fields: Any) -> None:
        """Change a wish's fields."""
        self.tables["WishList"].edit(key, fields)

    def remove_wish(self, key: str) -> None:
        """Take a wish off the list (Edge keeps it, with the removal date)."""
        self.edit_wish(key, WishlistDateRemoved=self._today())

    def wishes_of(self, customer: str, *, removed: bool = False) -> list[dict[str, Any]]:
        """A customer's wishes on the list (``removed``: also those taken off)."""
        found = self._of("WishList", "WishlistCustKey", customer)
        return [w for w in found if removed or not w.get("WishlistDateRemoved")]

    # -- notes ------------------------------------------------------------------------------

    def add_note(self, customer: str, text: str, *, associate: int = 1, **fields: Any) -> str:
        """Write a note on a customer; returns its key."""
        table = self.tables["NoteList"]
        key = table.new_key(self.store_id)
        value = {
            "NoteKey": key,
            **note_defaults(customer, self._clock),
            "NoteText": text,
            "NoteAssociate": str(associate),
            "NoteUpdateUser": str(associate),
            "NoteTransfer": {"WebTransferWebID": ""},
            **fields,
        }
        table.put(key, value)
        return key

    def edit_note(self, key: str, text: str, *, associate: int = 1) -> None:
        """Change a note's text."""
        self.tables["NoteList"].edit(key, {"NoteText": text, "NoteUpdateUser": str(associate)})

    def delete_note(self, key: str) -> None:
        """Delete a note (Edge keeps the record, marked deleted)."""
        self.tables["NoteList"].edit(key, {"NoteDeleted": True})

    def notes_of(self, customer: str, *, deleted: bool = False) -> list[dict[str, Any]]:
        """A customer's notes (``deleted``: also deleted ones)."""
        found = self._of("NoteList", "NoteCustKey", customer)
        return [n for n in found if deleted or not n.get("NoteDeleted")]

    # -- service jobs -----------------------------------------------------------------------

    def add_job(
        self,
        customer: str,
        job_type: str,
        summary: str,
        *,
        description: str = "",
        status: str = "Not Ready",
    ) -> str:
        """Take in a repair, custom job or appraisal; returns its key."""
        table = self.tables["JobList"]
        key = table.new_key(self.store_id)
        table.put(
            key,
            {
                "JobKey": key,
                "JobNo": f"{JOB_LETTERS[job_type]}{1000 + table.next_id - 1}",
                "JobCustKey": customer,
                "JobType": job_type,
                "JobStatus": status,
                "JobSummary": summary,
                "JobDesc": description,
                "JobDateEntered": self._today(),
            },
        )
        return key

    def set_job_status(self, key: str, status: str) -> None:
        """Move a job on (``Not Ready`` -> ``Done`` -> ``Picked Up``)."""
        self.tables["JobList"].edit(key, {"JobStatus": status})

    # -- appointments (AppointmentList, *modelled*) ----------------------------------------

    def add_appointment(
        self,
        customer: str,
        starts: dt.datetime,
        *,
        minutes: int = 60,
        reason: str = "",
        notes: str = "",
        associate: int = 1,
        status: str = "Scheduled",
    ) -> str:
        """Book an appointment for a customer (store time); returns its key."""
        table = self.tables["AppointmentList"]
        key = table.new_key(self.store_id)
        table.put(
            key,
            {
                "AppointmentKey": key,
                "AppointmentCustKey": customer,
                "AppointmentDate": edt_date(starts),
                "AppointmentEndDate": edt_date(starts + dt.timedelta(minutes=minutes)),
                "AppointmentStatus": status,
                "AppointmentReason": reason,
                "AppointmentNotes": notes,
                "AppointmentAssociate": str(associate),
                "AppointmentDateEntered": self._today(),
            },
        )
        return key

    def edit_appointment(self, key: str, **fields: Any) -> None:
        """Change an appointment's fields (reschedule, notes…)."""
        self.tables["AppointmentList"].edit(key, fields)

    def set_appointment_status(self, key: str, status: str) -> None:
        """``Scheduled`` -> ``Completed`` (or ``Cancelled``)."""
        self.edit_appointment(key, AppointmentStatus=status)

    # -- inventory --------------------------------------------------------------------------

    def add_item(
        self,
        description: str,
        *,
        category: str = "Rings",
        category_id: int = 100,
        vendor: str = "Stuller",
        inventory_type: str = "Stock",
        price: float = 100.0,
        status: str = "I",
        special_order: bool = False,
        **fields: Any,
    ) -> str:
        """Put an item in stock; returns its item number (``001-100-00001``)."""
        table = self.tables["ItemList"]
        key = f"{self.store_id:03d}-{category_id:03d}-{table.next_id:05d}"
        table.next_id += 1
        table.put(
            key,
            {
                "ItemKey": key,
                "ItemDesc": description,
                "ItemDescMemo": "",
                "CategoryId": category_id,
                "CategoryName": category,
                "ItemCurrentPrice": price,
                "ItemImage": f"{key}.jpg",
                "ItemStatus": status,
                "ItemInvType": inventory_type,
                "ItemSpecialOrder": special_order,
                "Vendors": [
                    {
                        "Key": vendor[:3].upper(),
                        "PairValue": {"VendorId": vendor[:3].upper(), "VendorName": vendor},
                    }
                ],
                **fields,
            },
        )
        return key

    def edit_item(self, key: str, **fields: Any) -> None:
        """Change an item's fields."""
        self.tables["ItemList"].edit(key, fields)

    # -- sales ------------------------------------------------------------------------------

    def add_sale(self, customer: str, lines: Sequence[Mapping[str, Any]]) -> list[str]:
        """Ring up a sale; each line ``{item?, desc?, amount, qty?}``. Returns the line keys.

        A line naming an item sells it: the item's status becomes ``S`` (sold).
        """
        sales = self.tables["Transaction"]
        sale_key = f"{self.store_id:03d}-{sales.next_id:05d}"
        sales.next_id += 1
        keys = []
        for number, line in enumerate(lines, start=1):
            item_key = line.get("item") or ""
            item = self.tables["ItemList"].records.get(item_key)
            key = f"{sale_key}{number}"
            sales.put(
                key,
                {
                    "SalelineSaleKey": sale_key,
                    "SalelineLineNo": number,
                    "SalelineCustKey": customer,
                    "SalelineCustAccountKey": customer,
                    "SalelineItemKey": item_key,
                    "SalelineDesc": line.get("desc") or (item or {}).get("ItemDesc", ""),
                    "SalelineAmount": line["amount"],
                    "SalelineCost": 0,
                    "SalelineQty": line.get("qty", 1),
                    "SalelineDate": self._today(),
                    "SalelineSpecialOrder": bool((item or {}).get("ItemSpecialOrder")),
                    "SalelineVoid": False,
                },
            )
            if item is not None:
                self.edit_item(item_key, ItemStatus="S")
            keys.append(key)
        return keys

    def void_line(self, key: str) -> None:
        """Void one sale line."""
        self.tables["Transaction"].edit(key, {"SalelineVoid": True})

    # -- text notifications and the Activity tab -------------------------------------------

    def notify_text(self, customer: str, text: str, reason: str = "") -> str:
        """Send a text notification to a customer's preferred phone; returns its key."""
        value = self.customers[customer]
        phones = {m["Key"]: m["PairValue"]["PhonePhone"] for m in value["Phones"]}
        phone = phones.get(value.get("CustomerPrefPhone", "")) or next(iter(phones.values()))
        table = self.tables["NotificationList"]
        key = table.new_key(self.store_id)
        table.put(
            key,
            {
                "NotificationKey": key,
                "NotificationCustKey": customer,
                "NotificationType": "Text",
                "NotificationPhone": phone,
                "NotificationText": text,
                "NotificationReason": reason,
                "NotificationDate": self._now(),
            },
        )
        return key

    def activity_of(self, customer: str) -> list[dict[str, Any]]:
        """The entries partners added to a customer's Activity tab."""
        return self._of("ActivityList", "ActivityCustKey", customer)
