"""Subiekt GT (InsERT): its customer tables and the choices made for them."""

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


class SubiektGT(Flavour):
    """Subiekt GT (InsERT): kh__Kontrahent + adr__Ewid, discounts in sl_Rabat.

    The balance owed is the sum of the customer's open receivables in nz__Finanse (as
    public integration code reads it). CHOSEN: the shops live in user field ``kh_Pole1``;
    further delivery addresses are further ``adr_TypAdresu = 11`` rows.
    """

    name = "subiekt_gt"
    split_names = True
    MAIN, DELIVERY = 1, 11  # adr_TypAdresu
    CUSTOMER_KINDS = (0, 2)  # kh_Rodzaj: supplier and customer, customer
    RECEIVABLE, CUSTOMER_OBJECT = 39, 1  # nz__Finanse.nzf_Typ, nzf_TypObiektu

    def define(self, meta: MetaData) -> None:
        """kh__Kontrahent, adr__Ewid, sl_Rabat, nz__Finanse."""
        self.kh = Table(
            "kh__Kontrahent",
            meta,
            Column("kh_Id", Integer, primary_key=True),
            Column("kh_Symbol", String(20)),
            Column("kh_Rodzaj", Integer),
            Column("kh_Imie", String(20)),
            Column("kh_Nazwisko", String(51)),
            Column("kh_EMail", String(255)),
            Column("kh_PlatOdroczone", Boolean),
            Column("kh_MaxWartKred", MONEY),
            Column("kh_IdRabat", Integer),
            Column("kh_Pole1", String(50)),
            Column("kh_IdZmienil", Integer),
            Column("kh_DataZmiany", DateTime),
        )
        self.adr = Table(
            "adr__Ewid",
            meta,
            Column("adr_Id", Integer, primary_key=True),
            Column("adr_IdObiektu", Integer),
            Column("adr_TypAdresu", Integer),
            Column("adr_Nazwa", String(50)),
            Column("adr_NIP", String(20)),
            Column("adr_Adres", String(60)),
            Column("adr_Kod", String(8)),
            Column("adr_Miejscowosc", String(40)),
            Column("adr_Telefon", String(35)),
        )
        self.rt = Table(
            "sl_Rabat",
            meta,
            Column("rt_Id", Integer, primary_key=True),
            Column("rt_Nazwa", String(50)),
        )
        self.nz = Table(
            "nz__Finanse",
            meta,
            Column("nzf_Id", Integer, primary_key=True),
            Column("nzf_IdObiektu", Integer),
            Column("nzf_TypObiektu", Integer),
            Column("nzf_Typ", Integer),
            Column("nzf_WartoscWaluta", MONEY),
        )

    def page(self, db: Connection, after: int, limit: int) -> list[Row]:
        """Customers joined to their main address, discount group and balance."""
        kh, adr, rt, nz = self.kh.c, self.adr.c, self.rt.c, self.nz.c
        balance = (
            select(func.coalesce(func.sum(nz.nzf_WartoscWaluta), 0))
            .where(
                nz.nzf_IdObiektu == kh.kh_Id,
                nz.nzf_TypObiektu == self.CUSTOMER_OBJECT,
                nz.nzf_Typ == self.RECEIVABLE,
            )
            .scalar_subquery()
        )
        query = (
            select(
                kh.kh_Id.label("key"),
                kh.kh_Symbol.label("code"),
                kh.kh_Imie.label("first"),
                kh.kh_Nazwisko.label("last"),
                adr.adr_Nazwa.label("name"),
                adr.adr_NIP.label("nip"),
                adr.adr_Adres.label("street"),
                adr.adr_Kod.label("postcode"),
                adr.adr_Miejscowosc.label("city"),
                kh.kh_EMail.label("email"),
                adr.adr_Telefon.label("phone"),
                kh.kh_PlatOdroczone.label("credit_allowed"),
                kh.kh_MaxWartKred.label("credit_limit"),
                balance.label("balance"),
                rt.rt_Nazwa.label("discount_group"),
                kh.kh_Pole1.label("shops"),
            )
            .select_from(self.kh)
            .outerjoin(self.adr, (adr.adr_IdObiektu == kh.kh_Id) & (adr.adr_TypAdresu == self.MAIN))
            .outerjoin(self.rt, rt.rt_Id == kh.kh_IdRabat)
            .where(kh.kh_Id > after, kh.kh_Rodzaj.in_(self.CUSTOMER_KINDS))
            .order_by(kh.kh_Id)
            .limit(limit)
        )
        return [{**r, "country": "PL"} for r in db.execute(query).mappings()]

    def count(self, db: Connection) -> int:
        """Customers (not suppliers)."""
        query = select(func.count()).where(self.kh.c.kh_Rodzaj.in_(self.CUSTOMER_KINDS))
        return int(db.execute(query).scalar_one())

    def deliveries(self, db: Connection, keys: Sequence[int]) -> dict[int, list[Delivery]]:
        """``adr_TypAdresu = 11`` rows."""
        a = self.adr.c
        query = (
            select(a.adr_IdObiektu, a.adr_Adres, a.adr_Kod, a.adr_Miejscowosc)
            .where(a.adr_IdObiektu.in_(keys), a.adr_TypAdresu == self.DELIVERY)
            .order_by(a.adr_Id)
        )
        out: dict[int, list[Delivery]] = {}
        for key, street, postcode, city in db.execute(query):
            out.setdefault(int(key), []).append((street or "", postcode or "", city or "", "PL"))
        return out

    def write(self, db: Connection, key: int, row: Row, changed_by: Any, at: dt.datetime) -> None:
        """kh__Kontrahent columns, then the main address row; text columns are NOT NULL."""
        row = {k: "" if v is None else v for k, v in row.items()}
        names = {
            "code": "kh_Symbol",
            "first": "kh_Imie",
            "last": "kh_Nazwisko",
            "email": "kh_EMail",
        }
        values = {names[k]: v for k, v in row.items() if k in names}
        values.update(kh_IdZmienil=changed_by, kh_DataZmiany=at)
        db.execute(update(self.kh).where(self.kh.c.kh_Id == key).values(**values))
        address = {
            "name": "adr_Nazwa",
            "nip": "adr_NIP",
            "street": "adr_Adres",
            "postcode": "adr_Kod",
            "city": "adr_Miejscowosc",
            "phone": "adr_Telefon",
        }
        main = {address[k]: v for k, v in row.items() if k in address}
        if main:
            db.execute(
                update(self.adr)
                .where(self.adr.c.adr_IdObiektu == key, self.adr.c.adr_TypAdresu == self.MAIN)
                .values(**main)
            )

    def add_delivery(self, db: Connection, key: int, address: Delivery) -> None:
        """One more ``adr_TypAdresu = 11`` row."""
        street, postcode, city, _country = address
        db.execute(
            insert(self.adr).values(
                adr_IdObiektu=key,
                adr_TypAdresu=self.DELIVERY,
                adr_Nazwa="",
                adr_NIP="",
                adr_Adres=street,
                adr_Kod=postcode,
                adr_Miejscowosc=city,
                adr_Telefon="",
            )
        )
