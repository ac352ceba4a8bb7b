"""What every flavour answers: a page of rows, delivery addresses, writes (see the package)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import (
    Connection,
    MetaData,
    Numeric,
)

Row = dict[str, Any]
Delivery = tuple[str, str, str, str]  # street, postcode, city, country
MONEY = Numeric(19, 4)


class Flavour:
    """How one F/K program keeps its customers (subclasses: one per program)."""

    name: ClassVar[str]
    split_names: ClassVar[bool]
    numeric_associate: ClassVar[bool] = True

    def __init__(self, schema: str | None):
        self.meta = MetaData(schema=schema)
        self.define(self.meta)

    def define(self, meta: MetaData) -> None:
        """Declare the tables (only the columns used)."""
        raise NotImplementedError

    def page(self, db: Connection, after: int, limit: int) -> list[Row]:
        """Up to ``limit`` customers with a key above ``after``, by key."""
        raise NotImplementedError

    def count(self, db: Connection) -> int:
        """How many customers a full read returns."""
        raise NotImplementedError

    def deliveries(self, db: Connection, keys: Sequence[int]) -> dict[int, list[Delivery]]:
        """The delivery addresses of these customers, oldest first."""
        raise NotImplementedError

    def write(self, db: Connection, key: int, row: Row, changed_by: Any, at: dt.datetime) -> None:
        """Store the given row keys of one customer and who changed it when (G-8)."""
        raise NotImplementedError

    def add_delivery(self, db: Connection, key: int, address: Delivery) -> None:
        """Add one delivery address to a customer (IS-9: never replaces one)."""
        raise NotImplementedError
