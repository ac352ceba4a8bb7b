"""The Edge connector: customers over EDT files.

Written from ``../shared/specs/edge-edt.md`` and ``docs/edge-exchange.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from pydantic import Field, ValidationInfo, field_validator

from framework import (
    ApplyResult,
    Change,
    ChangePage,
    Connector,
    ConnectorError,
    ConnectorInfo,
    Customer,
    EntitySupport,
    MatchQuery,
    MatchResult,
    Op,
    SystemContext,
    SystemSettings,
    WriteOp,
    WriteRequest,
)
from framework.errors import describe
from plugins.edge.exchange import (
    Unsettled,
    exports,
    pending_imports,
    read_export,
    sort_key,
    write_import,
)
from plugins.edge.mapping import to_customer, to_pair_value

CUSTOMER_FIELDS = [
    "first_name",
    "middle_name",
    "last_name",
    "company",
    "gender",
    "birth_date",
    "emails",
    "phones",
    "addresses",
    "custom",
    "acquisition",
    "sync_flag",
]


class EdgeSettings(SystemSettings):
    """``[systems.NAME]`` keys of an Edge store."""

    connector: str = "edge"
    folder: Path = Field(description="Local folder (or mounted FTP root) of the EDT exchange")
    store_license_id: str = Field(description="The store's StoreLicenseID (a sub-folder)")
    region: str = Field("US", min_length=2, max_length=2, description="For phone numbers")
    settle_seconds: float = Field(10.0, ge=0, description="Age at which a bad file is broken")

    @field_validator("folder")
    @classmethod
    def _relative_to_config(cls, value: Path, info: ValidationInfo) -> Path:
        base = (info.context or {}).get("base_dir")
        return value if value.is_absolute() or base is None else Path(base) / value

    @property
    def exchange(self) -> Path:
        """``<folder>/<StoreLicenseID>``."""
        return self.folder / self.store_license_id


class EdgeConnector(Connector):
    """The Edge, the jewellers' point of sale (the POS side of edge-clientbook)."""

    name = "edge"

    def info(self) -> ConnectorInfo:
        """Customers, read from exports and written as imports."""
        return ConnectorInfo(
            name=self.name,
            side="pos",
            summary="The Edge POS over EDT file exchange",
            settings_model=EdgeSettings,
            rules=["G-2", "G-3", "G-4", "G-8", "CB-1", "CB-3"],
            entities={
                "customer": EntitySupport(
                    fields=CUSTOMER_FIELDS, match_keys=["email", "phone"], batch_size=500
                )
            },
        )

    @staticmethod
    def _settings(system: SystemContext) -> EdgeSettings:
        assert isinstance(system.settings, EdgeSettings)
        return system.settings

    # -- reading ----------------------------------------------------------------------------

    def fetch_customer(self, system: SystemContext, cursor: str | None, limit: int) -> ChangePage:
        """Customers from CustomerList exports after the cursor (file name, record index)."""
        settings = self._settings(system)
        position: dict[str, Any] = orjson.loads(cursor) if cursor else {"file": "", "index": 0}
        files = [
            f
            for f in exports(settings.exchange / "Inbox", "CustomerList")
            if (f.stamp, f.part, f.name) >= sort_key(position["file"])
        ]
        stale_keys, stale_ids = pending_imports(
            settings.exchange / "Outbox", "CustomerList", system.cache.setdefault("imports", {})
        )
        changes: list[Change] = []
        for f in files:
            if f.name == position["file"] and position["index"] < 0:
                continue  # finished with this file on an earlier page
            start = position["index"] if f.name == position["file"] else 0
            try:
                records = self._records(system, settings, f.name)
            except Unsettled:  # EDT may still be writing it: stop before it, try next run
                return ChangePage(changes=changes, cursor=orjson.dumps(position).decode())
            except ValueError as exc:
                changes.append(Change(entity="customer", id=f"file:{f.name}", problem=str(exc)))
                position = {"file": f.name, "index": -1}
                continue
            for index in range(start, len(records)):
                if len(changes) >= limit:
                    return ChangePage(
                        changes=changes, more=True, cursor=orjson.dumps(position).decode()
                    )
                position = {"file": f.name, "index": index + 1}
                change = self._change(records[index], settings.region, f"{f.name}#{index}")
                if change.id in stale_keys or (change.link_key and change.link_key in stale_ids):
                    continue  # exported before our pending import of it: stale
                changes.append(change)
            position = {"file": f.name, "index": -1}
        return ChangePage(changes=changes, cursor=orjson.dumps(position).decode())

    def _records(
        self, system: SystemContext, settings: EdgeSettings, name: str
    ) -> list[dict[str, Any]]:
        cache = system.cache.setdefault("exports", {})
        if name not in cache:
            body = read_export(settings.exchange / "Inbox" / name, settings.settle_seconds)
            cache.clear()  # keep one parsed file: the one being paged through
            cache[name] = body.get("Customers") or []
        records: list[dict[str, Any]] = cache[name]
        return records

    @staticmethod
    def _change(record: Any, region: str, where: str) -> Change:
        """The change one exported record holds; ``where`` (file#index) names a keyless one."""
        value = record.get("PairValue") if isinstance(record, dict) else None
        if not isinstance(value, dict):
            return Change(
                entity="customer",
                id=f"record:{where}",
                problem=f"record {where} is not a Key/PairValue object: {record!r:.80}",
            )
        key = str(record.get("Key") or value.get("CustomerKey") or "")
        transfer = value.get("CustomerTransfer")
        web_id = transfer.get("WebTransferWebID") if isinstance(transfer, dict) else None
        web_id = str(web_id) if web_id else None
        base: dict[str, Any] = {"entity": "customer", "id": key or f"record:{where}"}
        base["link_key"] = web_id
        if not key:
            return Change(
                **base, problem=f"record {where}: an exported customer has no CustomerKey"
            )
        if value.get("CustomerInactive"):
            return Change(**base, op=Op.DELETE)
        try:
            return Change(**base, record=to_customer(value, region))
        except ValueError as exc:
            return Change(**base, problem=f"Edge customer {key}: {describe(exc)}")
        except (TypeError, KeyError, AttributeError) as exc:  # a shape the mapping missed
            return Change(
                **base, problem=f"Edge customer {key}: malformed ({type(exc).__name__}: {exc})"
            )

    # -- writing ----------------------------------------------------------------------------

    def apply_customer(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """One write, as a one-customer import file."""
        result = self.apply_many(system, [request])
        assert result is not None
        outcome = result[0]
        if isinstance(outcome, ConnectorError):
            raise outcome
        return outcome

    def apply_many(
        self, system: SystemContext, requests: list[WriteRequest]
    ) -> list[ApplyResult | ConnectorError] | None:
        """A batch of writes as one CustomerList import file in Outbox."""
        settings = self._settings(system)
        records, results = [], []
        for request in requests:
            records.append(_import_record(request, settings.region))
            results.append(
                ApplyResult(
                    id=request.target_id,
                    pending=request.target_id is None,
                    record=_as_stored(request, settings.region),
                )
            )
        write_import(
            settings.exchange / "Outbox",
            "CustomerList",
            {"Customers": records, "MaxAddresses": 9, "MaxEmails": 9, "MaxPhones": 9},
            [r.idempotency_key for r in requests],
        )
        return list(results)

    def match(self, system: SystemContext, query: MatchQuery) -> MatchResult | None:
        """Edge cannot be searched; the engine's index of its exports answers (fallback)."""
        return None


def _import_record(request: WriteRequest, region: str) -> dict[str, Any]:
    key = request.target_id or ""
    if request.op is WriteOp.DELETE:
        return {
            "Key": key,
            "PairValue": {
                "CustomerKey": key,
                "CustomerInactive": True,
                "CustomerUpdateUser": request.associate,
            },
        }
    assert isinstance(request.record, Customer)
    fields = None if request.op is WriteOp.CREATE else request.fields
    value = to_pair_value(request.record, fields, key, region)
    if request.op is WriteOp.UPDATE:
        _only_new_methods(value, request.record, request.base)
    value["CustomerKey"] = key
    value["CustomerUpdateUser"] = request.associate
    if not key:
        value["CustomerTransfer"] = {
            "WebTransferWebID": request.link_key or request.idempotency_key
        }
    return {"Key": key, "PairValue": value}


def _only_new_methods(value: dict[str, Any], record: Customer, base: Any) -> None:
    """Keep in an update import only the contact methods Edge does not hold yet.

    Edge merges contact objects by Key and never deletes one (docs/edge-exchange.md, 5);
    the platform side only ever adds methods (CB-3). Sending the ones Edge holds would
    write back, over an associate's edit made meanwhile, what the engine last saw; the
    preferred pointers are Edge's own and are not sent either.
    """
    for array, field, pointer in (
        ("Emails", "emails", "CustomerPrefEMail"),
        ("Phones", "phones", "CustomerPrefPhone"),
        ("Addresses", "addresses", "CustomerPrefMail"),
    ):
        if array not in value:
            continue
        value.pop(pointer, None)
        held = {
            Customer.item_identity(field, m.model_dump())
            for m in (getattr(base, field) if isinstance(base, Customer) else [])
        }
        items = getattr(record, field)  # value[array] holds them in the same order
        value[array] = [
            method
            for method, item in zip(value[array], items, strict=True)
            if Customer.item_identity(field, item.model_dump()) not in held
        ]
        if not value[array]:
            del value[array]


def _as_stored(request: WriteRequest, region: str) -> Customer | None:
    """The customer as Edge will export it once imported: our own mapping, both ways.

    Edge's import is not read back until EDT has run twice, so the shadow is what a round
    trip through the mapping gives (``EmailSendPromo`` false rather than unknown, a
    missing type label as "Other"), not what was asked for: the read-back is then an echo.
    """
    if request.op is WriteOp.DELETE or not isinstance(request.record, Customer):
        return None
    key = request.target_id or ""
    value = to_pair_value(request.record, None, key, region)
    return to_customer(value, region)
