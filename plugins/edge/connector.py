"""The Edge connector: customers, wish lists, notes, jobs, items, sales, activity, texts.

Every entity is one EDT file kind (``kinds.py``; one module each); reading exports with a
cursor and writing imports to ``Outbox`` is the same for all. Written from
``docs/edge-exchange.md`` (our reading of the vendor's EDT data description).
"""

from __future__ import annotations

import logging
import os
from typing import Any

import orjson

from framework import (
    ApplyResult,
    Change,
    ChangePage,
    Connector,
    ConnectorError,
    ConnectorInfo,
    EntitySupport,
    MatchQuery,
    MatchResult,
    SystemCheck,
    SystemContext,
    WriteRequest,
)
from plugins.edge.activity import MESSAGES
from plugins.edge.appointments import APPOINTMENTS
from plugins.edge.customers import CUSTOMERS
from plugins.edge.exchange import exports, pending_imports, sort_key, write_import
from plugins.edge.items import ITEMS
from plugins.edge.jobs import JOBS
from plugins.edge.kinds import FileKind
from plugins.edge.mapping import CUSTOM_KEYS
from plugins.edge.notes import NOTES
from plugins.edge.notifications import NOTIFICATIONS
from plugins.edge.parsing import Export, Unsettled, read_export
from plugins.edge.sales import SALES
from plugins.edge.settings import EdgeSettings
from plugins.edge.wishes import WISHES

KINDS: dict[str, FileKind] = {
    k.entity: k
    for k in (
        CUSTOMERS,
        WISHES,
        NOTES,
        JOBS,
        APPOINTMENTS,
        ITEMS,
        SALES,
        MESSAGES,
        NOTIFICATIONS,
    )
}
BATCH = 500
log = logging.getLogger(__name__)


RULES = (
    "G-2",
    "G-3",
    "G-4",
    "G-8",
    "CB-1",
    "CB-3",
    "CB-6",
    "CB-7",
    "CB-8",
    "CB-9",
    "CB-10",
    "CB-12",
    "PD-5",
)


def support(kind: FileKind, **capabilities: Any) -> EntitySupport:
    """What the connector does with one kind's entity: its fields and ``capabilities``."""
    # EDT imports a file on a later cycle: a record created here has no key until then.
    return EntitySupport(fields=list(kind.fields), creates_later=True, **capabilities)


