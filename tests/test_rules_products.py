"""CB-10: Edge inventory -> Clientbook products, one way, with the store's filters."""

from __future__ import annotations

import pytest

from tests.harness import World

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


@pytest.mark.rule("CB-10")
def test_on_hand_inventory_uploads_as_products(world: World):
    item = world.edge.add_item(
        "Sapphire halo ring",
        category="Rings",
        vendor="Stuller",
        price=1850.0,
        ItemDescMemo=", platinum, 1.2 ct",
        ItemImage="a.jpg|b.jpg",
    )
    world.settle()
    [product] = world.cb.products.live()
    assert {k: product[k] for k in ("sku", "title", "category", "vendor", "price")} == {
        "sku": item,
        "title": "Sapphire halo ring",
        "category": "Rings",
        "vendor": "Stuller",
        "price": "1850.00",
    }
    assert product["description"] == "Sapphire halo ring, platinum, 1.2 ct"
    assert product["images"] == ["a.jpg", "b.jpg"]
    assert (product["archived"], product["inventory_type"], product["kind"]) == (
        False,
        "stock",
        "item",
    )
    assert [m.rules for m in world.moves("product")] == [("CB-10",)]


@pytest.mark.rule("CB-10")
def test_filtered_categories_vendors_and_inventory_types_never_upload(make_world):
    world = make_world(FILTERS)
    kept = world.edge.add_item("Gold hoops")
    world.edge.add_item("Ring repair", category="Repairs")
    world.edge.add_item("Gift card $50", category="Gift cards")
    world.edge.add_item("House brand pendant", vendor="House")
    world.edge.add_item("Memo diamond", inventory_type="Memo")
    world.edge.add_item("Consigned Rolex", inventory_type="Consignment")
    world.edge.add_item("Traded-in band", inventory_type="Trade")
    report = world.settle()
    assert [p["sku"] for p in world.cb.products.live()] == [kept]
    assert sum(r.counts["product.out_of_scope"] for r in world.reports) == 6
    assert report.errors == []


@pytest.mark.rule("CB-10")
def test_an_item_that_enters_the_filter_scope_uploads_then(make_world):
    world = make_world(FILTERS)
    item = world.edge.add_item("Memo diamond", inventory_type="Memo")
    world.settle()
    assert list(world.cb.products.live()) == []
    world.edge.edit_item(item, ItemInvType="Stock")  # the store bought it from the vendor
    world.settle()
    assert [p["sku"] for p in world.cb.products.live()] == [item]


@pytest.mark.rule("CB-10")
def test_sold_items_and_picked_up_special_orders_are_archived_products(world: World):
    sold = world.edge.add_item("Vintage brooch", status="S")
    picked_up = world.edge.add_item("Custom band", special_order=True, status="S")
    world.edge.add_item("Ordered band, not picked up", special_order=True, status="O")
    on_hand = world.edge.add_item("Pearl strand")
    world.settle()
    products = {p["sku"]: p for p in world.cb.products.live()}
    assert set(products) == {sold, picked_up, on_hand}, "a pending special order stays in Edge"
    assert products[sold]["archived"]
    assert products[picked_up]["archived"]
    assert products[picked_up]["special_order"]
    assert not products[on_hand]["archived"]
    world.edge.edit_item(on_hand, ItemStatus="S")
    world.settle()
    assert world.cb.products.get(products[on_hand]["id"])["archived"] is True


@pytest.mark.rule("CB-10", "G-1")
def test_clientbook_product_edits_never_flow_back_to_edge(world: World):
    item = world.edge.add_item("Gold hoops", price=300.0)
    world.settle()
    [product] = world.cb.products.live()
    world.cb.update_product(product["id"], {"title": "Hoops (edited)", "price": "1.00"}, "as_12")
    world.cb.create_product({"title": "Clientbook-only product", "sku": "CB-1"}, "as_12")
    before = dict(world.edge.tables["ItemList"].records[item])
    report = world.settle()
    assert world.edge.tables["ItemList"].records[item] == before
    assert set(world.edge.tables["ItemList"].records) == {item}
    assert report.counts["product.read.platform"] == 0
    world.edge.edit_item(item, ItemCurrentPrice=320.0)
    world.settle()
    updated = world.cb.products.get(product["id"])
    assert (updated["price"], updated["title"]) == ("320.00", "Hoops (edited)"), (
        "only the field Edge changed is written"
    )
