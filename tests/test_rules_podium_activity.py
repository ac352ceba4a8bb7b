"""Edge -> Podium, one way: sales (PD-4), appointments and service jobs (PD-5), items (PD-6).

Purchases, timeline events and product writes are Podium's partner endpoints, modelled in
``docs/podium-api.md``; the fake keeps them, the tests look at what Podium then shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.podium_world import PodiumWorld

FILTERS = {
    "flows": {
        "product": {
            "pos_filter": [
                {"field": "status", "in": ["on_hand", "sold"]},
                {"field": "category", "not_in": ["Repairs", "Gift cards"]},
                {"field": "vendor", "not_in": ["House"]},
                {"field": "inventory_type", "not_in": ["memo", "consignment", "trade"]},
            ]
        }
    }
}


@pytest.fixture
def make(tmp_path: Path) -> Iterator[Any]:
    made: list[PodiumWorld] = []

    def build(overrides: dict[str, Any] | None = None, **options: Any) -> PodiumWorld:
        world = PodiumWorld(tmp_path / f"w{len(made)}", overrides, **options)
        made.append(world)
        return world

    yield build
    for world in made:
        world.close()


@pytest.fixture
def world(make: Any) -> PodiumWorld:
    built: PodiumWorld = make()
    return built


def customer(world: PodiumWorld, email: str = "alan@example.com") -> str:
    return world.edge.add_customer("Alan", "Turing", emails=[("Home", email)])


def products(world: PodiumWorld) -> dict[str, dict[str, Any]]:
    """Podium's products by xid, as the API shows them."""
    world.pd.settle()
    return {r["xid"]: world.pd.product_public(r) for r in world.pd.products.live()}


def timeline(world: PodiumWorld, key: str) -> list[dict[str, Any]]:
    return world.pd.timeline_of(world.contact_of(key)["uid"])


def edge_files(world: PodiumWorld) -> set[str]:
    return {p.name for p in world.edge.outbox.rglob("*.json")}


# -- PD-4: sales history -> client purchases -----------------------------------------------------


@pytest.mark.rule("PD-4", "PD-6")
def test_sales_history_uploads_as_client_purchases_with_sold_items_archived(world: PodiumWorld):
    key = customer(world)
    ring = world.edge.add_item("Solitaire ring", price=3200.0)
    chain = world.edge.add_item("Rope chain", price=450.0, special_order=True)
    world.edge.add_sale(
        key,
        [
            {"item": ring, "amount": 2999.0},
            {"item": chain, "amount": 450.0, "qty": 2},
            {"desc": "Engraving", "amount": 25.0},
        ],
    )
    world.settle()
    purchases = sorted(
        world.pd.purchases_of(world.contact_of(key)["uid"]), key=lambda p: p["externalId"]
    )
    assert [
        (p["externalId"], p["productXid"], p["amount"], p["quantity"], p["description"])
        for p in purchases
    ] == [
        ("001-00001-1", ring, "2999.00", 1, "Solitaire ring"),
        ("001-00001-2", chain, "450.00", 2, "Rope chain"),
        ("001-00001-3", None, "25.00", 1, "Engraving"),
    ]
    assert all(p["purchasedAt"] for p in purchases)
    items = products(world)
    assert items[ring]["archivedAt"] is not None, "sold: an archived product"
    assert items[chain]["archivedAt"] is not None, "a sold, picked-up special order too"
    assert world.pd.products.get(world.pd.xids[chain])["special_order"] is True
    assert len(items) == 2, "no product for a line without an item"
    assert {m.rules for m in world.moves("purchase") if m.action == "create"} == {("PD-4",)}


