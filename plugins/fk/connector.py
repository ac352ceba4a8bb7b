"""The F/K connector: customers in a Polish accounting / ERP program's own SQL database.

Written from ``docs/fk-database.md``. There is no change feed: every run reads every
customer (keyset pages by the table's key; the cursor marks a read under way and is empty
after a full read), and the engine skips customers equal to their shadow by content hash.
A deletion is never inferred from absence. Writes (IdoSell -> F/K, when that switch is on,
IS-1) update the customer, add delivery addresses (IS-9) and record who made the change
(G-8) in the flavour's "changed by" column.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import Field, SecretStr, ValidationInfo, field_validator
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from framework import (
    ApplyResult,
    Change,
    ChangePage,
    Connector,
    ConnectorInfo,
    Customer,
    EntitySupport,
    FatalError,
    RecordRejected,
    RetryableError,
    SystemContext,
    SystemSettings,
    WriteOp,
    WriteRequest,
)
from framework.errors import describe
from framework.secrets import from_environment, register_secret
from plugins.fk.flavours import FLAVOURS, Flavour
from plugins.fk.mapping import delivery_of, to_customer, to_row

CUSTOMER_FIELDS = [
    "first_name",
    "last_name",
    "company",
    "tax_id",
    "emails",
    "phones",
    "addresses",
    "delivery_addresses",
    "discount_group",
    "shops",
    "trade_credit",
    "blocked",
]


class FkSettings(SystemSettings):
    """``[systems.NAME]`` keys of an F/K program."""

    connector: str = "fk"
    url: SecretStr = Field(
        description="SQLAlchemy URL of the program's database (relative SQLite paths are "
        'taken from the configuration\'s folder); "env:NAME" reads it from the environment'
    )
    flavour: Literal["subiekt_gt", "wf_mag", "generic"] = "subiekt_gt"
    db_schema: str | None = Field(
        None, alias="schema", description="Table schema: dbo on SQL Server, none for SQLite"
    )
    region: str = Field("PL", min_length=2, max_length=2, description="For phone numbers")
    default_shops: list[int] = Field(
        default_factory=lambda: [1], min_length=1, description="IS-11 when a customer names none"
    )

    @field_validator("url", mode="before")
    @classmethod
    def _resolved(cls, value: Any, info: ValidationInfo) -> Any:
        text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        text = from_environment(text)
        try:
            url = make_url(text)
        except ArgumentError:
            raise ValueError("not an SQLAlchemy database URL") from None
        base = (info.context or {}).get("base_dir")
        database = url.database
        if (
            url.drivername.startswith("sqlite")
            and database
            and database != ":memory:"
            and not Path(database).is_absolute()
            and base is not None
        ):
            url = url.set(database=str(Path(base) / database))
        if (
            url.drivername.startswith("sqlite")
            and url.database
            and url.database != ":memory:"
            and not Path(url.database).is_file()
        ):  # SQLite would make an empty one: a typo would sync with nobody
            raise ValueError(f"no database file {url.database!r} (it is not created)")
        register_secret(url.password if isinstance(url.password, str) else None)
        return url.render_as_string(hide_password=False)


class FkConnector(Connector):
    """An F/K program (Subiekt GT, WF-MAG or a generic one): the POS side of fk-idosell."""

    name = "fk"

    def info(self) -> ConnectorInfo:
        """Customers, read in full each run; updated, never created or deleted."""
        return ConnectorInfo(
            name=self.name,
            side="pos",
            summary="F/K programs (Subiekt GT, WF-MAG, generic) over their SQL database",
            settings_model=FkSettings,
            rules=["G-2", "G-4", "G-5", "G-8", "IS-2", "IS-3", "IS-5", "IS-8", "IS-9", "IS-12"],
            entities={
                "customer": EntitySupport(
                    fields=CUSTOMER_FIELDS,
                    create=False,
                    single_valued=["emails", "phones", "addresses"],
                )
            },
        )

    # -- plumbing ---------------------------------------------------------------------------

    @staticmethod
    def _settings(system: SystemContext) -> FkSettings:
        assert isinstance(system.settings, FkSettings)
        return system.settings

    def _db(self, system: SystemContext) -> tuple[Engine, Flavour]:
        cached = system.cache.get("fk")
        if cached is None:
            settings = self._settings(system)
            engine = create_engine(settings.url.get_secret_value(), pool_pre_ping=True)
            system.on_close(engine.dispose)  # the pool's connections, when the engine closes
            cached = (engine, FLAVOURS[settings.flavour](settings.db_schema))
            system.cache["fk"] = cached
        engine, flavour = cached
        return engine, flavour

    @staticmethod
    def _failed(system: SystemContext, exc: SQLAlchemyError, doing: str) -> Exception:
        reason = describe(exc).split(" [SQL:")[0]
        if isinstance(exc, OperationalError):  # the server went away, a lock timed out
            return RetryableError(f"{system.name}: {doing}: {reason}", system=system.name)
        return FatalError(f"{system.name}: {doing}: {reason}", system=system.name)

    # -- reading ----------------------------------------------------------------------------

    def fetch_customer(self, system: SystemContext, cursor: str | None, limit: int) -> ChangePage:
        """One page of a full read, by key; the cursor is where a read under way stands."""
        engine, flavour = self._db(system)
        after = int(orjson.loads(cursor)["after"]) if cursor else 0
        try:
            with engine.connect() as db:
                rows = flavour.page(db, after, limit)
                total = flavour.count(db) if after == 0 else None
                deliveries = flavour.deliveries(db, [r["key"] for r in rows]) if rows else {}
        except SQLAlchemyError as exc:
            raise self._failed(system, exc, "reading customers") from None
        settings = self._settings(system)
        changes = [
            self._change(r, deliveries.get(int(r["key"]), []), flavour, settings) for r in rows
        ]
        more = len(rows) >= limit
        return ChangePage(
            changes=changes,
            cursor=orjson.dumps({"after": rows[-1]["key"]}).decode() if more else None,
            more=more,
            total=total,
        )

    @staticmethod
    def _change(row: dict[str, Any], deliveries: Any, flavour: Flavour, s: FkSettings) -> Change:
        code = (row.get("code") or "").strip() or None
        base: dict[str, Any] = {"entity": "customer", "id": str(row["key"]), "link_key": code}
        if code is None:
            return Change(
                **base,
                problem=f"F/K customer with key {row['key']} has no code; the link to IdoSell "
                "is that code (IS-3)",
            )
        try:
            record = to_customer(row, deliveries, flavour.split_names, s.region, s.default_shops)
        except ValueError as exc:
            return Change(**base, problem=f"F/K customer {code}: {describe(exc)}")
        return Change(**base, record=record)

    # -- writing ----------------------------------------------------------------------------

    def apply_customer(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """Update one customer, add its new delivery addresses, record who did it (G-8)."""
        if request.op is not WriteOp.UPDATE or request.target_id is None:
            raise RecordRejected(
                f"{system.name}: the F/K connector only updates customers; it does not "
                f"{request.op.value} them (IS-1 has no such switch)",
                system=system.name,
                rule="IS-1",
            )
        assert isinstance(request.record, Customer)
        engine, flavour = self._db(system)
        key = int(request.target_id)
        fields = {f.partition(".")[0] for f in request.fields}
        changed_by = self._associate(system, flavour, request.associate)
        try:
            with engine.begin() as db:
                existing = flavour.page(db, key - 1, 1)
                if not existing or existing[0]["key"] != key:
                    raise RecordRejected(
                        f"{system.name}: no F/K customer with key {key}", system=system.name
                    )
                now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
                row = to_row(request.record, fields, flavour.split_names)
                # A row the program already holds (IdoSell's first and last name, which a
                # one-name program keeps only as its name) is not written: no "changed by".
                if any(existing[0].get(k) != v for k, v in row.items()):
                    flavour.write(db, key, row, changed_by, now)
                if "delivery_addresses" in fields:
                    self._add_deliveries(db, flavour, key, request.record)
            with engine.connect() as db:
                row = flavour.page(db, key - 1, 1)[0]
                deliveries = flavour.deliveries(db, [key]).get(key, [])
        except SQLAlchemyError as exc:
            raise self._failed(system, exc, f"updating customer {key}") from None
        settings = self._settings(system)
        stored = self._change(row, deliveries, flavour, settings)
        return ApplyResult(id=str(key), record=stored.record)

    @staticmethod
    def _add_deliveries(db: Any, flavour: Flavour, key: int, customer: Customer) -> None:
        """IS-9: insert the delivery addresses the program lacks; never update or delete."""
        have = {
            Customer.item_identity(
                "delivery_addresses", {"street1": s, "postal_code": p, "city": c}
            )
            for s, p, c, _country in flavour.deliveries(db, [key]).get(key, [])
        }
        for address in customer.delivery_addresses:
            identity = Customer.item_identity("delivery_addresses", address.model_dump())
            if identity not in have:
                flavour.add_delivery(db, key, delivery_of(address))
                have.add(identity)

    @staticmethod
    def _associate(system: SystemContext, flavour: Flavour, associate: str | None) -> Any:
        """G-8: the associate as the flavour's "changed by" column holds it."""
        if associate is None or not flavour.numeric_associate:
            return associate
        try:
            return int(associate)
        except ValueError:
            raise RecordRejected(
                f"{system.name}: associate {associate!r} is not a {flavour.name} user id "
                "(a number); set the pair's default_associate to the bridge user's id",
                system=system.name,
                rule="G-8",
            ) from None
