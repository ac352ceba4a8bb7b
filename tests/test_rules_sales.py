"""CB-8: Edge sales history -> Clientbook client purchases, one way; sold items and service
jobs as archived products."""

from __future__ import annotations

import orjson
import pytest

from fakes.edge import EdgeFake
from tests.harness import World


def customer(world: World) -> str:
    return world.edge.add_customer("Alan", "Turing", emails=[("Home", "alan@example.com")])


@pytest.mark.rule("CB-8")
def test_sales_history_uploads_as_client_purchases_with_sold_items_archived(world: World):
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
    purchases = sorted(world.purchases_of(world.client_of(key)["id"]), key=lambda p: p["reference"])
    assert [(p["sku"], p["amount"], p["quantity"], p["description"]) for p in purchases] == [
        (ring, "2999.00", 1, "Solitaire ring"),
        (chain, "450.00", 2, "Rope chain"),
        (None, "25.00", 1, "Engraving"),
    ]
    assert [p["reference"] for p in purchases] == ["001-000011", "001-000012", "001-000013"]
    by_sku = {p["sku"]: p for p in world.cb.products.live()}
    assert by_sku[ring]["archived"], "sold: an archived product"
    assert by_sku[chain]["archived"]
    assert by_sku[chain]["special_order"], "a sold, picked-up special order"
    assert len(by_sku) == 2, "no product for a line without an item, none twice"
    assert {m.rules for m in world.moves("purchase") if m.action == "create"} == {("CB-8",)}


@pytest.mark.rule("CB-8", "CB-10")
def test_an_uploaded_item_once_sold_is_the_same_product_archived(world: World):
    key = customer(world)
    ring = world.edge.add_item("Solitaire ring", price=3200.0, category="Rings")
    world.settle()
    [product] = world.cb.products.live()
    assert product["archived"] is False
    world.edge.add_sale(key, [{"item": ring, "amount": 3200.0}])
    world.settle()
    [sold] = world.cb.products.live()
    assert (sold["id"], sold["archived"], sold["category"]) == (product["id"], True, "Rings")
    [purchase] = world.purchases_of(world.client_of(key)["id"])
    assert purchase["product_id"] == product["id"]


@pytest.mark.rule("CB-8")
def test_each_service_job_gets_a_placeholder_archived_product_with_its_details(world: World):
    key = customer(world)
    repair = world.edge.add_job(key, "Repair", "Resize ring", description="Size 6 to 7, 14k")
    world.edge.add_job(key, "Custom", "Pendant from grandmother's stone")
    world.edge.add_job(key, "Appraisal", "Insurance appraisal")
    world.settle()
    jobs = sorted(
        (p for p in world.cb.products.live() if p["kind"] == "service_job"),
        key=lambda p: p["sku"],
    )
    assert [p["sku"] for p in jobs] == ["JOB-A1003", "JOB-C1002", "JOB-R1001"]
    assert all(p["archived"] for p in jobs)
    repair_product = jobs[2]
    assert repair_product["title"] == "Repair R1001: Resize ring"
    assert repair_product["description"] == "Size 6 to 7, 14k"
    assert repair_product["details"]["status"] == "Not Ready"
    assert repair_product["details"]["kind"] == "repair"
    purchases = world.purchases_of(world.client_of(key)["id"])
    assert sorted(p["reference"] for p in purchases if p["kind"] == "service_job") == [
        "A1003",
        "C1002",
        "R1001",
    ]
    world.edge.set_job_status(repair, "Done")
    world.settle()
    assert world.cb.products.get(repair_product["id"])["details"]["status"] == "Done"
    assert len(world.purchases_of(world.client_of(key)["id"])) == 3, "updated, not added"


@pytest.mark.rule("CB-8", "G-1")
def test_purchases_never_flow_back_to_edge(world: World):
    key = customer(world)
    world.edge.add_sale(key, [{"desc": "Watch battery", "amount": 12.0}])
    world.settle()
    client_id = world.client_of(key)["id"]
    [purchase] = world.purchases_of(client_id)
    world.cb.update_purchase(purchase["id"], {"amount": "1.00", "description": "Edited"}, "as_12")
    world.cb.create_purchase({"client_id": client_id, "description": "Bought online"}, "as_12")
    before = {k: dict(v) for k, v in world.edge.tables["Transaction"].records.items()}
    report = world.settle()
    assert world.edge.tables["Transaction"].records == before
    assert not any("Transaction" in p.name for p in world.edge.processed.iterdir())
    assert report.counts["purchase.read.platform"] == 0, "the platform side is never read"
    assert world.cb.purchases.get(purchase["id"])["description"] == "Edited", "left alone"