@pytest.mark.rule("PD-4", "PD-6")
def test_every_sold_item_is_one_archived_product_that_each_sale_of_it_names(make: Any):
    """The product flow archives a sold item; its lines add no second product and skip no
    archive it still needs: a filtered-out item, or a line's special order the item lost."""
    world = make(FILTERS)
    key, other = customer(world), customer(world, "grace@example.com")
    ring = world.edge.add_item("Solitaire ring", price=3200.0)
    chain = world.edge.add_item("Rope chain", special_order=True)
    repair = world.edge.add_item("Ring repair", category="Repairs")  # never a product itself
    ordered = world.edge.add_item("Ordered pendant", special_order=True)
    world.edge.add_sale(
        key,
        [
            {"item": ring, "amount": 2999.0},
            {"item": chain, "amount": 450.0},
            {"item": repair, "amount": 60.0},
            {"item": ordered, "amount": 800.0},
            {"desc": "Engraving", "amount": 25.0},
        ],
    )
    world.edge.add_sale(other, [{"item": chain, "amount": 450.0}])  # a stock item sold again
    world.edge.edit_item(ordered, ItemSpecialOrder=False)  # the item lost the flag its line has
    world.settle()
    items = products(world)
    assert set(items) == {ring, chain, repair, ordered}, "one product per sold item"
    assert all(p["archivedAt"] for p in items.values()), "each sold item archived"
    special = {x: world.pd.products.get(world.pd.xids[x])["special_order"] for x in items}
    assert special == {ring: False, chain: True, repair: False, ordered: True}
    named = [
        p["productXid"]
        for k in (key, other)
        for p in world.pd.purchases_of(world.contact_of(k)["uid"])
    ]
    assert sorted(x for x in named if x) == sorted([ring, chain, chain, repair, ordered])
    assert named.count(None) == 1, "the engraving names no product"


@pytest.mark.rule("PD-4", "PD-6")
def test_an_item_back_on_hand_is_archived_again_by_its_next_sale(world: PodiumWorld):
    """What the connector remembers archiving is forgotten once the item is written unarchived."""
    key = customer(world)
    band = world.edge.add_item("Gold band")
    world.edge.add_sale(key, [{"item": band, "amount": 300.0}])
    world.settle()
    assert products(world)[band]["archivedAt"] is not None
    world.edge.edit_item(band, ItemStatus="I")  # returned: on hand again
    world.settle()
    assert products(world)[band]["archivedAt"] is None
    world.edge.add_sale(key, [{"item": band, "amount": 310.0}])
    world.edge.edit_item(band, ItemStatus="I")  # a stock item: still on hand after the sale
    world.settle()
    assert products(world)[band]["archivedAt"] is not None, "the new line archived it"
    assert len(world.pd.purchases_of(world.contact_of(key)["uid"])) == 2


@pytest.mark.rule("PD-4", "G-1")
def test_purchases_never_flow_back_to_edge(world: PodiumWorld):
    key = customer(world)
    world.edge.add_sale(key, [{"desc": "Watch battery", "amount": 12.0}])
    world.settle()
    uid = world.contact_of(key)["uid"]
    [purchase] = world.pd.purchases_of(uid)
    world.pd.purchases[uid]["bought-online"] = {**purchase, "externalId": "bought-online"}
    before = {k: dict(v) for k, v in world.edge.tables["Transaction"].records.items()}
    reports = [world.settle() for _ in range(2)]
    assert world.edge.tables["Transaction"].records == before
    assert not any("Transaction" in name for name in edge_files(world))
    assert sum(r.counts["purchase.read.platform"] for r in reports) == 0, "never read"


@pytest.mark.rule("PD-4")
def test_a_voided_line_leaves_the_purchase_and_is_reported(world: PodiumWorld):
    key = customer(world)
    [line] = world.edge.add_sale(key, [{"desc": "Watch battery", "amount": 12.0}])
    world.settle()
    world.edge.void_line(line)
    world.settle()
    assert len(world.pd.purchases_of(world.contact_of(key)["uid"])) == 1
    assert any(m.action == "unlink" for m in world.moves("purchase"))


# -- PD-5: appointments and service jobs on the Activity Timeline ------------------------------


