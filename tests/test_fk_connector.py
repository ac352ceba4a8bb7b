"""The F/K connector's settings, flavours and mapping, and the fake's Polish data."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from pydantic import ValidationError

from fakes.polish import kontrahenci, make_nip, nip_valid, typed_phone
from framework.normalize import phone_e164
from framework.secrets import redact
from plugins.fk import FkSettings
from plugins.fk.flavours import FLAVOURS
from plugins.fk.mapping import nip, shops, to_customer
from tests.fk_idosell_world import IsWorld


def settings(url: str, base: Path | None = None, **extra: object) -> FkSettings:
    context = {"base_dir": base} if base else None
    return FkSettings.model_validate({"connector": "fk", "url": url, **extra}, context=context)


def test_a_relative_sqlite_url_is_taken_from_the_configuration_folder(tmp_path: Path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "fk.db").touch()
    found = settings("sqlite:///data/fk.db", tmp_path).url.get_secret_value()
    assert found == f"sqlite:///{tmp_path}/data/fk.db"
    absolute = tmp_path / "abs.db"
    absolute.touch()
    assert settings(f"sqlite:///{absolute}", tmp_path).url.get_secret_value() == (
        f"sqlite:///{absolute}"
    )


def test_a_database_file_that_is_not_there_is_named_and_not_created(tmp_path: Path):
    with pytest.raises(ValidationError, match="no database file") as info:
        settings("sqlite:///subiekt.db", tmp_path)
    assert str(tmp_path / "subiekt.db") in str(info.value)
    assert not (tmp_path / "subiekt.db").exists()


def test_the_database_password_never_shows(monkeypatch: pytest.MonkeyPatch):
    url = "mssql+pyodbc://bridge:S3cret-pass@sql.example.pl/SUBIEKT?driver=ODBC+Driver+18"
    monkeypatch.setenv("FK_DATABASE_URL", url)
    s = settings("env:FK_DATABASE_URL", schema="dbo")
    assert "S3cret-pass" not in repr(s)
    assert "S3cret-pass" not in redact(f"could not connect to {url}")
    assert s.db_schema == "dbo"


def test_a_bad_url_names_the_problem():
    with pytest.raises(ValidationError, match="not an SQLAlchemy database URL"):
        settings("subiekt.db")


@pytest.mark.parametrize(
    ("flavour", "schema", "tables"),
    [
        ("subiekt_gt", None, {"kh__Kontrahent", "adr__Ewid", "sl_Rabat", "nz__Finanse"}),
        ("wf_mag", "dbo", {"dbo.KONTRAHENT", "dbo.KONTAKT", "dbo.ADRES_DOSTAWY"}),
        ("generic", None, {"kontrahenci", "adresy_dostaw"}),
    ],
)
def test_flavours_use_the_programs_table_names_in_the_configured_schema(flavour, schema, tables):
    assert set(FLAVOURS[flavour](schema).meta.tables) == tables


def test_subiekt_gt_uses_the_documented_column_names():
    subiekt = FLAVOURS["subiekt_gt"](None)
    kh = set(subiekt.meta.tables["kh__Kontrahent"].c.keys())
    adr = set(subiekt.meta.tables["adr__Ewid"].c.keys())
    assert {"kh_Id", "kh_Symbol", "kh_Imie", "kh_Nazwisko", "kh_EMail", "kh_Rodzaj"} <= kh
    assert {"adr_Nazwa", "adr_NIP", "adr_Adres", "adr_Kod", "adr_Miejscowosc", "adr_Telefon"} <= adr


@pytest.mark.rule("IS-5")
def test_the_name_field_is_the_company_unless_it_is_just_the_persons_name():
    row = {"first": "Jan", "last": "Kowalski", "name": " jan  KOWALSKI ", "street": "ul. Długa 1"}
    person = to_customer(row, [], split_names=True, region="PL", default_shops=[1])
    assert (person.first_name, person.last_name, person.company) == ("Jan", "Kowalski", None)
    firm = to_customer({**row, "name": "Kowalski Sp. z o.o."}, [], True, "PL", [1])
    assert firm.company == "Kowalski Sp. z o.o."
    generic = to_customer(row, [], split_names=False, region="PL", default_shops=[1])
    assert (generic.first_name, generic.last_name) == (None, None)
    assert generic.company == "jan KOWALSKI"


def test_nip_and_shops_are_read_without_separators():
    assert nip("525-000-12-27") == "5250001227"
    assert nip("PL 525 000 12 27") == "PL 525 000 12 27", "not a bare NIP: kept as typed"
    assert shops("3, 1;1", [1]) == ["1", "3"]
    assert shops("", [2]) == ["2"]


def test_seeded_data_is_polish_and_valid():
    rnd = random.Random(5)
    assert all(nip_valid(make_nip(rnd)) for _ in range(200))
    assert not nip_valid("1234567890")
    assert all(phone_e164(typed_phone(rnd), "PL").startswith("+48") for _ in range(200))
    people = kontrahenci(200)
    assert all(len(k.postcode) == 6 and k.postcode[2] == "-" for k in people)
    assert any(set(k.name) & set("ąćęłńóśźżŁŚŻ") for k in people), "diacritics"
    assert all(nip_valid(k.nip) for k in people if k.nip)


@pytest.mark.rule("IS-5", "IS-8", "G-8")
def test_wf_mag_writes_names_into_its_contact_person(tmp_path: Path):
    world = IsWorld(tmp_path / "w", "wf_mag", {"flows": {"customer": {"update_pos": True}}})
    try:
        world.fk.add(
            code="WF1",
            first="Anna",
            last="Nowak",
            name="Anna Nowak",
            street="ul. Długa 1",
            postcode="00-001",
            city="Warszawa",
        )
        world.settle()
        world.shop.edit(world.raw("WF1")["clientId"], clientLastName="Nowak-Wiśniewska")
        world.settle()
        row = world.fk.get("WF1")
        assert (row["first"], row["last"]) == ("Anna", "Nowak-Wiśniewska")
        assert row["name"] == "Anna Nowak-Wiśniewska", "the name field follows the person"
        assert row["changed_by"] == 7
    finally:
        world.close()


@pytest.mark.rule("IS-5", "G-8")
def test_a_generic_program_takes_the_company_and_records_the_associate(tmp_path: Path):
    world = IsWorld(tmp_path / "w", "generic", {"flows": {"customer": {"update_pos": True}}})
    try:
        world.fk.add(
            code="G1",
            name="Usługi Remontowe Kowalski",
            street="ul. Długa 1",
            postcode="00-001",
            city="Warszawa",
        )
        world.settle()
        world.shop.edit(world.raw("G1")["clientId"], clientFirm="Kowalski Remonty")
        world.settle()
        row = world.fk.get("G1")
        assert row["name"] == "Kowalski Remonty"
        assert row["changed_by"] == "7"
    finally:
        world.close()


def test_closing_the_engine_releases_the_fk_database_pool(tmp_path: Path):
    world = IsWorld(tmp_path)
    world.fk.add(code="K0001", name="Jan Kowalski")  # so the run reads the database
    world.sync()
    engine, _ = world.engine.systems["fk"].cache["fk"]
    assert engine.pool.checkedin() >= 1, "the run left no pooled connection to release"
    world.close()
    assert engine.pool.checkedin() == 0, "the F/K pool kept its connections after close"
