"""Where each F/K program keeps a customer: the one place for every flavour's table choices.

Written from ``docs/fk-database.md`` (and ``../shared/specs/fk-schemas.md``). A flavour
reads a page of customers into *rows* (a dict with the same keys for every flavour) and
writes rows back. The choices the vendors do not document publicly are marked CHOSEN; to
correct one, change it here.

Row keys: ``key`` (the table's primary key), ``code``, ``first``, ``last``, ``name``,
``nip``, ``street``, ``postcode``, ``city``, ``country``, ``email``, ``phone``,
``credit_allowed``, ``credit_limit``, ``balance``, ``discount_group``, ``shops``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    func,
    insert,
    select,
    update,
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


class WFMag(Flavour):
    """WF-MAG / WAPRO Mag (Asseco): dbo.KONTRAHENT, names from dbo.KONTAKT.

    CHOSEN (not public): ``NAZWA`` (the unique short name) is the code; the customer's own
    first and last name are its first ``KONTAKT`` row (lowest ``ID_KONTAKTU``); trade
    credit is ``LIMIT_KREDYTU`` (allowed when positive) and ``SALDO_NALEZNOSCI``; the
    discount group ``GRUPA_RABATOWA``; shops ``SKLEPY``; delivery addresses the table
    ``ADRES_DOSTAWY``; who changed it ``ZMIENIL`` / ``DATA_ZMIANY``.
    """

    name = "wf_mag"
    split_names = True

    def define(self, meta: MetaData) -> None:
        """KONTRAHENT, KONTAKT, ADRES_DOSTAWY."""
        self.k = Table(
            "KONTRAHENT",
            meta,
            Column("ID_KONTRAHENTA", Integer, primary_key=True),
            Column("NAZWA", String(50)),
            Column("NAZWA_PELNA", String(255)),
            Column("NIP", String(20)),
            Column("ADRES_EMAIL", String(255)),
            Column("TELEFON_FIRMOWY", String(35)),
            Column("SYM_KRAJU", String(3)),
            Column("MIEJSCOWOSC", String(40)),
            Column("KOD_POCZTOWY", String(10)),
            Column("ULICA_LOKAL", String(60)),
            Column("GRUPA_RABATOWA", String(50)),
            Column("SKLEPY", String(50)),
            Column("LIMIT_KREDYTU", MONEY),
            Column("SALDO_NALEZNOSCI", MONEY),
            Column("ZMIENIL", Integer),
            Column("DATA_ZMIANY", DateTime),
        )
        self.kt = Table(
            "KONTAKT",
            meta,
            Column("ID_KONTAKTU", Integer, primary_key=True),
            Column("ID_KONTRAHENTA", Integer),
            Column("IMIE", String(30)),
            Column("NAZWISKO", String(50)),
        )
        self.ad = Table(
            "ADRES_DOSTAWY",
            meta,
            Column("ID_ADRESU", Integer, primary_key=True),
            Column("ID_KONTRAHENTA", Integer),
            Column("ULICA_LOKAL", String(60)),
            Column("KOD_POCZTOWY", String(10)),
            Column("MIEJSCOWOSC", String(40)),
            Column("SYM_KRAJU", String(3)),
        )

    def _first_contact(self) -> Any:
        kt = self.kt.c
        return (
            select(kt.ID_KONTRAHENTA, func.min(kt.ID_KONTAKTU).label("first_id"))
            .group_by(kt.ID_KONTRAHENTA)
            .subquery()
        )

    def page(self, db: Connection, after: int, limit: int) -> list[Row]:
        """Customers with their first contact's names."""
        k, kt = self.k.c, self.kt.c
        first = self._first_contact()
        query = (
            select(
                k.ID_KONTRAHENTA.label("key"),
                k.NAZWA.label("code"),
                kt.IMIE.label("first"),
                kt.NAZWISKO.label("last"),
                k.NAZWA_PELNA.label("name"),
                k.NIP.label("nip"),
                k.ULICA_LOKAL.label("street"),
                k.KOD_POCZTOWY.label("postcode"),
                k.MIEJSCOWOSC.label("city"),
                k.SYM_KRAJU.label("country"),
                k.ADRES_EMAIL.label("email"),
                k.TELEFON_FIRMOWY.label("phone"),
                k.LIMIT_KREDYTU.label("credit_limit"),
                k.SALDO_NALEZNOSCI.label("balance"),
                k.GRUPA_RABATOWA.label("discount_group"),
                k.SKLEPY.label("shops"),
            )
            .select_from(self.k)
            .outerjoin(first, first.c.ID_KONTRAHENTA == k.ID_KONTRAHENTA)
            .outerjoin(self.kt, first.c.first_id == kt.ID_KONTAKTU)
            .where(after < k.ID_KONTRAHENTA)
            .order_by(k.ID_KONTRAHENTA)
            .limit(limit)
        )
        rows = []
        for r in db.execute(query).mappings():
            rows.append({**r, "credit_allowed": (r["credit_limit"] or 0) > 0})
        return rows

    def count(self, db: Connection) -> int:
        """Every KONTRAHENT row."""
        return int(db.execute(select(func.count()).select_from(self.k)).scalar_one())

    def deliveries(self, db: Connection, keys: Sequence[int]) -> dict[int, list[Delivery]]:
        """ADRES_DOSTAWY rows."""
        a = self.ad.c
        query = (
            select(a.ID_KONTRAHENTA, a.ULICA_LOKAL, a.KOD_POCZTOWY, a.MIEJSCOWOSC, a.SYM_KRAJU)
            .where(a.ID_KONTRAHENTA.in_(keys))
            .order_by(a.ID_ADRESU)
        )
        out: dict[int, list[Delivery]] = {}
        for key, street, postcode, city, country in db.execute(query):
            out.setdefault(int(key), []).append(
                (street or "", postcode or "", city or "", country or "PL")
            )
        return out

    def write(self, db: Connection, key: int, row: Row, changed_by: Any, at: dt.datetime) -> None:
        """KONTRAHENT columns; first and last name into the first KONTAKT row."""
        names = {
            "code": "NAZWA",
            "name": "NAZWA_PELNA",
            "nip": "NIP",
            "email": "ADRES_EMAIL",
            "phone": "TELEFON_FIRMOWY",
            "street": "ULICA_LOKAL",
            "postcode": "KOD_POCZTOWY",
            "city": "MIEJSCOWOSC",
            "country": "SYM_KRAJU",
        }
        values = {names[k]: v for k, v in row.items() if k in names}
        values.update(ZMIENIL=changed_by, DATA_ZMIANY=at)
        db.execute(update(self.k).where(self.k.c.ID_KONTRAHENTA == key).values(**values))
        person = {c: row[n] for n, c in (("first", "IMIE"), ("last", "NAZWISKO")) if n in row}
        if not person:
            return
        kt = self.kt.c
        first = db.execute(
            select(func.min(kt.ID_KONTAKTU)).where(kt.ID_KONTRAHENTA == key)
        ).scalar()
        if first is None:
            db.execute(insert(self.kt).values(ID_KONTRAHENTA=key, **person))
        else:
            db.execute(update(self.kt).where(kt.ID_KONTAKTU == first).values(**person))

    def add_delivery(self, db: Connection, key: int, address: Delivery) -> None:
        """One more ADRES_DOSTAWY row."""
        street, postcode, city, country = address
        db.execute(
            insert(self.ad).values(
                ID_KONTRAHENTA=key,
                ULICA_LOKAL=street,
                KOD_POCZTOWY=postcode,
                MIEJSCOWOSC=city,
                SYM_KRAJU=country,
            )
        )


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


FLAVOURS: dict[str, type[Flavour]] = {f.name: f for f in (SubiektGT, WFMag, Generic)}
