"""Edge <-> Clientbook customers: the rules of issue 2, against both fakes through the engine.

Each test names the rule it proves. Clientbook edits are made as a Clientbook user would
(``update_client`` with the associate's id); Edge edits as a POS user (``edit_customer``).
"""

from __future__ import annotations

import orjson
import pytest

from framework.engine.duplicates import find_duplicates
from tests.harness import World

SELECTED = {"flows": {"customer": {"pos_filter": [{"field": "sync_flag", "eq": True}]}}}


def add(world: World, first: str, last: str, email: str | None = None, **fields: object) -> str:
    emails = [("Home", email)] if email else []
    return world.edge.add_customer(first, last, emails=emails, **fields)  # type: ignore[arg-type]


# -- G-2: initial full upload, then increments ---------------------------------------------


@pytest.mark.rule("G-2")
def test_initial_upload_moves_every_customer_then_increments_move_only_changes(world: World):
    keys = [add(world, f"First{i}", f"Last{i}", f"person{i}@example.com") for i in range(30)]
    first = world.sync()
    assert first.counts["customer.create.platform"] == 30
    assert len(world.clients()) == 30

    quiet = world.sync()
    assert quiet.counts["customer.create.platform"] == 0
    assert quiet.counts["customer.update.platform"] == 0
    # One page of each Clientbook feed the pair reads: clients, collection items, activity,
    # messages (products, purchases, jobs and texts only go up: never read, G-1).
    assert quiet.calls == {"clientbook.calls": 4}, "a run with nothing changed reads one page"

    world.edge.edit_customer(keys[3], CustomerKey1="9")
    incremental = world.sync()
    assert incremental.counts["customer.read.pos"] == 1
    assert incremental.counts["customer.update.platform"] == 1
    assert world.client_of(keys[3])["preferences"] == [{"name": "Ring size", "value": "9"}]


# -- G-1: directions -------------------------------------------------------------------------


@pytest.mark.rule("G-1")
def test_one_way_field_never_flows_against_its_direction(make_world):
    world = make_world(
        {"flows": {"customer": {"fields": {"custom": {"direction": "pos_to_platform"}}}}}
    )
    key = add(world, "Ada", "Lovelace", "ada@example.com", CustomerKey1="6")
    world.settle()
    client = world.client_of(key)
    world.cb.update_client(
        client["id"], {"preferences": [{"name": "Ring size", "value": "8"}]}, "as_12"
    )
    world.settle()
    assert world.edge.customers[key]["CustomerKey1"] == "6", "came down against its direction"
    world.edge.edit_customer(key, CustomerKey1="7")
    world.settle()
    assert world.client_of(key)["preferences"] == [{"name": "Ring size", "value": "7"}]


@pytest.mark.rule("G-1")
def test_flow_off_moves_nothing_either_way(make_world):
    flows = ("customer", "product", "wish", "note", "purchase", "service_job", "message")
    world = make_world({"flows": {name: {"direction": "off"} for name in flows}})
    add(world, "Ada", "Lovelace", "ada@example.com")
    world.cb.create_client({"first_name": "Cloud", "last_name": "Only"}, "as_12")
    report = world.settle()
    assert len(world.clients()) == 1
    assert len(world.edge.customers) == 1
    assert report.calls == {}


@pytest.mark.rule("G-1")
def test_platform_to_pos_flow_never_uploads(make_world):
    world = make_world({"flows": {"customer": {"direction": "platform_to_pos"}}})
    add(world, "Edge", "Only", "edge.only@example.com")
    world.cb.create_client(
        {"first_name": "Cloud", "last_name": "Born", "email": "cloud@example.com"}, "as_12"
    )
    world.settle()
    assert [c["first_name"] for c in world.clients()] == ["Cloud"]
    assert world.edge_by_name("Cloud", "Born"), "the platform customer came down"


# -- G-3: match before create ----------------------------------------------------------------


