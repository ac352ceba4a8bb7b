"""A fake F/K program: a SQLite database with one flavour's tables, and the hands of its users.

``FkDatabase`` creates the tables (``schema.py``), seeds them, and lets tests and demos do
what the program's users do (add a customer, change a street, add a delivery address,
change the code) in the program's own tables, with one flavour-neutral vocabulary:
``code, first, last, name, nip, street, postcode, city, email, phone, credit_allowed,
credit_limit, balance, discount_group, shops, deliveries, changed_by, changed_at``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, Table, create_engine, delete, func, insert, select, update

from fakes.fk.schema import BUILDERS, FLAVOURS
from fakes.polish import Kontrahent

RECEIVABLE = 39  # nz__Finanse.nzf_Typ of an open receivable
CUSTOMER_OBJECT = 1  # nz__Finanse.nzf_TypObiektu of a customer
MAIN, DELIVERY = 1, 11  # adr__Ewid.adr_TypAdresu


class FkDatabase:
    """One fake F/K program's database (SQLite file) of one flavour."""

    def __init__(self, path: str | Path, flavour: str = "subiekt_gt"):
        if flavour not in FLAVOURS:
            raise ValueError(f"unknown flavour {flavour!r} (known: {', '.join(FLAVOURS)})")
        self.path = Path(path)
        self.flavour = flavour
        self.url = f"sqlite:///{self.path}"
        self.engine: Engine = create_engine(self.url)
        self.meta = MetaData()
        self.t: dict[str, Table] = BUILDERS[flavour](self.meta)
        self.meta.create_all(self.engine)

    # -- the customer table's key and code column --------------------------------------------

    @property
    def _key(self) -> Any:
        name = {"subiekt_gt": "kh_Id", "wf_mag": "ID_KONTRAHENTA", "generic": "id"}
        return self.t["customer"].c[name[self.flavour]]

    @property
    def _code(self) -> Any:
        name = {"subiekt_gt": "kh_Symbol", "wf_mag": "NAZWA", "generic": "kod"}
        return self.t["customer"].c[name[self.flavour]]

    def id_of(self, code: str) -> int:
        """The key of the customer with this code."""
        with self.engine.connect() as db:
            found = db.execute(select(self._key).where(self._code == code)).scalar()
        if found is None:
            raise KeyError(code)
        return int(found)

    # -- users' actions ------------------------------------------------------------------------

    def add(self, k: Kontrahent | None = None, **fields: Any) -> int:
        """Add a customer (from a seed, or from neutral fields); returns its key."""
        values = _from_seed(k) if k is not None else {}
        values.update(fields)
        with self.engine.begin() as db:
            first = {
                "subiekt_gt": {"kh_Symbol": values["code"], "kh_Rodzaj": 2},
                "wf_mag": {"NAZWA": values["code"]},
                "generic": {"kod": values["code"], "nazwa": ""},
            }[self.flavour]
            new = db.execute(insert(self.t["customer"]).values(**first)).inserted_primary_key
            assert new is not None
            key = int(new[0])
            if self.flavour == "subiekt_gt":
                db.execute(insert(self.t["address"]).values(adr_IdObiektu=key, adr_TypAdresu=MAIN))
            elif self.flavour == "wf_mag":
                db.execute(insert(self.t["contact"]).values(ID_KONTRAHENTA=key))
        deliveries = values.pop("deliveries", [])
        self.update(key, **values)
        for street, postcode, city in deliveries:
            self.add_delivery(key, street, postcode, city)
        return key

    def update(self, who: int | str, **fields: Any) -> None:
        """Change neutral fields of a customer (by key or code), as a user of the program."""
        key = who if isinstance(who, int) else self.id_of(who)
        with self.engine.begin() as db:
            getattr(self, f"_update_{self.flavour}")(db, key, fields)

    def add_delivery(self, who: int | str, street: str, postcode: str, city: str) -> None:
        """Add a delivery address to a customer."""
        key = who if isinstance(who, int) else self.id_of(who)
        with self.engine.begin() as db:
            if self.flavour == "subiekt_gt":
                db.execute(
                    insert(self.t["address"]).values(
                        adr_IdObiektu=key,
                        adr_TypAdresu=DELIVERY,
                        adr_Adres=street,
                        adr_Kod=postcode,
                        adr_Miejscowosc=city,
                    )
                )
            elif self.flavour == "wf_mag":
                db.execute(
                    insert(self.t["delivery"]).values(
                        ID_KONTRAHENTA=key,
                        ULICA_LOKAL=street,
                        KOD_POCZTOWY=postcode,
                        MIEJSCOWOSC=city,
                        SYM_KRAJU="PL",
                    )
                )
            else:
                db.execute(
                    insert(self.t["delivery"]).values(
                        kontrahent_id=key,
                        ulica=street,
                        kod_pocztowy=postcode,
                        miejscowosc=city,
                        kraj="PL",
                    )
                )

    # -- looking -------------------------------------------------------------------------------

    def codes(self) -> list[str]:
        """Every customer's code, by key."""
        with self.engine.connect() as db:
            return [str(c) for c in db.execute(select(self._code).order_by(self._key)).scalars()]

    def count(self) -> int:
        """How many customers there are."""
        with self.engine.connect() as db:
            return int(
                db.execute(select(func.count()).select_from(self.t["customer"])).scalar_one()
            )

    def get(self, who: int | str) -> dict[str, Any]:
        """A customer in neutral fields."""
        key = who if isinstance(who, int) else self.id_of(who)
        with self.engine.connect() as db:
            out: dict[str, Any] = getattr(self, f"_get_{self.flavour}")(db, key)
            out["deliveries"] = self._deliveries(db, key)
        return out

    def _deliveries(self, db: Any, key: int) -> list[tuple[str, str, str]]:
        if self.flavour == "subiekt_gt":
            a = self.t["address"].c
            q = (
                select(a.adr_Adres, a.adr_Kod, a.adr_Miejscowosc)
                .where(a.adr_IdObiektu == key, a.adr_TypAdresu == DELIVERY)
                .order_by(a.adr_Id)
            )
        elif self.flavour == "wf_mag":
            d = self.t["delivery"].c
            q = (
                select(d.ULICA_LOKAL, d.KOD_POCZTOWY, d.MIEJSCOWOSC)
                .where(d.ID_KONTRAHENTA == key)
                .order_by(d.ID_ADRESU)
            )
        else:
            d = self.t["delivery"].c
            q = (
                select(d.ulica, d.kod_pocztowy, d.miejscowosc)
                .where(d.kontrahent_id == key)
                .order_by(d.id)
            )
        return [(str(r[0]), str(r[1]), str(r[2])) for r in db.execute(q)]

    # -- Subiekt GT ----------------------------------------------------------------------------

    def _update_subiekt_gt(self, db: Any, key: int, f: dict[str, Any]) -> None:
        kh, adr = self.t["customer"], self.t["address"]
        cols = {
            "code": "kh_Symbol",
            "first": "kh_Imie",
            "last": "kh_Nazwisko",
            "email": "kh_EMail",
            "credit_allowed": "kh_PlatOdroczone",
            "credit_limit": "kh_MaxWartKred",
            "changed_by": "kh_IdZmienil",
            "changed_at": "kh_DataZmiany",
        }
        values = {cols[k]: _blank(v) for k, v in f.items() if k in cols}
        if "shops" in f:
            values["kh_Pole1"] = ",".join(str(s) for s in f["shops"] or [])
        if "discount_group" in f:
            values["kh_IdRabat"] = self._discount_id(db, f["discount_group"])
        if values:
            db.execute(update(kh).where(kh.c.kh_Id == key).values(**values))
        acols = {
            "name": "adr_Nazwa",
            "nip": "adr_NIP",
            "street": "adr_Adres",
            "postcode": "adr_Kod",
            "city": "adr_Miejscowosc",
            "phone": "adr_Telefon",
        }
        avalues = {acols[k]: _blank(v) for k, v in f.items() if k in acols}
        if avalues:
            db.execute(
                update(adr)
                .where(adr.c.adr_IdObiektu == key, adr.c.adr_TypAdresu == MAIN)
                .values(**avalues)
            )
        if "balance" in f:
            nz = self.t["finance"]
            db.execute(delete(nz).where(nz.c.nzf_IdObiektu == key))
            db.execute(
                insert(nz).values(
                    nzf_IdObiektu=key,
                    nzf_TypObiektu=CUSTOMER_OBJECT,
                    nzf_Typ=RECEIVABLE,
                    nzf_WartoscWaluta=Decimal(f["balance"]),
                )
            )

    def _discount_id(self, db: Any, name: str | None) -> int | None:
        if not name:
            return None
        rt = self.t["discount"]
        found = db.execute(select(rt.c.rt_Id).where(rt.c.rt_Nazwa == name)).scalar()
        if found is None:
            new = db.execute(insert(rt).values(rt_Nazwa=name)).inserted_primary_key
            assert new is not None
            found = new[0]
        return int(found)

    def add_receivable(self, who: int | str, amount: Decimal | str) -> None:
        """Subiekt GT: one more open receivable (an unpaid invoice) of the customer."""
        key = who if isinstance(who, int) else self.id_of(who)
        with self.engine.begin() as db:
            db.execute(
                insert(self.t["finance"]).values(
                    nzf_IdObiektu=key,
                    nzf_TypObiektu=CUSTOMER_OBJECT,
                    nzf_Typ=RECEIVABLE,
                    nzf_WartoscWaluta=Decimal(amount),
                )
            )

    def _get_subiekt_gt(self, db: Any, key: int) -> dict[str, Any]:
        kh, adr, rt, nz = (self.t[n] for n in ("customer", "address", "discount", "finance"))
        row = (
            db.execute(
                select(kh, adr, rt.c.rt_Nazwa)
                .join(adr, (adr.c.adr_IdObiektu == kh.c.kh_Id) & (adr.c.adr_TypAdresu == MAIN))
                .outerjoin(rt, rt.c.rt_Id == kh.c.kh_IdRabat)
                .where(kh.c.kh_Id == key)
            )
            .mappings()
            .one()
        )
        balance = db.execute(
            select(func.coalesce(func.sum(nz.c.nzf_WartoscWaluta), 0)).where(
                nz.c.nzf_IdObiektu == key, nz.c.nzf_Typ == RECEIVABLE
            )
        ).scalar_one()
        return {
            "code": row["kh_Symbol"],
            "first": row["kh_Imie"],
            "last": row["kh_Nazwisko"],
            "name": row["adr_Nazwa"],
            "nip": row["adr_NIP"],
            "street": row["adr_Adres"],
            "postcode": row["adr_Kod"],
            "city": row["adr_Miejscowosc"],
            "email": row["kh_EMail"],
            "phone": row["adr_Telefon"],
            "credit_allowed": row["kh_PlatOdroczone"],
            "credit_limit": row["kh_MaxWartKred"],
            "balance": Decimal(balance),
            "discount_group": row["rt_Nazwa"],
            "shops": row["kh_Pole1"],
            "changed_by": row["kh_IdZmienil"],
            "changed_at": row["kh_DataZmiany"],
        }

    # -- WF-MAG --------------------------------------------------------------------------------

    def _update_wf_mag(self, db: Any, key: int, f: dict[str, Any]) -> None:
        k, kt = self.t["customer"], self.t["contact"]
        cols = {
            "code": "NAZWA",
            "name": "NAZWA_PELNA",
            "nip": "NIP",
            "email": "ADRES_EMAIL",
            "phone": "TELEFON_FIRMOWY",
            "street": "ULICA_LOKAL",
            "postcode": "KOD_POCZTOWY",
            "city": "MIEJSCOWOSC",
            "discount_group": "GRUPA_RABATOWA",
            "credit_limit": "LIMIT_KREDYTU",
            "balance": "SALDO_NALEZNOSCI",
            "changed_by": "ZMIENIL",
            "changed_at": "DATA_ZMIANY",
        }
        values = {cols[n]: v for n, v in f.items() if n in cols}
        if "shops" in f:
            values["SKLEPY"] = ",".join(str(s) for s in f["shops"] or [])
        if f.get("credit_allowed") is False:
            values["LIMIT_KREDYTU"] = 0
        if values or "street" in f:
            values.setdefault("SYM_KRAJU", "PL")
            db.execute(update(k).where(k.c.ID_KONTRAHENTA == key).values(**values))
        names = {c: f[n] for n, c in (("first", "IMIE"), ("last", "NAZWISKO")) if n in f}
        if names:
            first = db.execute(
                select(func.min(kt.c.ID_KONTAKTU)).where(kt.c.ID_KONTRAHENTA == key)
            ).scalar()
            db.execute(update(kt).where(kt.c.ID_KONTAKTU == first).values(**names))

    def _get_wf_mag(self, db: Any, key: int) -> dict[str, Any]:
        k, kt = self.t["customer"], self.t["contact"]
        row = db.execute(select(k).where(k.c.ID_KONTRAHENTA == key)).mappings().one()
        contact = db.execute(
            select(kt.c.IMIE, kt.c.NAZWISKO)
            .where(kt.c.ID_KONTRAHENTA == key)
            .order_by(kt.c.ID_KONTAKTU)
            .limit(1)
        ).first()
        limit = row["LIMIT_KREDYTU"] or Decimal(0)
        return {
            "code": row["NAZWA"],
            "first": contact[0] if contact else None,
            "last": contact[1] if contact else None,
            "name": row["NAZWA_PELNA"],
            "nip": row["NIP"],
            "street": row["ULICA_LOKAL"],
            "postcode": row["KOD_POCZTOWY"],
            "city": row["MIEJSCOWOSC"],
            "email": row["ADRES_EMAIL"],
            "phone": row["TELEFON_FIRMOWY"],
            "credit_allowed": limit > 0,
            "credit_limit": limit,
            "balance": row["SALDO_NALEZNOSCI"],
            "discount_group": row["GRUPA_RABATOWA"],
            "shops": row["SKLEPY"],
            "changed_by": row["ZMIENIL"],
            "changed_at": row["DATA_ZMIANY"],
        }

    # -- a generic program ---------------------------------------------------------------------

    def _update_generic(self, db: Any, key: int, f: dict[str, Any]) -> None:
        k = self.t["customer"]
        cols = {
            "code": "kod",
            "name": "nazwa",
            "nip": "nip",
            "email": "email",
            "phone": "telefon",
            "street": "ulica",
            "postcode": "kod_pocztowy",
            "city": "miejscowosc",
            "discount_group": "grupa_rabatowa",
            "credit_allowed": "kredyt_kupiecki",
            "credit_limit": "limit_kredytu",
            "balance": "saldo",
            "changed_by": "zmienil",
            "changed_at": "data_zmiany",
        }
        values = {cols[n]: v for n, v in f.items() if n in cols}
        if "shops" in f:
            values["sklepy"] = ",".join(str(s) for s in f["shops"] or [])
        if "street" in f:
            values["kraj"] = "PL"
        if values:
            db.execute(update(k).where(k.c.id == key).values(**values))

    def _get_generic(self, db: Any, key: int) -> dict[str, Any]:
        k = self.t["customer"]
        row = db.execute(select(k).where(k.c.id == key)).mappings().one()
        return {
            "code": row["kod"],
            "first": None,
            "last": None,
            "name": row["nazwa"],
            "nip": row["nip"],
            "street": row["ulica"],
            "postcode": row["kod_pocztowy"],
            "city": row["miejscowosc"],
            "email": row["email"],
            "phone": row["telefon"],
            "credit_allowed": row["kredyt_kupiecki"],
            "credit_limit": row["limit_kredytu"],
            "balance": row["saldo"],
            "discount_group": row["grupa_rabatowa"],
            "shops": row["sklepy"],
            "changed_by": row["zmienil"],
            "changed_at": row["data_zmiany"],
        }

    def close(self) -> None:
        """Release the database file."""
        self.engine.dispose()


def _blank(value: Any) -> Any:
    """Subiekt GT's text columns are NOT NULL: an empty value is ``''``."""
    return "" if value is None else value


def _from_seed(k: Kontrahent) -> dict[str, Any]:
    return {
        "code": k.code,
        "first": k.first,
        "last": k.last,
        "name": k.name,
        "nip": k.nip,
        "street": k.street,
        "postcode": k.postcode,
        "city": k.city,
        "email": k.email,
        "phone": k.phone,
        "credit_allowed": k.credit_allowed,
        "credit_limit": k.credit_limit,
        "balance": k.balance,
        "discount_group": k.discount_group,
        "shops": k.shops,
        "deliveries": list(k.deliveries),
        "changed_at": dt.datetime(2025, 1, 2, 9, 0),
    }