class EdgeConnector(Connector):
    """The Edge, the jewellers' point of sale (the POS side of edge-clientbook)."""

    name = "edge"

    def info(self) -> ConnectorInfo:
        """Entities read from exports and, where EDT imports them, written as imports."""
        return ConnectorInfo(
            name=self.name,
            side="pos",
            summary="The Edge POS over EDT file exchange",
            reads_elsewhere=True,  # exports read from files; the Outbox's imports too
            settings_model=EdgeSettings,
            rules=[*RULES],
            entities={
                "customer": support(
                    CUSTOMERS,
                    match_keys=["email", "phone"],
                    field_keys={"custom": list(CUSTOM_KEYS)},
                    batch_size=BATCH,
                ),
                "wish": support(WISHES, delete=True, batch_size=BATCH),
                "note": support(NOTES, delete=True, batch_size=BATCH),
                "message": support(MESSAGES, read=False, batch_size=BATCH),
                "service_job": support(JOBS, create=False, update=False),
                "appointment": support(APPOINTMENTS, create=False, update=False),
                "product": support(ITEMS, create=False, update=False),
                "purchase": support(SALES, create=False, update=False),
                "sms_notification": support(NOTIFICATIONS, create=False, update=False),
            },
        )

    @staticmethod
    def _settings(system: SystemContext) -> EdgeSettings:
        assert isinstance(system.settings, EdgeSettings)
        return system.settings

    def check(self, system: SystemContext) -> SystemCheck:
        """The exchange folder is there, its exports readable and its Outbox writable."""
        exchange = self._settings(system).exchange
        inbox, outbox = exchange / "Inbox", exchange / "Outbox"
        if not exchange.is_dir():
            return SystemCheck(
                ok=False,
                detail=f"no folder {exchange} (the store's StoreLicenseID under the EDT "
                "folder: is store_license_id right, and has EDT run there?)",
            )
        if not inbox.is_dir() or not os.access(inbox, os.R_OK | os.X_OK):
            return SystemCheck(ok=False, detail=f"cannot read Edge's exports: {inbox}")
        if outbox.exists() and not os.access(outbox, os.W_OK | os.X_OK):
            return SystemCheck(ok=False, detail=f"cannot write imports to {outbox}")
        if not outbox.exists() and not os.access(exchange, os.W_OK | os.X_OK):
            return SystemCheck(ok=False, detail=f"cannot make {outbox} for imports")
        exports = sum(1 for _ in inbox.iterdir())
        return SystemCheck(
            ok=True, detail=f"folder {exchange}: {exports} export file(s), imports writable"
        )

    # -- reading ----------------------------------------------------------------------------

    def fetch_customer(self, system: SystemContext, cursor: str | None, limit: int) -> ChangePage:
        """Customers from CustomerList exports."""
        return self._fetch(system, CUSTOMERS, cursor, limit)

    def fetch_wish(self, system: SystemContext, cursor: str | None, limit: int) -> ChangePage:
        """Wishes from WishList exports (a removed wish is a delete)."""
        return self._fetch(system, WISHES, cursor, limit)

    def fetch_note(self, system: SystemContext, cursor: str | None, limit: int) -> ChangePage:
        """Notes from NoteList exports."""
        return self._fetch(system, NOTES, cursor, limit)

    def fetch_service_job(
        self, system: SystemContext, cursor: str | None, limit: int
    ) -> ChangePage:
        """Service jobs from JobList exports."""
        return self._fetch(system, JOBS, cursor, limit)

    def fetch_appointment(
        self, system: SystemContext, cursor: str | None, limit: int
    ) -> ChangePage:
        """Appointments from AppointmentList exports (*modelled* kind)."""
        return self._fetch(system, APPOINTMENTS, cursor, limit)

    def fetch_product(self, system: SystemContext, cursor: str | None, limit: int) -> ChangePage:
        """Items from ItemList / FullItemList exports."""
        return self._fetch(system, ITEMS, cursor, limit)

    def fetch_purchase(self, system: SystemContext, cursor: str | None, limit: int) -> ChangePage:
        """Sale lines from (split) Transaction exports."""
        return self._fetch(system, SALES, cursor, limit)

    def fetch_sms_notification(
        self, system: SystemContext, cursor: str | None, limit: int
    ) -> ChangePage:
        """Text notifications from NotificationList exports."""
        return self._fetch(system, NOTIFICATIONS, cursor, limit)

    def _fetch(
        self, system: SystemContext, kind: FileKind, cursor: str | None, limit: int
    ) -> ChangePage:
        """Records of one kind from its exports after the cursor (file name, record index)."""
        settings = self._settings(system)
        position: dict[str, Any] = orjson.loads(cursor) if cursor else {"file": "", "index": 0}
        files = [
            f
            for f in exports(settings.exchange / "Inbox", kind.kind)
            if (f.stamp, f.part, f.name) >= sort_key(position["file"])
        ]
        stale_keys, stale_ids = pending_imports(
            settings.exchange / "Outbox",
            kind.kind,
            kind.wrapper,
            kind.key_field,
            kind.transfer,
            system.cache.setdefault(f"imports:{kind.kind}", {}),
        )
        changes: list[Change] = []
        for f in files:
            if f.name == position["file"] and position["index"] < 0:
                continue  # finished with this file on an earlier page
            start = position["index"] if f.name == position["file"] else 0
            try:
                records, export = self._records(system, settings, kind, f.name)
            except Unsettled as exc:  # EDT may still be writing it: stop before it, try next run
                log.info("%s; waiting for it: nothing after it is read until it is whole", exc)
                return ChangePage(changes=changes, cursor=orjson.dumps(position).decode())
            except ValueError as exc:
                changes.append(Change(entity=kind.entity, id=f"file:{f.name}", problem=str(exc)))
                position = {"file": f.name, "index": -1}
                continue
            for index in range(start, len(records)):
                if len(changes) >= limit:
                    return ChangePage(
                        changes=changes, more=True, cursor=orjson.dumps(position).decode()
                    )
                position = {"file": f.name, "index": index + 1}
                record = records[index]
                change = kind.change(record, settings, f"{f.name}#{index}", export.flaw(record))
                if change is None:
                    continue
                if change.id in stale_keys or (change.link_key and change.link_key in stale_ids):
                    continue  # exported before our pending import of it: stale
                changes.append(change)
            position = {"file": f.name, "index": -1}
        return ChangePage(changes=changes, cursor=orjson.dumps(position).decode())

    def _records(
        self, system: SystemContext, settings: EdgeSettings, kind: FileKind, name: str
    ) -> tuple[list[Any], Export]:
        cache = system.cache.setdefault("exports", {})
        held = cache.get(kind.kind)
        if held is None or held[0] != name:  # keep one parsed file per kind: the one in use
            export = read_export(settings.exchange / "Inbox" / name, settings.settle_seconds)
            held = (name, export.body.get(kind.wrapper) or [], export)
            cache[kind.kind] = held
        return held[1], held[2]  # records: objects, unless the export is broken

    # -- writing ----------------------------------------------------------------------------

    def apply_customer(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """One customer, as a one-record CustomerList import."""
        return self._apply_one(system, request)

    def apply_wish(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """One wish, as a one-record WishList import."""
        return self._apply_one(system, request)

    def apply_note(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """One note, as a one-record NoteList import."""
        return self._apply_one(system, request)

    def apply_message(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """One message for the Activity tab, as a one-record ActivityList import."""
        return self._apply_one(system, request)

    def _apply_one(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        result = self.apply_many(system, [request])
        assert result is not None
        outcome = result[0]
        if isinstance(outcome, ConnectorError):
            raise outcome
        return outcome

    def apply_many(
        self, system: SystemContext, requests: list[WriteRequest]
    ) -> list[ApplyResult | ConnectorError] | None:
        """A batch of writes of one entity as one import file in Outbox."""
        settings = self._settings(system)
        kind = KINDS[requests[0].entity]
        records: list[dict[str, Any]] = []
        keys: list[str] = []
        results: list[ApplyResult | ConnectorError] = []
        for request in requests:
            try:
                records.append(kind.import_record(request, settings))
            except ConnectorError as exc:
                results.append(exc)
                continue
            keys.append(request.idempotency_key)
            results.append(
                ApplyResult(
                    id=request.target_id,
                    pending=request.target_id is None,
                    record=kind.stored(request, settings),
                    link_key=kind.web_id(request),
                )
            )
        if records:
            write_import(
                settings.exchange / "Outbox", kind.kind, {kind.wrapper: records, **kind.extra}, keys
            )
        return results

    def match(self, system: SystemContext, query: MatchQuery) -> MatchResult | None:
        """Edge cannot be searched; the engine's index of its exports answers (fallback)."""
        return None