@pytest.mark.rule("G-3", "CB-2")
def test_match_on_normalised_email_links_instead_of_creating(world: World):
    key = add(world, "Grace", "Hopper", "Grace.Hopper@Example.com")
    client = world.cb.create_client(
        {
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "  grace.hopper@EXAMPLE.com "[2:-1],
        },
        "as_12",
    )
    report = world.settle()
    assert len(world.clients()) == 1, "matched, not duplicated on Clientbook"
    assert len(world.edge.customers) == 1, "matched, not duplicated on Edge"
    assert world.client_of(key)["id"] == client["id"]
    assert (
        any(
            m.action == "link" and m.rules == ("G-3",)
            for r in world.reports
            for m in r.moves_sample
        )
        or report is not None
    )


@pytest.mark.rule("G-3")
def test_ambiguous_match_is_reported_never_guessed(make_world):
    world = make_world(SELECTED)
    add(world, "Pat", "Smith", "shared@example.com", xfer=False)  # not synced: unlinked
    add(world, "Sam", "Smith", "Shared@Example.com", xfer=False)
    world.cb.create_client(
        {"first_name": "Chris", "last_name": "Smith", "email": "SHARED@example.com"}, "as_12"
    )
    world.settle()
    problems = [p for p in world.problems() if p.rule == "G-3"]
    assert len(problems) == 1, "the ambiguous match is reported once"
    assert "ambiguous" in problems[0].reason
    assert "2 records" in problems[0].reason
    assert not world.edge_by_name("Chris", "Smith"), "not created on Edge"
    assert world.engine.store.links_count("store") == 0, "not linked to either"


@pytest.mark.rule("G-3", "SQ-2")
def test_a_match_whose_counterpart_matches_twice_is_reported_never_guessed(world: World):
    maya = add(world, "Maya", "Chen", "maya.chen@example.com")
    for first in ("Maya", "May"):  # the same person entered twice in Clientbook
        world.cb.create_client(
            {"first_name": first, "last_name": "Chen", "email": "Maya.Chen@example.com"}, "as_12"
        )
    world.settle()
    problems = [p for p in world.problems() if p.rule == "G-3"]
    assert len(problems) == 3, "each of the three is reported"
    assert all("ambiguous" in p.reason for p in problems)
    assert world.engine.store.links_count("store") == 0, "none linked to a guess"
    assert [k for k, v in world.edge.customers.items() if v["CustomerLastName"] == "Chen"] == [
        maya
    ], "no copy of the duplicate made in Edge"
    assert len(world.clients()) == 2, "nothing made in Clientbook either"


def already_linked(world: World) -> list:
    return [p for p in world.problems() if p.rule == "G-3" and "already linked" in p.reason]


@pytest.mark.rule("G-3", "SQ-2")
def test_a_new_client_matching_a_linked_edge_customer_is_reported_never_created(world: World):
    ella = add(world, "Ella", "Lee", "ella@example.com")
    world.settle()
    linked = world.client_of(ella)
    twin = world.cb.create_client(
        {"first_name": "Ella", "last_name": "Lee-Smith", "email": "ELLA@Example.com"}, "as_12"
    )
    world.settle()
    assert list(world.edge.customers) == [ella], "no second Edge customer with that e-mail"
    [problem] = already_linked(world)
    assert problem.record_id == twin["id"]
    assert problem.side == "platform"
    assert f"matches {ella} on edge, already linked to {linked['id']}" in problem.reason
    assert world.link_of("customer", "platform", twin["id"]) is None
    groups = find_duplicates(world.engine, "store", side="platform")
    assert [sorted(g.ids) for g in groups] == [sorted([linked["id"], twin["id"]])]
    world.settle()
    assert len(already_linked(world)) == 1, "reported once, still not created"
    assert list(world.edge.customers) == [ella]


