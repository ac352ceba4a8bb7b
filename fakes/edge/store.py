"""The fake Edge: an in-memory POS that exports and imports EDT files in a store folder.

Tests drive it by hand: change customers with ``add_customer``/``edit_customer`` (and wishes,
notes, jobs, items, sales, text notifications with the helpers of ``records.py``), then
``run_cycle()`` plays one scheduled EDT run (import what the previous run downloaded,
download new Outbox files, export what changed). ``syncwright fake serve edge`` runs cycles
on a timer. Faults: ``partial_next_export`` leaves the next export half written,
``malformed_next_export`` writes one that never parses.
"""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from fakes.edge.files import dumps, export_name, write_atomically
from fakes.edge.records import PosRecords
from fakes.edge.tables import IMPORTS, Table, new_tables

CONTACT_ARRAYS = ("Addresses", "Emails", "Phones")
PREFIX = {"Emails": "Email", "Phones": "Phone", "Addresses": "Address"}


class EdgeFake(PosRecords):
    """One store's Edge, exchanging files in ``<root>/<store_license_id>/``."""

    def __init__(
        self, root: Path, store_license_id: str = "1001", store_id: int = 1, split: int = 5000
    ):
        self.folder = Path(root) / store_license_id
        self.inbox = self.folder / "Inbox"
        self.outbox = self.folder / "Outbox"
        self.processed = self.outbox / "Processed"
        for path in (self.inbox, self.outbox, self.processed):
            path.mkdir(parents=True, exist_ok=True)
        self.store_id = store_id
        self.split = split
        self.customers: dict[str, dict[str, Any]] = {}
        self.changed: set[str] = set()
        self.next_id = 1
        self.tables: dict[str, Table] = new_tables()
        self.import_errors: list[dict[str, Any]] = []
        self.cycles = 0
        self.downloaded: list[str] = []
        self.imported: list[str] = []
        self.partial_next_export = False
        self.malformed_next_export = False
        self._unfinished: tuple[Path, dict[str, Any]] | None = None
        self._clock = dt.datetime(2026, 11, 23, 9, 0, 0)

    # -- the POS user's side ----------------------------------------------------------------

    def add_customer(
        self,
        first: str,
        last: str,
        *,
        emails: Sequence[tuple[str, str]] = (),
        phones: Sequence[tuple[str, str]] = (),
        xfer: bool = True,
        **fields: Any,
    ) -> str:
        """Add a customer as a store associate would; returns its CustomerKey.

        ``emails`` and ``phones`` are ``(type, value)`` pairs, the first one preferred.
        Other keyword arguments are PairValue fields (``CustomerKey1="7"``…).
        """
        key = self._new_key()
        value: dict[str, Any] = {
            "CustomerStoreId": self.store_id,
            "Customerid": int(key.split("-")[1]),
            "CustomerKey": key,
            "CustomerAccountKey": key,
            "CustomerFirstName": first,
            "CustomerLastName": last,
            "CustomerInactive": False,
            "CustomerXfer": xfer,
            "Addresses": [],
            "Emails": [],
            "Phones": [],
            "CustomerTransfer": {"WebTransferWebID": "", "WebTransferEdgeID": key},
        }
        for kind, value_ in emails:
            self._add_method(value, "Emails", kind, {"EmailEmail": value_, "EmailSendPromo": True})
        for kind, value_ in phones:
            self._add_method(
                value,
                "Phones",
                kind,
                {"PhonePhone": value_, "PhonePhoneExt": "", "PhoneDoNotContact": False},
            )
        value.update(fields)
        self._pointers(value)
        self.customers[key] = value
        self.changed.add(key)
        return key

    def edit_customer(self, key: str, **fields: Any) -> None:
        """Change PairValue fields of a customer (as a POS user)."""
        self.customers[key].update(fields)
        self._pointers(self.customers[key])
        self.changed.add(key)

    def add_contact(self, key: str, array: str, kind: str, **fields: Any) -> None:
        """Add a contact method (``array`` is Emails, Phones or Addresses)."""
        self._add_method(self.customers[key], array, kind, fields)
        self._pointers(self.customers[key])
        self.changed.add(key)

    def customer(self, key: str) -> dict[str, Any]:
        """A customer's PairValue (a copy)."""
        return copy.deepcopy(self.customers[key])

    def by_web_id(self, web_id: str) -> dict[str, Any] | None:
        """The customer holding a partner id, if any."""
        for value in self.customers.values():
            if value["CustomerTransfer"].get("WebTransferWebID") == web_id:
                return value
        return None

    # -- the EDT run ------------------------------------------------------------------------

    def run_cycle(self, *, full: bool | None = None) -> list[str]:
        """One EDT run: import, download, export. Returns the export files written."""
        self.cycles += 1
        self._clock += dt.timedelta(minutes=15)
        for name in self.downloaded:
            self._import(name)
        importable = ("customerlist.json", *(f"{kind}.json" for kind in IMPORTS))
        self.downloaded = sorted(
            p.name
            for p in self.outbox.iterdir()
            if p.is_file() and not p.name.startswith(".") and p.name.lower().endswith(importable)
        )
        full = self.cycles == 1 if full is None else full
        written = self._export("CustomerList", "Customers", self.customers, self.changed, full)
        for table in self.tables.values():
            if table.exports:
                written += self._export(
                    table.kind, table.wrapper, table.records, table.changed, full
                )
        return written

    def _export(
        self,
        kind: str,
        wrapper: str,
        records: dict[str, dict[str, Any]],
        changed: set[str],
        full: bool,
    ) -> list[str]:
        keys = sorted(records) if full else sorted(changed)
        changed.clear()
        if not keys:
            return []
        parts = [keys[i : i + self.split] for i in range(0, len(keys), self.split)]
        written = []
        for number, part in enumerate(parts, start=1):
            name = export_name(self._clock, kind, full, number if len(parts) > 1 else None)
            body: dict[str, Any] = {wrapper: [{"Key": k, "PairValue": records[k]} for k in part]}
            if kind == "CustomerList":
                body.update(MaxAddresses=5, MaxEmails=5, MaxPhones=5)
            path = self.inbox / name
            if self.partial_next_export or self.malformed_next_export:
                raw = dumps(body)
                cut = raw[: len(raw) // 2] if self.partial_next_export else b"{not json"
                path.write_bytes(cut)
                self._unfinished = (path, body) if self.partial_next_export else None
                self.partial_next_export = self.malformed_next_export = False
            else:
                write_atomically(path, body)
            written.append(name)
        return written

    def finish_partial_export(self) -> None:
        """Complete the export that ``partial_next_export`` left half written."""
        assert self._unfinished is not None, "no export was left half written"
        path, body = self._unfinished
        write_atomically(path, body)
        self._unfinished = None

    def _import(self, name: str) -> None:
        path = self.outbox / name
        if not path.exists():
            return
        body = orjson.loads(path.read_bytes())
        errors: list[dict[str, Any]] = []
        if name.lower().endswith("customerlist.json"):
            for record in body.get("Customers", []):
                self._import_customer(record)
        else:
            kind = next(k for k in IMPORTS if name.lower().endswith(f"{k}.json"))
            table = self.tables[IMPORTS[kind].table]
            for record in body.get(table.wrapper, []):
                if (problem := self._import_record(table, kind, record)) is not None:
                    errors.append({"record": record, "error": problem})
        shutil.move(str(path), self.processed / name)
        if errors:
            write_atomically(self.processed / f"{name}.errors.json", errors)
            self.import_errors += errors
        self.imported.append(name)

    def _import_record(self, table: Table, kind: str, record: dict[str, Any]) -> str | None:
        """Import one wish, note or activity entry; returns why it was skipped, if it was."""
        rule = IMPORTS[kind]
        value = dict(record.get("PairValue") or {})
        key = record.get("Key") or value.get(rule.key_field)
        web_id = (value.get(rule.transfer) or {}).get("WebTransferWebID")
        if not key and web_id:
            key = table.by_web_id(rule.transfer, web_id)
        if key and key not in table.records:
            return f"no {table.kind} record {key}"
        owner = value.get(rule.owner_field) or (table.records[key][rule.owner_field] if key else "")
        if owner not in self.customers:
            return f"no customer {owner!r}"
        if not key:
            key = table.new_key(self.store_id)
            table.records[key] = {
                rule.key_field: key,
                **rule.defaults(owner, self._clock),
                rule.transfer: {"WebTransferWebID": ""},
            }
        value.pop(rule.key_field, None)
        transfer = value.pop(rule.transfer, None) or {}
        target = table.records[key]
        target.update(value)
        if transfer.get("WebTransferWebID"):
            target[rule.transfer] = {"WebTransferWebID": transfer["WebTransferWebID"]}
        table.changed.add(key)
        return None

    def _import_customer(self, record: dict[str, Any]) -> None:
        value = dict(record.get("PairValue") or {})
        key = record.get("Key") or value.get("CustomerKey")
        web_id = (value.get("CustomerTransfer") or {}).get("WebTransferWebID")
        if not key and web_id:
            existing = self.by_web_id(web_id)
            key = existing["CustomerKey"] if existing else None
        if key and key in self.customers:
            target = self.customers[key]
        else:
            key = self._new_key()
            target = {
                "CustomerStoreId": self.store_id,
                "Customerid": int(key.split("-")[1]),
                "CustomerKey": key,
                "CustomerAccountKey": key,
                "CustomerInactive": False,
                "Addresses": [],
                "Emails": [],
                "Phones": [],
                "CustomerTransfer": {"WebTransferWebID": "", "WebTransferEdgeID": key},
            }
            self.customers[key] = target
        for field in ("CustomerKey", "Customerid", "CustomerStoreId", "CustomerAccountKey"):
            value.pop(field, None)
        transfer = value.pop("CustomerTransfer", None)
        if transfer and transfer.get("WebTransferWebID"):
            target["CustomerTransfer"]["WebTransferWebID"] = transfer["WebTransferWebID"]
        for array in CONTACT_ARRAYS:
            if array in value:  # merged by Key: never deletes a method (docs choice 5)
                held = {m["Key"]: m for m in target[array]}
                for item in copy.deepcopy(value.pop(array)):
                    item["PairValue"][f"{PREFIX[array]}CustKey"] = key
                    if item["Key"] in held:
                        held[item["Key"]]["PairValue"].update(item["PairValue"])
                    else:
                        target[array].append(item)
                        held[item["Key"]] = item
        target.update(value)
        self._pointers(target)  # a pointer always names a method the customer has
        self.changed.add(key)

    # -- helpers ----------------------------------------------------------------------------

    def _new_key(self) -> str:
        key = f"{self.store_id:03d}-{self.next_id:05d}"
        self.next_id += 1
        return key

    @staticmethod
    def _add_method(value: dict[str, Any], array: str, kind: str, fields: dict[str, Any]) -> None:
        prefix = PREFIX[array]
        taken = {m["Key"] for m in value[array]}
        key, n = kind, 2
        while key in taken:
            key, n = f"{kind} {n}", n + 1
        item = {f"{prefix}CustKey": value["CustomerKey"], f"{prefix}Type": kind, **fields}
        value[array].append({"Key": key, "PairValue": item})

    @staticmethod
    def _pointers(value: dict[str, Any]) -> None:
        for array, pointer in (
            ("Emails", "CustomerPrefEMail"),
            ("Phones", "CustomerPrefPhone"),
            ("Addresses", "CustomerPrefMail"),
        ):
            keys = [m["Key"] for m in value[array]]
            if value.get(pointer) not in keys:
                value[pointer] = keys[0] if keys else ""
