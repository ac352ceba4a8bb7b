"""F/K program <-> IdoSell shop: the IS rules, against both fakes through the real engine.

Each test names the rule it proves. F/K edits are made in the program's tables as its users
would (``world.fk.update``); IdoSell edits as a panel user or the customer would
(``world.shop.edit``). The default flavour is Subiekt GT.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from framework.engine.problems import requeue
from framework.errors import ConfigError
from tests.fk_idosell_world import BRIDGE_USER, IsWorld

BOTH_WAYS = {"flows": {"customer": {"update_pos": True}}}

MakeWorld = Callable[..., IsWorld]


@pytest.fixture
def make_world(tmp_path: Path) -> Iterator[MakeWorld]:
    made: list[IsWorld] = []

    def make(flavour: str = "subiekt_gt", overrides: dict | None = None, **idosell: Any) -> IsWorld:
        w = IsWorld(tmp_path / f"w{len(made)}", flavour, overrides, **idosell)
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()


@pytest.fixture
def world(make_world: MakeWorld) -> IsWorld:
    return make_world()


def kowalski(world: IsWorld, code: str = "K0001", **fields: Any) -> int:
    values: dict[str, Any] = {
        "code": code,
        "first": "Jan",
        "last": "Kowalski",
        "name": "Jan Kowalski",
        "street": "ul. Stara 5",
        "postcode": "30-001",
        "city": "Kraków",
        "email": "jan.kowalski@example.pl",
        "phone": "601 234 567",
        "shops": [1],
    }
    values.update(fields)
    return world.fk.add(**values)


def rules_of(world: IsWorld) -> set[str]:
    return {p.rule for p in world.problems()}


# -- IS-1: three independent switches --------------------------------------------------------


@pytest.mark.rule("IS-1")
def test_adding_customers_to_idosell_can_be_switched_off(make_world: MakeWorld):
    world = make_world(overrides={"flows": {"customer": {"create_on_platform": False}}})
    kowalski(world)
    report = world.settle()
    assert world.shop.clients == {}, "no account was created"
    assert report.counts["customer.not_created_on_platform"] == 1
    assert world.calls(report) == 1, "one read, no writes"


@pytest.mark.rule("IS-1")
def test_updating_idosell_from_fk_can_be_switched_off(make_world: MakeWorld):
    on, off = (
        make_world(),
        make_world(overrides={"flows": {"customer": {"update_platform": False}}}),
    )
    for world in (on, off):
        kowalski(world)
        world.settle()
        world.fk.update("K0001", street="ul. Nowa 1")
        world.settle()
    assert on.client("K0001")["clientBillingAddress"]["clientStreet"] == "ul. Nowa 1"
    assert off.client("K0001")["clientBillingAddress"]["clientStreet"] == "ul. Stara 5"
    assert off.shop.by_code("K0001")["clientLogin"], "the account was still created (switch 1)"


@pytest.mark.rule("IS-1")
def test_updating_fk_from_idosell_is_off_by_default_and_can_be_switched_on(make_world: MakeWorld):
    off, on = make_world(), make_world(overrides=BOTH_WAYS)
    for world in (off, on):
        kowalski(world)
        world.settle()
        world.shop.edit(world.raw("K0001")["clientId"], clientCity="Wieliczka")
        world.settle()
    assert off.fk.get("K0001")["city"] == "Kraków", "one way is the default"
    assert on.fk.get("K0001")["city"] == "Wieliczka"


@pytest.mark.rule("IS-1")
def test_the_switches_are_configuration(make_world: MakeWorld):
    with pytest.raises(ConfigError, match="create_on_platform"):
        make_world(overrides={"flows": {"customer": {"create_on_platform": "maybe"}}})


# -- IS-2: F/K wins the whole record ---------------------------------------------------------


@pytest.mark.rule("IS-2")
def test_jan_kowalski_fk_street_and_idosell_email_both_end_as_fk_record(make_world: MakeWorld):
    world = make_world(overrides=BOTH_WAYS)
    kowalski(world)
    world.settle()
    before = world.fk.get("K0001")
    world.fk.update("K0001", street="ul. Nowa 1")  # F/K: the street
    world.shop.edit(world.raw("K0001")["clientId"], clientEmail="jan@sklep.example.pl")  # IdoSell
    world.settle()
    client = world.client("K0001")
    assert client["clientBillingAddress"]["clientStreet"] == "ul. Nowa 1", "F/K street"
    assert client["clientEmail"] == "jan.kowalski@example.pl", "the F/K e-mail overwrote IdoSell's"
    after = world.fk.get("K0001")
    assert after["email"] == "jan.kowalski@example.pl", "F/K untouched"
    assert after["changed_at"] == before["changed_at"], "nothing was written into F/K"


@pytest.mark.rule("IS-2")
def test_when_only_idosell_changed_its_change_goes_to_fk(make_world: MakeWorld):
    world = make_world(overrides=BOTH_WAYS)
    kowalski(world)
    world.settle()
    world.shop.edit(world.raw("K0001")["clientId"], clientEmail="jan@sklep.example.pl")
    world.settle()
    assert world.fk.get("K0001")["email"] == "jan@sklep.example.pl"
    assert world.client("K0001")["clientEmail"] == "jan@sklep.example.pl"


@pytest.mark.rule("IS-2")
def test_when_only_fk_changed_idosell_takes_it(world: IsWorld):
    kowalski(world)
    world.settle()
    world.fk.update("K0001", email="jan.nowy@example.pl")
    world.settle()
    assert world.client("K0001")["clientEmail"] == "jan.nowy@example.pl"


# -- IS-3: the external system code is the link ----------------------------------------------


@pytest.mark.rule("IS-3")
def test_an_account_created_by_the_bridge_carries_the_fk_code(world: IsWorld):
    kowalski(world, code="KOW/2024/001")
    world.settle()
    [client] = world.shop.clients.values()
    assert client["clientCodeExternal"] == "KOW/2024/001", "Subiekt GT's Symbol"


@pytest.mark.rule("IS-3")
def test_pre_existing_customers_are_linked_by_the_filled_code_not_duplicated(world: IsWorld):
    kowalski(world)
    existing = world.shop.create(
        {
            "login": "jan.k",
            "firstname": "Jan",
            "lastname": "Kowalski",
            "shops": [1],
            "email": "jan.kowalski@example.pl",
        }
    )
    world.shop.set_code(existing["clientId"], None, "K0001")  # the store fills the code
    report = world.settle()
    assert len(world.shop.clients) == 1, "linked, not duplicated"
    assert report.counts.get("customer.create.platform", 0) == 0
    link = world.engine.store.link_by_id("store", "customer", "platform", str(existing["clientId"]))
    assert link is not None
    assert link.link_key == "K0001"
    world.fk.update("K0001", city="Wieliczka")
    world.settle()
    assert world.shop.clients[existing["clientId"]]["clientCity"] == "Wieliczka", "by the code"


@pytest.mark.rule("IS-3")
def test_without_a_code_a_same_email_account_is_not_linked(world: IsWorld):
    kowalski(world)
    world.shop.create(
        {
            "login": "jan.k",
            "firstname": "Jan",
            "lastname": "Kowalski",
            "shops": [1],
            "email": "jan.kowalski@example.pl",
        }
    )
    world.settle()
    codes = sorted(str(c["clientCodeExternal"]) for c in world.shop.clients.values())
    assert codes == ["K0001", "None"], "only the code links (IS-3), never the e-mail"


@pytest.mark.rule("IS-3", "G-5")
def test_an_fk_customer_without_a_code_is_reported(world: IsWorld):
    kowalski(world, code="")
    world.settle()
    assert world.shop.clients == {}
    [problem] = world.problems()
    assert problem.rule == "G-5"
    assert "no code" in problem.reason
    assert "IS-3" in problem.reason


# -- IS-4: a broken link ---------------------------------------------------------------------


@pytest.mark.rule("IS-4")
def test_a_code_changed_in_fk_only_breaks_the_link_and_is_reported(world: IsWorld):
    kowalski(world)
    world.settle()
    world.fk.update("K0001", code="K0001-X")
    world.settle()
    [problem] = world.problems()
    assert problem.rule == "IS-4"
    assert "K0001-X" in problem.reason
    assert "K0001" in problem.reason
    world.fk.update("K0001-X", street="ul. Nowa 1")
    report = world.settle()
    assert len(world.shop.clients) == 1, "never 'fixed' by a duplicate"
    assert world.client("K0001")["clientBillingAddress"]["clientStreet"] == "ul. Stara 5"
    assert sum(r.counts["customer.held_broken_link"] for r in world.reports) == 1
    assert report.counts["customer.quarantined"] == 0, "a re-read of it holds nothing more"


@pytest.mark.rule("IS-4", "G-5")
def test_a_broken_link_stays_reported_while_broken_counting_what_it_holds_back(world: IsWorld):
    kowalski(world)
    world.settle()
    world.fk.update("K0001", code="K0001-X")  # the code only, on one side
    world.settle()
    [problem] = world.problems()
    said = requeue(world.engine.store, problem)  # `syncwright problems retry`
    assert "cannot succeed" in said
    assert "'K0001-X'" in said
    assert "'K0001'" in said, "names both codes"
    world.settle()
    assert [p.id for p in world.problems()] == [problem.id], "a retry does not close it"
    for street in ("ul. Nowa 1", "ul. Nowa 2"):
        world.fk.update("K0001-X", street=street)
        world.settle()
        [still] = world.problems()
        assert still.rule == "IS-4", "open while the link is broken"
    assert sum(r.counts["customer.held_broken_link"] for r in world.reports) == 2
    assert still.payload is not None
    assert still.payload["held_back"] == 2, "each change held back is counted on it"
    assert world.client("K0001")["clientBillingAddress"]["clientStreet"] == "ul. Stara 5"
    world.shop.set_code(world.raw("K0001")["clientId"], None, "K0001-X")  # the codes agree
    world.settle()
    assert world.problems() == [], "mended by itself"
    assert world.client("K0001-X")["clientBillingAddress"]["clientStreet"] == "ul. Nowa 2"


@pytest.mark.rule("IS-4")
def test_a_code_changed_in_idosell_only_breaks_the_link(make_world: MakeWorld):
    world = make_world(overrides=BOTH_WAYS)
    kowalski(world)
    world.settle()
    client_id = world.raw("K0001")["clientId"]
    world.shop.set_code(client_id, None, "OTHER")
    world.shop.edit(client_id, clientCity="Wieliczka")
    world.settle()
    assert rules_of(world) == {"IS-4"}
    assert world.fk.get("K0001")["city"] == "Kraków", "the broken link moves nothing"
    assert len(world.shop.clients) == 1


@pytest.mark.rule("IS-4")
def test_a_broken_link_is_a_link_again_once_the_codes_agree(world: IsWorld):
    kowalski(world)
    world.settle()
    world.fk.update("K0001", code="K0001-X")
    world.settle()
    world.shop.set_code(world.raw("K0001")["clientId"], None, "K0001-X")  # the store fixes it
    world.fk.update("K0001-X", street="ul. Nowa 1")
    world.settle()
    assert world.problems() == [], "the IS-4 problem is resolved"
    assert world.client("K0001-X")["clientBillingAddress"]["clientStreet"] == "ul. Nowa 1"
    assert len(world.shop.clients) == 1


@pytest.mark.rule("IS-4", "IS-3")
def test_codes_changed_alike_on_both_sides_keep_the_link(world: IsWorld):
    kowalski(world)
    world.settle()
    world.fk.update("K0001", code="K9")
    world.shop.set_code(world.raw("K0001")["clientId"], None, "K9")
    world.settle()
    world.fk.update("K9", city="Wieliczka")
    world.settle()
    assert world.problems() == []
    assert world.client("K9")["clientBillingAddress"]["clientCity"] == "Wieliczka"


# -- IS-5: name vs company -------------------------------------------------------------------


@pytest.mark.rule("IS-5")
def test_subiekt_gt_first_and_last_name_go_to_idosell_first_and_last_name(world: IsWorld):
    kowalski(world)
    kowalski(
        world,
        "K0002",
        first="Anna",
        last="Wiśniewska",
        name="Hurtownia Spożywcza Wiśniewska Sp. z o.o.",
        nip="525-000-12-27",
    )
    world.settle()
    person, firm = world.client("K0001"), world.client("K0002")
    assert person["clientBillingAddress"]["clientFirstName"] == "Jan"
    assert person["clientBillingAddress"]["clientLastName"] == "Kowalski"
    assert person["clientBillingAddress"]["clientFirm"] == "", "a private person has no company"
    assert firm["clientBillingAddress"]["clientFirstName"] == "Anna"
    assert firm["clientBillingAddress"]["clientFirm"] == "Hurtownia Spożywcza Wiśniewska Sp. z o.o."
    assert firm["clientBillingAddress"]["clientNip"] == "5250001227"


@pytest.mark.rule("IS-5")
def test_wf_mag_names_come_from_its_contact_person(make_world: MakeWorld):
    world = make_world("wf_mag")
    kowalski(world, name="Kowalski i Syn s.c.")
    world.settle()
    bill = world.client("K0001")["clientBillingAddress"]
    assert (bill["clientFirstName"], bill["clientLastName"]) == ("Jan", "Kowalski")
    assert bill["clientFirm"] == "Kowalski i Syn s.c."


@pytest.mark.rule("IS-5")
def test_a_generic_programs_name_goes_to_the_company(make_world: MakeWorld):
    world = make_world("generic")
    kowalski(world, name="Jan Kowalski Usługi Remontowe")
    world.settle()
    bill = world.client("K0001")["clientBillingAddress"]
    assert bill["clientFirm"] == "Jan Kowalski Usługi Remontowe"
    assert bill["clientFirstName"] == ""
    assert bill["clientLastName"] == ""


@pytest.mark.rule("IS-5")
def test_a_generic_fk_update_clears_idosell_first_and_last_name(make_world: MakeWorld):
    world = make_world("generic")
    kowalski(world, name="Kowalski Usługi")
    world.settle()
    client_id = world.raw("K0001")["clientId"]
    world.shop.edit(client_id, clientFirstName="Jan", clientLastName="Kowalski")
    world.settle()
    assert world.raw("K0001")["clientFirstName"] == "Jan", "until F/K updates the customer"
    world.fk.update("K0001", phone="+48 602 000 111")
    world.settle()
    bill = world.client("K0001")["clientBillingAddress"]
    assert (bill["clientFirstName"], bill["clientLastName"]) == ("", ""), "cleared"
    assert bill["clientFirm"] == "Kowalski Usługi", "and the company filled"
    assert bill["clientPhone1"] == "+48602000111"


@pytest.mark.rule("IS-5")
def test_a_generic_program_reports_no_name_update_it_cannot_store(make_world: MakeWorld):
    """IdoSell's first and last name have nowhere to go in a one-name program: no move says
    they went, and the F/K customer is not touched (not even its "changed by")."""
    world = make_world("generic", overrides=BOTH_WAYS)
    kowalski(world, name="Kowalski Usługi")
    world.settle()
    before = world.fk.get("K0001")
    world.shop.edit(world.raw("K0001")["clientId"], clientFirstName="Jan", clientLastName="Nowak")
    report = world.sync()
    assert not [m for m in report.moves_sample if m.toward == "pos"], report.moves_sample
    assert report.counts["customer.unchanged.pos"] == 1
    after = world.fk.get("K0001")
    assert (after["changed_by"], after["changed_at"]) == (
        before["changed_by"],
        before["changed_at"],
    )
    assert world.sync().moves_sample == [], "and nothing goes back and forth"


@pytest.mark.rule("IS-5")
def test_a_subiekt_gt_update_keeps_first_and_last_name(world: IsWorld):
    kowalski(world)
    world.settle()
    world.fk.update("K0001", phone="+48 602 000 111")
    world.settle()
    bill = world.client("K0001")["clientBillingAddress"]
    assert (bill["clientFirstName"], bill["clientLastName"]) == ("Jan", "Kowalski")


# -- IS-7: account logins ----------------------------------------------------------------------


@pytest.mark.rule("IS-7")
def test_logins_are_generated_automatically_from_the_fk_code(world: IsWorld):
    kowalski(world, code="KOW/2024/001")
    world.settle()
    assert world.raw("KOW/2024/001")["clientLogin"] == "kow-2024-001"


@pytest.mark.rule("IS-7")
def test_logins_follow_a_configured_pattern_without_diacritics(make_world: MakeWorld):
    world = make_world(login_pattern="{first_name}.{last_name}")
    kowalski(world, first="Łukasz", last="Żółć")
    world.settle()
    assert world.raw("K0001")["clientLogin"] == "lukasz.zolc"


@pytest.mark.rule("IS-7")
def test_a_login_in_use_gets_the_next_free_one(make_world: MakeWorld):
    world = make_world(login_pattern="{first_name}.{last_name}")
    world.shop.create(
        {"login": "jan.kowalski", "firstname": "Jan", "lastname": "Kowalski", "shops": [1]}
    )
    kowalski(world)
    kowalski(world, "K0002")
    world.settle()
    assert world.raw("K0001")["clientLogin"] == "jan.kowalski-2"
    assert world.raw("K0002")["clientLogin"] == "jan.kowalski-3"
    assert world.problems() == []


@pytest.mark.rule("IS-7")
def test_an_unknown_login_placeholder_is_a_configuration_error(make_world: MakeWorld):
    with pytest.raises(ConfigError, match=r"login_pattern.*nickname"):
        make_world(login_pattern="{nickname}")


# -- IS-8: billing data both ways ------------------------------------------------------------


@pytest.mark.rule("IS-8", "G-8")
def test_billing_changes_in_idosell_reach_fk_recorded_as_the_bridge_user(make_world: MakeWorld):
    world = make_world(overrides=BOTH_WAYS)
    kowalski(world)
    world.settle()
    world.shop.edit(
        world.raw("K0001")["clientId"],
        clientFirm="Kowalski Serwis",
        clientNip="5250001227",
        clientStreet="ul. Długa 9",
        clientZipCode="31-147",
    )
    world.settle()
    row = world.fk.get("K0001")
    assert (row["name"], row["nip"], row["street"], row["postcode"]) == (
        "Kowalski Serwis",
        "5250001227",
        "ul. Długa 9",
        "31-147",
    )
    assert (row["first"], row["last"]) == ("Jan", "Kowalski")
    assert row["changed_by"] == int(BRIDGE_USER), "G-8: kh_IdZmienil"
    assert row["changed_at"] is not None


@pytest.mark.rule("IS-8")
def test_billing_changes_in_fk_reach_idosell(world: IsWorld):
    kowalski(world)
    world.settle()
    world.fk.update("K0001", name="Kowalski Serwis", nip="5250001227", postcode="31-147")
    world.settle()
    bill = world.client("K0001")["clientBillingAddress"]
    assert (bill["clientFirm"], bill["clientNip"], bill["clientZipCode"]) == (
        "Kowalski Serwis",
        "5250001227",
        "31-147",
    )


@pytest.mark.rule("G-8")
def test_a_non_numeric_associate_is_refused_for_subiekt_gt(make_world: MakeWorld):
    world = make_world(overrides={**BOTH_WAYS, "default_associate": "bridge"})
    kowalski(world)
    world.settle()
    world.shop.edit(world.raw("K0001")["clientId"], clientCity="Wieliczka")
    world.settle()
    assert world.fk.get("K0001")["city"] == "Kraków"
    [problem] = world.problems()
    assert problem.rule == "G-8"
    assert "'bridge'" in problem.reason


# -- IS-9: delivery addresses are added, never replaced --------------------------------------


def streets(client: dict[str, Any]) -> list[str]:
    return [d["clientDeliveryAddressStreet"] for d in client["deliveryAddresses"]]


def sent_streets(world: IsWorld, system: str) -> list[list[str]]:
    """The delivery streets of each write the engine sent ``system`` that carried them."""
    return [
        sorted(a.street1 or "" for a in request.record.delivery_addresses)
        for name, request in world.sent
        if name == system
        and request.record is not None
        and ("delivery_addresses" in request.fields or request.op.value == "create")
        and request.record.delivery_addresses
    ]


def sends_only_additions(world: IsWorld, system: str, everything: list[str]) -> None:
    """IS-9 in what the engine sends: its last delivery write to ``system`` replaces none.

    The connectors only ever add, so the fakes would keep every address whatever the
    engine decided: the write itself must carry every address either side holds.
    """
    sent = sent_streets(world, system)
    assert sent, f"no delivery address was sent to {system}"
    assert sent[-1] == sorted(everything), f"{system} was sent {sent[-1]}, not {everything}"


@pytest.mark.rule("IS-9")
def test_a_new_fk_delivery_address_is_added_in_idosell(world: IsWorld):
    kowalski(world, deliveries=[("ul. Magazynowa 1", "30-002", "Kraków")])
    world.settle()
    client_id = world.raw("K0001")["clientId"]
    world.shop.add_delivery(
        {
            "clientLogin": world.raw("K0001")["clientLogin"],
            "clientDeliveryAddressStreet": "ul. Sklepowa 2",
            "clientDeliveryAddressZipCode": "30-003",
            "clientDeliveryAddressCity": "Kraków",
        }
    )
    world.fk.add_delivery("K0001", "ul. Żytnia 3", "01-234", "Warszawa")
    world.settle()
    assert streets(world.client("K0001")) == ["ul. Magazynowa 1", "ul. Sklepowa 2", "ul. Żytnia 3"]
    assert world.shop.clients[client_id]["deliveries"][1]["clientDeliveryAddressId"] == "2"
    sends_only_additions(world, "shop", ["ul. Magazynowa 1", "ul. Sklepowa 2", "ul. Żytnia 3"])


@pytest.mark.rule("IS-9")
def test_a_new_idosell_delivery_address_is_added_in_fk(make_world: MakeWorld):
    world = make_world(overrides=BOTH_WAYS)
    kowalski(world, deliveries=[("ul. Magazynowa 1", "30-002", "Kraków")])
    world.settle()
    world.raw("K0001")["deliveries"].clear()  # a panel user drops the old one, and adds:
    world.shop.add_delivery(
        {
            "clientLogin": world.raw("K0001")["clientLogin"],
            "clientDeliveryAddressStreet": "ul. Sklepowa 2",
            "clientDeliveryAddressZipCode": "30-003",
            "clientDeliveryAddressCity": "Kraków",
        }
    )
    world.settle()
    assert [d[0] for d in world.fk.get("K0001")["deliveries"]] == [
        "ul. Magazynowa 1",
        "ul. Sklepowa 2",
    ]
    # Added in F/K, never replacing the address F/K holds: in what the engine sent too.
    sends_only_additions(world, "fk", ["ul. Magazynowa 1", "ul. Sklepowa 2"])


@pytest.mark.rule("IS-9")
def test_delivery_addresses_survive_a_conflict_where_fk_wins_the_record(make_world: MakeWorld):
    world = make_world(overrides=BOTH_WAYS)
    kowalski(world)
    world.settle()
    world.fk.update("K0001", street="ul. Nowa 1")
    world.fk.add_delivery("K0001", "ul. Żytnia 3", "01-234", "Warszawa")
    world.shop.add_delivery(
        {
            "clientLogin": world.raw("K0001")["clientLogin"],
            "clientDeliveryAddressStreet": "ul. Sklepowa 2",
            "clientDeliveryAddressZipCode": "30-003",
            "clientDeliveryAddressCity": "Kraków",
        }
    )
    world.shop.edit(world.raw("K0001")["clientId"], clientEmail="jan@sklep.example.pl")
    world.settle()
    assert sorted(streets(world.client("K0001"))) == ["ul. Sklepowa 2", "ul. Żytnia 3"]
    assert sorted(d[0] for d in world.fk.get("K0001")["deliveries"]) == [
        "ul. Sklepowa 2",
        "ul. Żytnia 3",
    ]
    assert world.client("K0001")["clientEmail"] == "jan.kowalski@example.pl", "IS-2 still"
    sends_only_additions(world, "shop", ["ul. Sklepowa 2", "ul. Żytnia 3"])
    sends_only_additions(world, "fk", ["ul. Sklepowa 2", "ul. Żytnia 3"])


@pytest.mark.rule("IS-9", "IS-1")
def test_idosell_delivery_addresses_stay_in_idosell_when_fk_updates_are_off(world: IsWorld):
    kowalski(world)
    world.settle()
    world.shop.add_delivery(
        {
            "clientLogin": world.raw("K0001")["clientLogin"],
            "clientDeliveryAddressStreet": "ul. Sklepowa 2",
            "clientDeliveryAddressZipCode": "30-003",
            "clientDeliveryAddressCity": "Kraków",
        }
    )
    world.fk.add_delivery("K0001", "ul. Żytnia 3", "01-234", "Warszawa")
    world.settle()
    assert [d[0] for d in world.fk.get("K0001")["deliveries"]] == ["ul. Żytnia 3"]
    assert streets(world.client("K0001")) == ["ul. Sklepowa 2", "ul. Żytnia 3"], "not replaced"
    sends_only_additions(world, "shop", ["ul. Sklepowa 2", "ul. Żytnia 3"])


# -- IS-10: discount groups ------------------------------------------------------------------


@pytest.mark.rule("IS-10")
def test_customers_are_assigned_to_the_shops_discount_group_of_the_same_name(world: IsWorld):
    kowalski(world, discount_group="Hurt")
    world.settle()
    prefs = world.client("K0001")["clientPreferences"]
    assert (prefs["clientGroupDiscountNumber"], prefs["clientGroupDiscountName"]) == (2, "Hurt")
    world.fk.update("K0001", discount_group="VIP")
    world.settle()
    assert world.client("K0001")["clientPreferences"]["clientGroupDiscountNumber"] == 4


@pytest.mark.rule("IS-10")
def test_an_unknown_discount_group_is_reported_and_the_rest_go_on(world: IsWorld):
    kowalski(world, discount_group="Super hurt")
    kowalski(world, "K0002", discount_group="Hurt")
    world.settle()
    [problem] = world.problems()
    assert problem.rule == "IS-10"
    assert "'Super hurt'" in problem.reason
    assert world.client("K0002")["clientPreferences"]["clientGroupDiscountName"] == "Hurt"
    assert len(world.shop.clients) == 1


@pytest.mark.rule("IS-10", "G-1")
def test_a_discount_group_changed_in_idosell_never_comes_down(make_world: MakeWorld):
    world = make_world(overrides=BOTH_WAYS)
    kowalski(world, discount_group="Hurt")
    world.settle()
    world.shop.edit(world.raw("K0001")["clientId"], clientGroupDiscountNumber=4)
    world.settle()
    assert world.fk.get("K0001")["discount_group"] == "Hurt"


# -- IS-11: shops ----------------------------------------------------------------------------


@pytest.mark.rule("IS-11")
def test_customers_are_assigned_to_one_or_several_shops(world: IsWorld):
    kowalski(world, shops=[1, 3])
    kowalski(world, "K0002", shops=[])
    world.settle()
    assert [s["shopId"] for s in world.client("K0001")["clientActiveInShops"]] == [1, 3]
    assert [s["shopId"] for s in world.client("K0002")["clientActiveInShops"]] == [1], "default"
    world.fk.update("K0001", shops=[2])
    world.settle()
    assert [s["shopId"] for s in world.client("K0001")["clientActiveInShops"]] == [2]


@pytest.mark.rule("IS-11")
def test_an_unknown_shop_is_refused_for_that_customer_only(world: IsWorld):
    kowalski(world, shops=[9])
    kowalski(world, "K0002")
    world.settle()
    [problem] = world.problems()
    assert "faultCode 14" in problem.reason
    assert [c["clientCodeExternal"] for c in world.shop.clients.values()] == ["K0002"]


# -- IS-12: trade credit and balance ---------------------------------------------------------


@pytest.mark.rule("IS-12")
def test_trade_credit_limit_and_balance_come_from_the_erp(world: IsWorld):
    kowalski(world, credit_allowed=True, credit_limit=Decimal("5000"), balance=Decimal("1200"))
    world.settle()
    client = world.client("K0001")
    assert client["clientTradeCredit"]["clientTradeCreditLimit"] == 5000.0
    assert client["clientTradeCredit"]["clientTradeCreditUsed"] == 1200.0
    assert client["blockedFromBuying"] is False


@pytest.mark.rule("IS-12")
def test_a_customer_over_the_limit_is_blocked_until_the_erp_says_otherwise(world: IsWorld):
    kowalski(world, credit_allowed=True, credit_limit=Decimal("1000"), balance=Decimal("0"))
    world.settle()
    world.fk.add_receivable("K0001", "800.00")
    world.fk.add_receivable("K0001", "450.50")  # unpaid invoices: 1250.50 > 1000
    world.settle()
    assert world.client("K0001")["clientTradeCredit"]["clientTradeCreditUsed"] == 1250.5
    assert world.client("K0001")["blockedFromBuying"] is True
    world.fk.update("K0001", credit_limit=Decimal("2000"))  # the limit raised in the ERP
    world.settle()
    assert world.client("K0001")["blockedFromBuying"] is False


@pytest.mark.rule("IS-12")
def test_without_trade_credit_any_debt_blocks(make_world: MakeWorld):
    world = make_world("generic")
    kowalski(world, credit_allowed=False, credit_limit=Decimal("9000"), balance=Decimal("10"))
    world.settle()
    assert world.client("K0001")["clientTradeCredit"]["clientTradeCreditLimit"] == 0.0
    assert world.client("K0001")["blockedFromBuying"] is True


@pytest.mark.rule("IS-12", "G-1")
def test_trade_credit_changed_in_idosell_never_comes_down(make_world: MakeWorld):
    world = make_world(overrides=BOTH_WAYS)
    kowalski(world, credit_allowed=True, credit_limit=Decimal("1000"), balance=Decimal("100"))
    world.settle()
    world.shop.edit(world.raw("K0001")["clientId"], clientTradeCreditLimitExternal=99999)
    world.settle()
    assert world.fk.get("K0001")["credit_limit"] == Decimal("1000")


# -- G-5: bad input --------------------------------------------------------------------------


@pytest.mark.rule("G-5")
def test_an_unreadable_fk_customer_is_parked_with_its_reason_and_the_rest_go_on(world: IsWorld):
    kowalski(world, phone="12")
    kowalski(world, "K0002")
    world.settle()
    [problem] = world.problems()
    assert problem.rule == "G-5"
    assert "K0001" in problem.reason
    assert "'12'" in problem.reason
    assert [c["clientCodeExternal"] for c in world.shop.clients.values()] == ["K0002"]
    world.fk.update("K0001", phone="601 234 567")
    world.settle()
    assert world.problems() == [], "a readable change supersedes the problem"
    assert len(world.shop.clients) == 2


@pytest.mark.rule("G-5", "IS-6")
def test_a_207_fault_refuses_that_customer_only(world: IsWorld):
    kowalski(world, nip="1234567890")  # a bad NIP checksum: faultCode 15
    for n in range(2, 6):
        kowalski(world, f"K000{n}")
    world.settle()
    [problem] = world.problems()
    assert "faultCode 15" in problem.reason
    assert len(world.shop.clients) == 4


@pytest.mark.rule("IS-9", "G-5")
def test_a_delivery_address_added_in_the_second_of_the_last_read_still_comes_down(tmp_path: Path):
    world = IsWorld(tmp_path / "w", overrides={"flows": {"customer": {"update_pos": True}}})
    try:
        world.shop.clock.frozen = world.shop.clock.now()  # every change within one second
        world.fk.add(
            code="K/0001",
            name="Hurtownia Kwiat",
            shops=[1],
            deliveries=[("ul. Stara 1", "81-301", "Gdynia")],
        )
        world.settle()
        client = world.raw("K/0001")
        client["deliveries"].clear()  # a panel user drops it, and adds another:
        world.shop.add_delivery(
            {
                "clientLogin": client["clientLogin"],
                "clientDeliveryAddressStreet": "ul. Portowa 2",
                "clientDeliveryAddressZipCode": "81-300",
                "clientDeliveryAddressCity": "Gdynia",
            }
        )
        world.settle()
        assert world.fk.get("K/0001")["deliveries"] == [
            ("ul. Stara 1", "81-301", "Gdynia"),
            ("ul. Portowa 2", "81-300", "Gdynia"),
        ]
        sends_only_additions(world, "fk", ["ul. Portowa 2", "ul. Stara 1"])
    finally:
        world.close()