@pytest.mark.rule("CB-8", "G-2")
def test_a_split_transaction_export_is_read_in_order_part_by_part(make_world):
    world = make_world()
    world.edge.split = 7  # EDT splits long exports into numbered parts
    key = customer(world)
    for sale in range(10):
        world.edge.add_sale(
            key, [{"desc": f"Sale {sale} line {n}", "amount": 10.0} for n in (1, 2)]
        )
    world.edge.run_cycle()
    parts = sorted(p.name for p in world.edge.inbox.glob("*Transaction.json"))
    assert len(parts) == 3
    assert parts[0].startswith("1-")
    world.reports.append(world.engine.run_pair("store"))
    world.settle()
    descriptions = sorted(p["description"] for p in world.purchases_of(world.client_of(key)["id"]))
    assert descriptions == sorted(f"Sale {s} line {n}" for s in range(10) for n in (1, 2))
    created = [m.record.split("=")[0] for m in world.moves("purchase") if m.action == "create"]
    assert created == sorted(world.edge.tables["Transaction"].records), "part 1, then 2, then 3"


@pytest.mark.rule("CB-8", "G-7")
def test_a_voided_line_is_reported_and_its_purchase_stays(world: World):
    key = customer(world)
    [line] = world.edge.add_sale(key, [{"desc": "Gift wrap", "amount": 5.0}])
    world.settle()
    world.edge.void_line(line)
    world.settle()
    assert len(world.purchases_of(world.client_of(key)["id"])) == 1
    assert world.link_of("purchase", "pos", line).status == "deleted_on_pos"


@pytest.mark.rule("CB-8", "G-5")
def test_a_malformed_sale_line_is_quarantined_and_the_rest_upload(world: World):
    key = customer(world)
    world.edge.add_sale(key, [{"desc": "Good", "amount": 10.0}, {"desc": "Bad", "amount": "n/a"}])
    world.settle()
    assert [p["description"] for p in world.purchases_of(world.client_of(key)["id"])] == ["Good"]
    [problem] = world.problems()
    assert problem.entity == "purchase"
    assert "'n/a' is not an amount" in problem.reason
    assert problem.record_id == "001-000012"


def test_the_fake_writes_split_transaction_parts_as_edt_documents(tmp_path):
    edge = EdgeFake(tmp_path, split=2)
    key = edge.add_customer("A", "B")
    edge.add_sale(key, [{"desc": "x", "amount": 1.0}] * 3)
    names = edge.run_cycle()
    parts = [n for n in names if n.endswith("Transaction.json")]
    assert parts == [
        "1-2026-11-23-09-15-00-FullTransaction.json",
        "2-2026-11-23-09-15-00-FullTransaction.json",
    ]
    body = orjson.loads((edge.inbox / parts[0]).read_bytes())
    assert [r["Key"] for r in body["SaleLines"]] == ["001-000011", "001-000012"]


@pytest.mark.rule("CB-8")
def test_sales_history_alone_uploads_sold_items_as_archived_products(make_world):
    world = make_world({"flows": {"product": {"direction": "off"}}})
    key = customer(world)
    ring = world.edge.add_item("Solitaire ring", price=3200.0)
    world.edge.add_sale(key, [{"item": ring, "amount": 3200.0}])
    world.settle()
    [product] = world.cb.products.live()
    assert (product["sku"], product["archived"], product["title"]) == (ring, True, "Solitaire ring")


@pytest.mark.rule("CB-8", "G-6", "G-5")
def test_a_purchase_batch_left_journaled_by_a_dead_run_is_replayed_without_duplicates(
    world: World,
):
    key = customer(world)
    world.settle()
    ring = world.edge.add_item("Solitaire ring", price=3200.0)
    world.edge.add_sale(key, [{"item": ring, "amount": 3200.0}, {"desc": "Box", "amount": 5.0}])
    world.edge.run_cycle()
    apply_batch = world.engine.hooks.apply_batch

    def dies_after_sending(system, requests):  # the process dies after Clientbook wrote
        results = apply_batch(system, requests)
        if requests[0].entity == "purchase":
            raise KeyboardInterrupt
        return results

    world.engine.hooks.apply_batch = dies_after_sending  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        world.engine.run_pair("store")
    world.engine.hooks.apply_batch = apply_batch  # type: ignore[method-assign]
    assert len(world.engine.store.intents("store", "purchase")) == 2
    report = world.engine.run_pair("store")
    assert report.counts["journal.replayed"] == 2
    world.settle()
    assert len(world.purchases_of(world.client_of(key)["id"])) == 2, "no duplicate"
    assert len([p for p in world.cb.products.live() if p["sku"] == ring]) == 1
    assert world.engine.store.intents("store") == []