@pytest.mark.rule("G-3", "SQ-2")
def test_a_new_edge_customer_matching_a_linked_client_is_reported_never_created(world: World):
    pat = add(world, "Pat", "Smith", "shared@example.com")
    world.settle()
    sam = add(world, "Sam", "Smith", "Shared@Example.com")  # the same e-mail: the same person?
    world.settle()
    assert [c["first_name"] for c in world.clients()] == ["Pat"], "no second client"
    [problem] = already_linked(world)
    assert (problem.record_id, problem.side) == (sam, "pos")
    assert world.client_of(pat)["first_name"] == "Pat", "Pat's client untouched"


@pytest.mark.rule("G-3", "G-7")
def test_a_new_client_matching_a_customer_whose_client_was_deleted_is_reported(world: World):
    ella = add(world, "Ella", "Lee", "ella@example.com")
    world.settle()
    world.cb.clients.delete(world.client_of(ella)["id"], "as_12")
    world.settle()  # G-7: unlinked on that side, reported, nothing deleted in Edge
    again = world.cb.create_client(
        {"first_name": "Ella", "last_name": "Lee", "email": "ella@example.com"}, "as_12"
    )
    world.settle()
    assert list(world.edge.customers) == [ella], "no second Edge customer"
    [problem] = already_linked(world)
    assert problem.record_id == again["id"]
    assert "deleted_on_platform" in problem.reason


@pytest.mark.rule("G-3")
def test_a_new_record_matching_two_linked_records_is_ambiguous_never_created(world: World):
    pat = add(world, "Pat", "Smith", "pat@example.com")
    sam = add(world, "Sam", "Smith", "sam@example.com")
    world.settle()
    world.edge.edit_customer(sam, Emails=[])
    world.edge.add_contact(sam, "Emails", "Home", EmailEmail="pat@example.com")
    world.settle()  # two linked Edge customers now share one e-mail
    world.cb.create_client(
        {"first_name": "Chris", "last_name": "Smith", "email": "PAT@example.com"}, "as_12"
    )
    world.settle()
    assert sorted(world.edge.customers) == sorted([pat, sam]), "no third Edge customer"
    [problem] = [p for p in world.problems() if "ambiguous" in p.reason]
    assert problem.rule == "G-3"
    assert "2 records" in problem.reason
    assert "linked to" in problem.reason


# -- G-4: echo suppression -------------------------------------------------------------------


@pytest.mark.rule("G-4")
def test_what_the_engine_wrote_is_not_sent_back(world: World):
    for i in range(5):
        add(world, f"Echo{i}", "Test", f"echo{i}@example.com", CustomerKey1="5")
    world.cb.create_client(
        {"first_name": "From", "last_name": "Cloud", "email": "from.cloud@example.com"}, "as_12"
    )
    world.settle(runs=4)  # uploads, the download, and their read-backs on both sides
    calm = world.sync()
    writes = {
        k: v for k, v in calm.counts.items() if k.split(".")[1] in ("create", "update", "delete")
    }
    assert writes == {}, f"echoes were sent back: {writes}"
    versions = {c["id"]: c["version"] for c in world.clients()}
    world.settle()
    assert {c["id"]: c["version"] for c in world.clients()} == versions, "ping-pong"
    echoes = sum(r.counts["customer.echo"] for r in world.reports)
    assert echoes >= 6, "read-backs were recognised as echoes"


# -- G-8 and CB-11: associates ---------------------------------------------------------------


@pytest.mark.rule("G-8", "CB-11")
def test_platform_change_records_the_mapped_associate(world: World):
    key = add(world, "Mia", "Wong", "mia@example.com")
    world.settle()
    client = world.client_of(key)
    world.cb.update_client(client["id"], {"email": "mia.wong@example.com"}, "as_12")
    world.settle()
    assert world.edge.customers[key]["CustomerUpdateUser"] == "12", "Point of Sale ID of as_12"


@pytest.mark.rule("G-8", "CB-11")
def test_unmapped_platform_user_gets_the_default_associate(world: World):
    world.cb.create_client(
        {"first_name": "Noor", "last_name": "Haddad", "email": "noor@example.com"}, "as_77"
    )  # no Point of Sale ID
    world.settle()
    [noor] = world.edge_by_name("Noor", "Haddad")
    assert noor["CustomerUpdateUser"] == "1", "the configured default associate"


