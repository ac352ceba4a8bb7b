"""A custom F/K program with one name field (IS-5)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
    update,
)

from plugins.fk.flavours.base import MONEY, Delivery, Flavour, Row


class Generic(Flavour):
    """A custom program with one name field (IS-5): kontrahenci, adresy_dostaw."""

    name = "generic"
    split_names = False
    numeric_associate = False

    def define(self, meta: MetaData) -> None:
        """kontrahenci, adresy_dostaw."""
        self.k = Table(
            "kontrahenci",
            meta,
            Column("id", Integer, primary_key=True),
            Column("kod", String(30)),
            Column("nazwa", String(255)),
            Column("nip", String(20)),
            Column("ulica", String(100)),
            Column("kod_pocztowy", String(10)),
            Column("miejscowosc", String(60)),
            Column("kraj", String(2)),
            Column("email", String(255)),
            Column("telefon", String(35)),
            Column("kredyt_kupiecki", Boolean),
            Column("limit_kredytu", MONEY),
            Column("saldo", MONEY),
            Column("grupa_rabatowa", String(50)),
            Column("sklepy", String(50)),
            Column("zmienil", String(50)),
            Column("data_zmiany", DateTime),
        )
        self.ad = Table(
            "adresy_dostaw",
            meta,
            Column("id", Integer, primary_key=True),
            Column("kontrahent_id", Integer),
            Column("ulica", String(100)),
            Column("kod_pocztowy", String(10)),
            Column("miejscowosc", String(60)),
            Column("kraj", String(2)),
        )

    def page(self, db: Connection, after: int, limit: int) -> list[Row]:
        """One table."""
        k = self.k.c
        query = (
            select(
                k.id.label("key"),
                k.kod.label("code"),
                k.nazwa.label("name"),
                k.nip.label("nip"),
                k.ulica.label("street"),
                k.kod_pocztowy.label("postcode"),
                k.miejscowosc.label("city"),
                k.kraj.label("country"),
                k.email.label("email"),
                k.telefon.label("phone"),
                k.kredyt_kupiecki.label("credit_allowed"),
                k.limit_kredytu.label("credit_limit"),
                k.saldo.label("balance"),
                k.grupa_rabatowa.label("discount_group"),
                k.sklepy.label("shops"),
            )
            .where(k.id > after)
            .order_by(k.id)
            .limit(limit)
        )
        return [{**r, "first": None, "last": None} for r in db.execute(query).mappings()]

    def count(self, db: Connection) -> int:
        """Every row."""
        return int(db.execute(select(func.count()).select_from(self.k)).scalar_one())

    def deliveries(self, db: Connection, keys: Sequence[int]) -> dict[int, list[Delivery]]:
        """adresy_dostaw rows."""
        a = self.ad.c
        query = (
            select(a.kontrahent_id, a.ulica, a.kod_pocztowy, a.miejscowosc, a.kraj)
            .where(a.kontrahent_id.in_(keys))
            .order_by(a.id)
        )
        out: dict[int, list[Delivery]] = {}
        for key, street, postcode, city, country in db.execute(query):
            out.setdefault(int(key), []).append(
                (street or "", postcode or "", city or "", country or "PL")
            )
        return out

    def write(self, db: Connection, key: int, row: Row, changed_by: Any, at: dt.datetime) -> None:
        """One table; first and last name have nowhere to go."""
        names = {
            "code": "kod",
            "name": "nazwa",
            "nip": "nip",
            "email": "email",
            "phone": "telefon",
            "street": "ulica",
            "postcode": "kod_pocztowy",
            "city": "miejscowosc",
            "country": "kraj",
        }
        values = {names[k]: v for k, v in row.items() if k in names}
        values.update(zmienil=changed_by, data_zmiany=at)
        db.execute(update(self.k).where(self.k.c.id == key).values(**values))

    def add_delivery(self, db: Connection, key: int, address: Delivery) -> None:
        """One more adresy_dostaw row."""
        street, postcode, city, country = address
        db.execute(
            insert(self.ad).values(
                kontrahent_id=key,
                ulica=street,
                kod_pocztowy=postcode,
                miejscowosc=city,
                kraj=country,
            )
        )