@pytest.mark.rule("PD-5")
def test_appointments_show_created_updated_and_completed_with_full_details(world: PodiumWorld):
    key = customer(world)
    booked = world.edge.add_appointment(
        key,
        dt.datetime(2026, 12, 5, 14, 0),
        reason="Engagement ring consultation",
        notes="Oval cut, platinum",
    )
    world.settle()
    world.edge.edit_appointment(booked, AppointmentNotes="Oval cut, platinum; budget 6-8k")
    world.settle()
    world.edge.set_appointment_status(booked, "Completed")
    world.settle()
    events = timeline(world, key)
    assert [e["action"] for e in events] == ["created", "updated", "completed"]
    assert len({e["subject"]["externalId"] for e in events}) == 1, "one appointment's history"
    assert {e["subject"]["type"] for e in events} == {"appointment"}
    created, updated, completed = (e["details"] for e in events)
    assert created == {
        "startsAt": "2026-12-05T14:00:00Z",
        "endsAt": "2026-12-05T15:00:00Z",
        "status": "scheduled",
        "subject": "Engagement ring consultation",
        "notes": "Oval cut, platinum",
    }
    assert updated["notes"] == "Oval cut, platinum; budget 6-8k"
    assert completed["status"] == "completed"
    assert "Engagement ring consultation" in events[0]["title"]
    assert {m.rules for m in world.moves("appointment")} == {("PD-5",)}


@pytest.mark.rule("PD-5")
def test_service_jobs_show_each_status_with_summary_date_and_description(world: PodiumWorld):
    key = customer(world)
    job = world.edge.add_job(key, "Repair", "Resize ring", description="Size 6 to 7, 14k")
    world.settle()
    for status in ("Done", "Picked Up"):
        world.edge.set_job_status(job, status)
        world.settle()
    events = timeline(world, key)
    assert [e["action"] for e in events] == ["Not Ready", "Done", "Picked Up"]
    assert {e["subject"]["externalId"] for e in events} == {"R1001"}
    details = events[-1]["details"]
    assert details == {
        "jobNo": "R1001",
        "kind": "repair",
        "status": "Picked Up",
        "summary": "Resize ring",
        "dateEntered": details["dateEntered"],
        "description": "Size 6 to 7, 14k",
    }
    assert dt.date.fromisoformat(details["dateEntered"])
    assert events[0]["title"] == "Repair R1001 Not Ready: Resize ring"


@pytest.mark.rule("PD-5", "G-1")
def test_timeline_events_go_one_way_and_once(world: PodiumWorld):
    key = customer(world)
    world.edge.add_job(key, "Appraisal", "Insurance appraisal")
    world.edge.add_appointment(key, dt.datetime(2026, 12, 1, 10, 0), reason="Pick-up")
    world.settle()
    reports = [world.settle() for _ in range(2)]
    assert len(timeline(world, key)) == 2, "nothing sent twice"
    assert sum(r.counts["appointment.read.platform"] for r in reports) == 0
    assert sum(r.counts["service_job.read.platform"] for r in reports) == 0
    assert not any(("JobList" in n or "AppointmentList" in n) for n in edge_files(world))


@pytest.mark.rule("PD-5", "G-3")
def test_an_appointment_waits_for_its_customers_contact_to_show(make: Any):
    world = make(visibility_delay=600.0)
    key = customer(world)
    world.edge.add_appointment(key, dt.datetime(2026, 12, 2, 11, 0), reason="Watch service")
    waiting = world.sync()
    assert waiting.counts["appointment.deferred"] == 1, "its customer has no Podium uid yet"
    world.later(601)
    world.sync()
    world.later(601)
    world.sync()
    assert [e["action"] for e in timeline(world, key)] == ["created"]


@pytest.mark.rule("PD-5", "G-5")
def test_an_unreadable_appointment_is_quarantined_and_the_others_go_on(world: PodiumWorld):
    key = customer(world)
    bad = world.edge.add_appointment(key, dt.datetime(2026, 12, 3, 9, 0), status="Tentative")
    world.edge.add_appointment(key, dt.datetime(2026, 12, 4, 9, 0), reason="Watch band")
    world.settle()
    [problem] = world.problems()
    assert (problem.rule, problem.record_id) == ("G-5", bad)
    assert "AppointmentStatus 'Tentative'" in problem.reason
    assert [e["details"]["subject"] for e in timeline(world, key)] == ["Watch band"]