@pytest.mark.rule("CB-11")
def test_assigned_associate_is_never_synced(world: World):
    key = add(world, "Liam", "Brown", "liam@example.com", CustomerAsKey=3)
    world.settle()
    before = world.client_of(key)["version"]
    world.edge.edit_customer(key, CustomerAsKey=9)
    report = world.settle()
    assert world.client_of(key)["version"] == before
    assert report.counts["customer.update.platform"] == 0
    assert "as_" not in str(world.client_of(key)), "no associate travelled up"


# -- CB-1: customer scope --------------------------------------------------------------------


@pytest.mark.rule("CB-1")
def test_selected_scope_moves_only_flagged_customers(make_world):
    world = make_world(SELECTED)
    flagged = add(world, "In", "Scope", "in@example.com", xfer=True)
    unflagged = add(world, "Out", "Scope", "out@example.com", xfer=False)
    world.settle()
    assert [c["email"] for c in world.clients()] == ["in@example.com"]
    world.edge.edit_customer(unflagged, CustomerXfer=True)  # selected later, one at a time
    world.settle()
    assert sorted(c["email"] for c in world.clients()) == ["in@example.com", "out@example.com"]
    assert world.client_of(flagged)


@pytest.mark.rule("CB-1")
def test_all_scope_moves_unflagged_customers_too(world: World):
    add(world, "Out", "Scope", "out@example.com", xfer=False)
    world.settle()
    assert [c["email"] for c in world.clients()] == ["out@example.com"]


@pytest.mark.rule("CB-1")
def test_unselected_customer_changes_do_not_move(make_world):
    world = make_world(SELECTED)
    key = add(world, "Was", "Selected", "was@example.com", xfer=True)
    world.settle()
    world.edge.edit_customer(key, CustomerXfer=False, CustomerKey1="4")
    world.settle()
    assert world.client_of(key)["preferences"] == []


# -- CB-2: new platform customers come down ------------------------------------------------------


@pytest.mark.rule("CB-2")
def test_new_clientbook_customer_is_downloaded_and_flagged(make_world):
    world = make_world(SELECTED)
    client = world.cb.create_client(
        {
            "first_name": "Zoë",
            "last_name": "Müller",
            "email": "zoe@example.com",
            "mobile": "+12175550199",
            "acquisition": "Instagram",
        },
        "as_12",
    )
    world.settle()
    [zoe] = world.edge_by_name("Zoë", "Müller")
    assert zoe["CustomerXfer"] is True, "customers from Clientbook are flagged for sync"
    assert [m["PairValue"]["EmailEmail"] for m in zoe["Emails"]] == ["zoe@example.com"]
    assert zoe["Phones"][0]["PairValue"]["PhonePhone"] == "2175550199"
    assert zoe["CustomerTransfer"]["WebTransferWebID"] == client["id"]
    assert world.edge_key_of(client["id"]) == zoe["CustomerKey"]


@pytest.mark.rule("CB-2")
def test_new_clientbook_customer_matching_an_edge_email_is_linked_not_duplicated(world: World):
    key = add(world, "Ella", "Lee", "ella@example.com", xfer=False)
    world.cb.create_client(
        {"first_name": "Ella", "last_name": "Lee", "email": "ELLA@example.com"}, "as_12"
    )
    world.settle()
    assert len(world.edge.customers) == 1
    assert len(world.clients()) == 1
    assert world.client_of(key)


# -- CB-3: contact methods, both ways, asymmetric --------------------------------------------


