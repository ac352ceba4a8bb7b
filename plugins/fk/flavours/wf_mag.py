"""WF-MAG / WAPRO Mag (Asseco): its customer tables and the choices made for them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
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