# -- PD-6: items -> products (Clientele+) -------------------------------------------------------


@pytest.mark.rule("PD-6")
def test_on_hand_items_upload_as_products_searchable_by_edge_item_number(world: PodiumWorld):
    item = world.edge.add_item(
        "Sapphire halo ring", price=1850.0, ItemDescMemo=", platinum", ItemImage="a.jpg|b.jpg"
    )
    world.settle()
    system = world.engine.systems["podium"]
    from plugins.podium.api import call  # the connector's own client: as a store would search

    [found] = call(system, "GET", "/v4/products", params={"xid": item})["data"]
    assert found["xid"] == item
    assert found["price"] == "1850.00"
    assert [i["url"] for i in found["images"]] == ["a.jpg", "b.jpg"]
    assert found["archivedAt"] is None
    assert [m.rules for m in world.moves("product")] == [("PD-6",)]


@pytest.mark.rule("PD-6", "G-1")
def test_generated_titles_and_descriptions_never_come_back_to_edge(world: PodiumWorld):
    item = world.edge.add_item("Gold hoops", price=300.0)
    world.settle()
    generated = products(world)[item]
    assert generated["name"] == "Gold hoops | Timeless Piece", "Podium titled it"
    assert generated["description"].startswith("Discover the gold hoops")
    before = dict(world.edge.tables["ItemList"].records[item])
    reports = [world.settle() for _ in range(2)]
    assert world.edge.tables["ItemList"].records[item] == before
    assert not any("ItemList" in n for n in edge_files(world)), "never imported into Edge"
    assert sum(r.counts["product.read.platform"] for r in reports) == 0, "never even read"
    world.edge.edit_item(item, ItemCurrentPrice=320.0)
    world.settle()
    after = products(world)[item]
    assert (after["price"], after["name"]) == ("320.00", generated["name"]), (
        "only what Edge changed is written"
    )
    assert world.edge.tables["ItemList"].records[item]["ItemDesc"] == "Gold hoops"


@pytest.mark.rule("PD-6")
def test_filtered_categories_vendors_and_inventory_types_never_upload(make: Any):
    world = make(FILTERS)
    kept = world.edge.add_item("Gold hoops")
    world.edge.add_item("Ring repair", category="Repairs")
    world.edge.add_item("Gift card $50", category="Gift cards")
    world.edge.add_item("House brand pendant", vendor="House")
    world.edge.add_item("Memo diamond", inventory_type="Memo")
    world.edge.add_item("Consigned Rolex", inventory_type="Consignment")
    world.edge.add_item("Traded-in band", inventory_type="Trade")
    report = world.settle()
    assert list(products(world)) == [kept]
    assert sum(r.counts["product.out_of_scope"] for r in world.reports) == 6
    assert report.errors == []


@pytest.mark.rule("PD-6")
def test_sold_items_and_picked_up_special_orders_are_archived_products(world: PodiumWorld):
    sold = world.edge.add_item("Vintage brooch", status="S")
    picked_up = world.edge.add_item("Custom band", special_order=True, status="S")
    world.edge.add_item("Ordered band, not picked up", special_order=True, status="O")
    on_hand = world.edge.add_item("Pearl strand")
    world.settle()
    items = products(world)
    assert set(items) == {sold, picked_up, on_hand}, "a pending special order stays in Edge"
    assert items[sold]["archivedAt"]
    assert items[picked_up]["archivedAt"]
    assert items[on_hand]["archivedAt"] is None
    world.edge.edit_item(on_hand, ItemStatus="S")
    world.settle()
    assert products(world)[on_hand]["archivedAt"] is not None
    assert len(products(world)) == 3, "the same product, archived"