@pytest.mark.rule("CB-3")
def test_edge_contact_change_overwrites_clientbook(world: World):
    key = add(world, "Olivia", "Smith", "old@example.com")
    world.settle()
    world.edge.add_contact(
        key, "Emails", "Work", EmailEmail="new@work.example.com", EmailSendPromo=False
    )
    world.edge.edit_customer(key, CustomerPrefEMail="Work")
    world.edge.add_contact(
        key, "Phones", "Cell", PhonePhone="3125550100", PhonePhoneExt="", PhoneDoNotContact=False
    )
    world.settle()
    client = world.client_of(key)
    assert client["email"] == "new@work.example.com"
    assert client["mobile"] == "+13125550100"


@pytest.mark.rule("CB-3")
def test_clientbook_contact_change_is_added_in_edge_never_overwriting(world: World):
    key = add(world, "Noah", "Garcia", "noah@example.com")
    world.settle()
    client = world.client_of(key)
    world.cb.update_client(
        client["id"], {"email": "noah.g@example.com", "mobile": "+15125550123"}, "as_12"
    )
    world.settle()
    assert world.edge_emails(key) == ["noah@example.com", "noah.g@example.com"]
    edge = world.edge.customers[key]
    assert edge["CustomerPrefEMail"] == "Home", "the original stays preferred"
    assert [p["PairValue"]["PhonePhone"] for p in edge["Phones"]] == ["5125550123"]
    assert world.client_of(key)["email"] == "noah.g@example.com", "Clientbook keeps its value"


@pytest.mark.rule("CB-3")
def test_clientbook_removing_a_contact_never_erases_it_in_edge(world: World):
    key = add(world, "Ava", "Jones", "ava@example.com")
    world.settle()
    imported = set(p.name for p in world.edge.processed.iterdir())
    world.cb.update_client(world.client_of(key)["id"], {"email": None}, "as_12")
    world.settle()
    assert world.edge_emails(key) == ["ava@example.com"]
    # What the engine sent, not only what the fake kept (its import never deletes one):
    # no import touches Ava's contact methods after the Clientbook removal.
    sent = [
        record
        for path in sorted(world.edge.processed.iterdir())
        if path.name not in imported and path.name.endswith("CustomerList.json")
        for record in orjson.loads(path.read_bytes())["Customers"]
        if record.get("Key") == key
    ]
    assert sent == [], f"the engine wrote the removal to Edge: {sent}"


@pytest.mark.rule("CB-3")
def test_conflict_edge_goes_up_and_clientbook_value_is_added_in_edge(world: World):
    key = add(world, "Jack", "Taylor", "jack@example.com")
    world.settle()
    client = world.client_of(key)
    world.edge.add_contact(
        key, "Emails", "Work", EmailEmail="jack@edge.example.com", EmailSendPromo=False
    )
    world.edge.edit_customer(key, CustomerPrefEMail="Work")
    world.cb.update_client(client["id"], {"email": "jack@cb.example.com"}, "as_12")
    world.settle()
    assert world.client_of(key)["email"] == "jack@edge.example.com", "Edge's value went up"
    assert "jack@cb.example.com" in world.edge_emails(key), "Clientbook's was added in Edge"
    assert "jack@example.com" in world.edge_emails(key), "nothing was erased in Edge"


# -- CB-4: custom fields = preferences, both ways ------------------------------------------------


@pytest.mark.rule("CB-4")
def test_custom_fields_map_to_preferences_both_ways(world: World):
    key = add(
        world,
        "Emma",
        "Davis",
        "emma@example.com",
        CustomerKey1="6",
        CustomerKey2="Gold",
        CustomerKey5="not mapped",
    )
    world.settle()
    prefs = {p["name"]: p["value"] for p in world.client_of(key)["preferences"]}
    assert prefs == {"Ring size": "6", "Metal": "Gold"}, "mapped keys only go up"
    world.cb.update_client(
        world.client_of(key)["id"],
        {
            "preferences": [
                {"name": "Ring size", "value": "6.5"},
                {"name": "Favourite stone", "value": "Opal"},
            ]
        },
        "as_12",
    )
    world.settle()
    edge = world.edge.customers[key]
    assert edge["CustomerKey1"] == "6.5", "the preference came down into its custom field"
    assert edge["CustomerKey5"] == "not mapped"
    assert "Opal" not in str(edge), "an unmapped preference never comes down"


