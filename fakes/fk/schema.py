"""The fake F/K databases' tables, per flavour, as ``docs/fk-database.md`` lists them.

Written from that page, never from the connector: only the tables and columns the bridge
uses, with the real programs' names.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
)

FLAVOURS = ("subiekt_gt", "wf_mag", "generic")
MONEY = Numeric(19, 4)


def subiekt_gt(meta: MetaData) -> dict[str, Table]:
    """Subiekt GT: kh__Kontrahent, adr__Ewid, sl_Rabat, nz__Finanse."""
    return {
        "customer": Table(
            "kh__Kontrahent",
            meta,
            Column("kh_Id", Integer, primary_key=True),
            Column("kh_Symbol", String(20), nullable=False),
            Column("kh_Rodzaj", Integer, nullable=False, default=2),
            Column("kh_Imie", String(20), nullable=False, default=""),
            Column("kh_Nazwisko", String(51), nullable=False, default=""),
            Column("kh_EMail", String(255), nullable=False, default=""),
            Column("kh_PlatOdroczone", Boolean, nullable=False, default=False),
            Column("kh_MaxWartKred", MONEY, nullable=False, default=0),
            Column("kh_IdRabat", Integer),
            Column("kh_Pole1", String(50), nullable=False, default=""),
            Column("kh_IdZmienil", Integer),
            Column("kh_DataZmiany", DateTime),
        ),
        "address": Table(
            "adr__Ewid",
            meta,
            Column("adr_Id", Integer, primary_key=True),
            Column("adr_IdObiektu", Integer, nullable=False),
            Column("adr_TypAdresu", Integer, nullable=False),
            Column("adr_Nazwa", String(50), nullable=False, default=""),
            Column("adr_NIP", String(20), nullable=False, default=""),
            Column("adr_Adres", String(60), nullable=False, default=""),
            Column("adr_Kod", String(8), nullable=False, default=""),
            Column("adr_Miejscowosc", String(40), nullable=False, default=""),
            Column("adr_Telefon", String(35), nullable=False, default=""),
        ),
        "discount": Table(
            "sl_Rabat",
            meta,
            Column("rt_Id", Integer, primary_key=True),
            Column("rt_Nazwa", String(50), nullable=False),
        ),
        "finance": Table(
            "nz__Finanse",
            meta,
            Column("nzf_Id", Integer, primary_key=True),
            Column("nzf_IdObiektu", Integer, nullable=False),
            Column("nzf_TypObiektu", Integer, nullable=False),
            Column("nzf_Typ", Integer, nullable=False),
            Column("nzf_WartoscWaluta", MONEY, nullable=False),
        ),
    }


def wf_mag(meta: MetaData) -> dict[str, Table]:
    """WF-MAG: KONTRAHENT, KONTAKT, ADRES_DOSTAWY."""
    return {
        "customer": Table(
            "KONTRAHENT",
            meta,
            Column("ID_KONTRAHENTA", Integer, primary_key=True),
            Column("NAZWA", String(50), nullable=False),
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
        ),
        "contact": Table(
            "KONTAKT",
            meta,
            Column("ID_KONTAKTU", Integer, primary_key=True),
            Column("ID_KONTRAHENTA", Integer, nullable=False),
            Column("IMIE", String(30)),
            Column("NAZWISKO", String(50)),
        ),
        "delivery": Table(
            "ADRES_DOSTAWY",
            meta,
            Column("ID_ADRESU", Integer, primary_key=True),
            Column("ID_KONTRAHENTA", Integer, nullable=False),
            Column("ULICA_LOKAL", String(60)),
            Column("KOD_POCZTOWY", String(10)),
            Column("MIEJSCOWOSC", String(40)),
            Column("SYM_KRAJU", String(3)),
        ),
    }


def generic(meta: MetaData) -> dict[str, Table]:
    """A custom program with one name field: kontrahenci, adresy_dostaw."""
    return {
        "customer": Table(
            "kontrahenci",
            meta,
            Column("id", Integer, primary_key=True),
            Column("kod", String(30), nullable=False),
            Column("nazwa", String(255), nullable=False),
            Column("nip", String(20)),
            Column("ulica", String(100)),
            Column("kod_pocztowy", String(10)),
            Column("miejscowosc", String(60)),
            Column("kraj", String(2)),
            Column("email", String(255)),
            Column("telefon", String(35)),
            Column("kredyt_kupiecki", Boolean, nullable=False, default=False),
            Column("limit_kredytu", MONEY),
            Column("saldo", MONEY),
            Column("grupa_rabatowa", String(50)),
            Column("sklepy", String(50)),
            Column("zmienil", String(50)),
            Column("data_zmiany", DateTime),
        ),
        "delivery": Table(
            "adresy_dostaw",
            meta,
            Column("id", Integer, primary_key=True),
            Column("kontrahent_id", Integer, nullable=False),
            Column("ulica", String(100)),
            Column("kod_pocztowy", String(10)),
            Column("miejscowosc", String(60)),
            Column("kraj", String(2)),
        ),
    }


BUILDERS = {"subiekt_gt": subiekt_gt, "wf_mag": wf_mag, "generic": generic}