@pytest.mark.rule("CB-4")
def test_custom_field_edits_on_both_sides_merge_key_by_key(world: World):
    key = add(world, "Lucas", "Moore", "lucas@example.com", CustomerKey1="7", CustomerKey2="Silver")
    world.settle()
    world.edge.edit_customer(key, CustomerKey2="Platinum")
    world.cb.update_client(
        world.client_of(key)["id"],
        {"preferences": [{"name": "Ring size", "value": "7.5"}]},
        "as_12",
    )
    world.settle()
    assert world.edge.customers[key]["CustomerKey1"] == "7.5"
    prefs = {p["name"]: p["value"] for p in world.client_of(key)["preferences"]}
    assert prefs == {"Ring size": "7.5", "Metal": "Platinum"}


# -- CB-5: acquisition is create-only from the platform --------------------------------------


@pytest.mark.rule("CB-5")
def test_acquisition_uploads_from_edge(world: World):
    key = add(world, "Henry", "Wilson", "henry@example.com", CustomerAcquisition="Walk-in")
    world.settle()
    assert world.client_of(key)["acquisition"] == "Walk-in"


@pytest.mark.rule("CB-5")
def test_clientbook_acquisition_never_overwrites_edge(world: World):
    key = add(world, "Amelia", "Thomas", "amelia@example.com", CustomerAcquisition="Referral")
    world.settle()
    world.cb.update_client(world.client_of(key)["id"], {"acquisition": "Instagram"}, "as_12")
    world.settle()
    assert world.edge.customers[key]["CustomerAcquisition"] == "Referral"


@pytest.mark.rule("CB-5")
def test_acquisition_comes_down_for_a_customer_new_to_edge(world: World):
    world.cb.create_client(
        {
            "first_name": "Isla",
            "last_name": "Reid",
            "email": "isla@example.com",
            "acquisition": "Bridal show",
        },
        "as_12",
    )
    world.settle()
    [isla] = world.edge_by_name("Isla", "Reid")
    assert isla["CustomerAcquisition"] == "Bridal show"


@pytest.mark.rule("CB-5")
def test_matched_existing_edge_customer_does_not_take_platform_acquisition(world: World):
    key = add(world, "Evie", "Hall", "evie@example.com")  # no acquisition in Edge
    world.cb.create_client(
        {
            "first_name": "Evie",
            "last_name": "Hall",
            "email": "evie@example.com",
            "acquisition": "Instagram",
        },
        "as_12",
    )
    world.settle()
    assert world.edge.customers[key].get("CustomerAcquisition") in (None, "")


@pytest.mark.rule("G-3", "G-1")
def test_one_way_download_matches_existing_pos_customers_before_creating(make_world):
    world = make_world({"flows": {"customer": {"direction": "platform_to_pos"}}})
    key = add(world, "Ruth", "Bader", "ruth@example.com")
    world.settle()
    world.cb.create_client(
        {"first_name": "Ruth", "last_name": "Bader", "email": "RUTH@example.com"}, "as_12"
    )
    world.settle()
    assert len(world.edge.customers) == 1, "matched the Edge customer, not duplicated"
    assert world.client_of(key)["email"] == "RUTH@example.com"
    assert len(world.clients()) == 1, "and nothing went up against the direction"


@pytest.mark.rule("G-3", "G-1")
def test_one_way_upload_matches_existing_platform_customers_before_creating(make_world):
    world = make_world({"flows": {"customer": {"direction": "pos_to_platform"}}})
    client = world.cb.create_client(
        {"first_name": "Sol", "last_name": "Reyes", "email": "sol@example.com"}, "as_12"
    )
    key = add(world, "Sol", "Reyes", "Sol@Example.com")
    world.settle()
    assert len(world.clients()) == 1, "matched the Clientbook client, not duplicated"
    assert world.client_of(key)["id"] == client["id"]
    assert len(world.edge.customers) == 1
