"""CB-6: Edge wish lists <-> the Clientbook collection named exactly "Edge", both ways.

Edge edits are made as a POS user would (``add_wish``/``edit_wish``/``remove_wish``),
Clientbook edits as a Clientbook user (``create_item``/``update_item`` with an associate id).
"""

from __future__ import annotations

import pytest

from fakes.toolkit import FaultRule
from tests.harness import World


def customer(world: World, email: str = "ada@example.com") -> str:
    return world.edge.add_customer("Ada", "Lovelace", emails=[("Home", email)])


def edge_collection(world: World, key: str) -> dict:
    [collection] = world.cb.collections_of(world.client_of(key)["id"], "Edge")
    return collection


@pytest.mark.rule("CB-6")
def test_stock_and_non_stock_wishes_upload_into_the_collection_named_edge(world: World):
    key = customer(world)
    item = world.edge.add_item("Opal pendant, 18in chain", price=1299.0)
    world.edge.add_wish(
        key, "Opal pendant, 18in chain", item_key=item, WishlistEventDesc="Birthday"
    )
    world.edge.add_wish(key, "Something with sapphires", WishlistBuyFor="Ada's sister")
    world.settle()
    client = world.client_of(key)
    items = sorted(world.collection_items(client["id"]), key=lambda i: i["title"])
    assert [(i["title"], i["sku"]) for i in items] == [
        ("Opal pendant, 18in chain", item),
        ("Something with sapphires", None),
    ]
    assert items[0]["occasion"] == "Birthday"
    assert items[1]["buy_for"] == "Ada's sister"
    assert [c["name"] for c in world.cb.collections_of(client["id"])] == ["Edge"]
    creates = [m for m in world.moves("wish") if m.action == "create"]
    assert [m.rules for m in creates] == [("CB-6",), ("CB-6",)]


@pytest.mark.rule("CB-6")
def test_every_wish_list_item_is_also_a_product(make_world):
    # The memo item is filtered out of the product upload (CB-10), yet wished for.
    world = make_world(
        {
            "flows": {
                "product": {
                    "pos_filter": [
                        {"field": "status", "in": ["on_hand", "sold"]},
                        {"field": "inventory_type", "not_in": ["memo"]},
                    ]
                }
            }
        }
    )
    key = customer(world)
    stock = world.edge.add_item("Tennis bracelet", price=2500.0, category="Bracelets")
    memo = world.edge.add_item("Memo emerald ring", inventory_type="Memo")
    world.edge.add_wish(key, "A bracelet like the tennis one", item_key=stock)
    world.edge.add_wish(key, "The emerald ring on memo", item_key=memo)
    world.edge.add_wish(key, "Pearl studs, 7 mm")
    world.settle()
    for item in world.collection_items(world.client_of(key)["id"]):
        product = world.cb.products.get(item["product_id"])
        assert product["sku"] == item["sku"]
    by_sku = {p["sku"]: p for p in world.cb.products.live()}
    assert by_sku[stock]["title"] == "Tennis bracelet", "the uploaded item keeps its own title"
    assert by_sku[stock]["category"] == "Bracelets"
    assert by_sku[memo]["title"] == "The emerald ring on memo", "made for the wish alone"
    [non_stock] = [p for p in world.cb.products.live() if p["kind"] == "wish"]
    assert non_stock["title"] == "Pearl studs, 7 mm"
    assert len(world.cb.products.records) == 3, "one product per item, none twice"


@pytest.mark.rule("CB-6", "G-8")
def test_clientbook_changes_to_the_edge_collection_come_back_to_edge(world: World):
    key = customer(world)
    world.edge.add_wish(key, "Opal pendant")
    world.settle()
    collection = edge_collection(world, key)
    studs = world.cb.create_product({"title": "Pearl studs", "sku": "001-200-00077"})
    added = world.cb.create_item(
        {"collection_id": collection["id"], "product_id": studs["id"], "occasion": "Anniversary"},
        "as_12",
    )
    [pendant] = [
        i for i in world.collection_items(collection["client_id"]) if i["id"] != added["id"]
    ]
    world.cb.update_item(pendant["id"], {"occasion": "Graduation"}, "as_77")
    world.settle()
    wishes = {w["WishlistItemDesc"]: w for w in world.edge.wishes_of(key)}
    assert set(wishes) == {"Opal pendant", "Pearl studs"}
    studs_wish = wishes["Pearl studs"]
    assert studs_wish["WishlistItemKey"] == "001-200-00077", "a stock wish: the product's SKU"
    assert studs_wish["WishlistEventDesc"] == "Anniversary"
    assert studs_wish["WishlistAssociate"] == 12, "added by Maria, Point of Sale ID 12"
    assert wishes["Opal pendant"]["WishlistEventDesc"] == "Graduation"
    assert wishes["Opal pendant"]["WishlistUpdateUser"] == "1", "Sam has no POS id: default"


@pytest.mark.rule("CB-6")
def test_edge_edits_of_a_wish_update_its_collection_item(world: World):
    key = customer(world)
    wish = world.edge.add_wish(key, "Opal pendant")
    world.settle()
    world.edge.edit_wish(wish, WishlistItemDesc="Opal pendant, white gold", WishlistBuyFor="Ada")
    world.settle()
    [item] = world.collection_items(world.client_of(key)["id"])
    assert (item["title"], item["buy_for"]) == ("Opal pendant, white gold", "Ada")


@pytest.mark.rule("CB-6")
def test_other_collections_never_move_either_way(world: World):
    key = customer(world)
    world.edge.add_wish(key, "Opal pendant")
    world.settle()
    client_id = world.client_of(key)["id"]
    ring = world.cb.create_product({"title": "Anniversary band"})
    for name in ("Anniversary", "edge", "Edge "):  # only exactly "Edge" is the wish list
        other = world.cb.create_collection({"client_id": client_id, "name": name}, "as_12")
        world.cb.create_item({"collection_id": other["id"], "product_id": ring["id"]}, "as_12")
    versions = world.versions()
    world.edge.add_wish(key, "Diamond studs")
    world.settle()
    descriptions = sorted(w["WishlistItemDesc"] for w in world.edge.wishes_of(key))
    assert descriptions == ["Diamond studs", "Opal pendant"], "nothing came down from others"
    for name in ("Anniversary", "edge", "Edge "):
        [other_item] = world.collection_items(client_id, name)
        assert versions[f"collection_items:{other_item['id']}"] == other_item["version"]
    assert sorted(i["title"] for i in world.collection_items(client_id)) == descriptions
    assert sum(r.counts["wish.deleted_unlinked"] for r in world.reports) == 0, "not even seen"


@pytest.mark.rule("CB-6", "G-7")
def test_a_wish_removed_in_edge_leaves_the_edge_collection(world: World):
    key = customer(world)
    wish = world.edge.add_wish(key, "Opal pendant")
    world.edge.add_wish(key, "Pearl studs")
    world.settle()
    world.edge.remove_wish(wish)
    world.settle()
    titles = [i["title"] for i in world.collection_items(world.client_of(key)["id"])]
    assert titles == ["Pearl studs"]
    assert [m.rules for m in world.moves("wish") if m.action == "delete"] == [("G-7", "CB-6")]


@pytest.mark.rule("CB-6", "G-7")
def test_a_wish_removed_from_the_edge_collection_is_removed_in_edge_and_kept(world: World):
    key = customer(world)
    wish = world.edge.add_wish(key, "Opal pendant")
    world.settle()
    [item] = world.collection_items(world.client_of(key)["id"])
    world.cb.items.delete(item["id"], "as_12")
    world.settle()
    assert world.edge.wishes_of(key) == [], "off the list"
    [kept] = world.edge.wishes_of(key, removed=True)
    assert kept["WishlistKey"] == wish
    assert kept["WishlistDateRemoved"], "Edge keeps the wish with its removal date"
    assert kept["WishlistUpdateUser"] == "12"


@pytest.mark.rule("CB-6")
def test_a_renamed_collection_is_no_longer_the_wish_list(world: World):
    key = customer(world)
    world.edge.add_wish(key, "Opal pendant")
    world.settle()
    old = edge_collection(world, key)
    world.cb.rename_collection(old["id"], {"name": "Old wishes"}, "as_12")
    world.settle()
    assert world.edge.wishes_of(key) == []
    world.edge.add_wish(key, "Pearl studs")
    world.settle()
    assert [i["title"] for i in world.cb.items_of(old["id"])] == ["Opal pendant"], "left alone"
    assert [i["title"] for i in world.collection_items(old["client_id"])] == ["Pearl studs"]


@pytest.mark.rule("CB-6")
def test_conflicting_edits_of_a_wish_edge_wins_both_sides(world: World):
    key = customer(world)
    wish = world.edge.add_wish(key, "Opal pendant", WishlistEventDesc="Birthday")
    world.settle()
    [item] = world.collection_items(world.client_of(key)["id"])
    world.edge.edit_wish(wish, WishlistEventDesc="Anniversary")
    world.cb.update_item(item["id"], {"occasion": "Graduation", "buy_for": "Ada"}, "as_12")
    world.settle()
    [edge_wish] = world.edge.wishes_of(key)
    [item] = world.collection_items(world.client_of(key)["id"])
    assert edge_wish["WishlistEventDesc"] == item["occasion"] == "Anniversary"
    assert edge_wish["WishlistBuyFor"] == item["buy_for"] == "Ada", "the other field merged"


@pytest.mark.rule("CB-6", "G-4")
def test_wishes_settle_without_ping_pong(world: World):
    key = customer(world)
    for i in range(5):
        world.edge.add_wish(key, f"Wish {i}")
    world.cb.create_client({"first_name": "Cloud", "email": "cloud@example.com"}, "as_12")
    world.settle(runs=4)
    client = world.client_by_email("cloud@example.com")
    collection = world.cb.create_collection({"client_id": client["id"], "name": "Edge"}, "as_12")
    product = world.cb.create_product({"title": "Ruby pendant"})
    world.cb.create_item({"collection_id": collection["id"], "product_id": product["id"]}, "as_12")
    world.settle(runs=4)
    versions = world.versions()
    calm = world.settle()
    writes = {k: v for k, v in calm.counts.items() if k.startswith("wish.") and "read" not in k}
    assert writes == {}
    assert world.versions() == versions
    [cloud] = world.edge_by_name("Cloud", None)  # type: ignore[arg-type]
    assert [w["WishlistItemDesc"] for w in world.edge.wishes_of(cloud["CustomerKey"])] == [
        "Ruby pendant"
    ]


@pytest.mark.rule("CB-6", "G-5")
def test_an_edge_export_older_than_our_pending_import_never_undoes_a_clientbook_edit(
    world: World,
):
    key = customer(world)
    wish = world.edge.add_wish(key, "Opal pendant", WishlistEventDesc="Birthday")
    world.settle()
    [item] = world.collection_items(world.client_of(key)["id"])
    world.cb.update_item(item["id"], {"occasion": "Graduation"}, "as_12")
    world.sync()  # the change goes to Outbox; EDT has not imported it yet
    world.edge.edit_wish(wish, WishlistBuyFor="Ada")  # Edge exports the wish before importing
    for _ in range(4):
        world.sync()
        assert world.cb.items.get(item["id"])["occasion"] == "Graduation", "never undone"
    [edge_wish] = world.edge.wishes_of(key)
    [item] = world.collection_items(world.client_of(key)["id"])
    assert edge_wish["WishlistEventDesc"] == item["occasion"] == "Graduation"
    assert edge_wish["WishlistBuyFor"] == item["buy_for"] == "Ada"


@pytest.mark.rule("CB-6", "G-6")
def test_replayed_wish_writes_make_one_wish_and_one_product_each(world: World):
    from framework.models import WishItem, WriteOp, WriteRequest

    key = customer(world)
    world.settle()
    client_id = world.client_of(key)["id"]
    for system, owner in (("edge", key), ("clientbook", client_id)):
        for n, item_key in enumerate(("001-100-00042", None)):
            request = WriteRequest(
                entity="wish",
                op=WriteOp.CREATE,
                link_key=f"ci_00077{n}",
                record=WishItem(customer=owner, description=f"Twice {n}", item_key=item_key),
                idempotency_key=f"same-{system}-{n}",
            )
            for _ in range(2):  # a replay after a crash
                world.engine.hooks.apply_change(world.engine.systems[system], request)
    for _ in range(2):
        world.edge.run_cycle()
    assert sorted(w["WishlistItemDesc"] for w in world.edge.wishes_of(key)) == [
        "Twice 0",
        "Twice 1",
    ]
    assert sorted(i["title"] for i in world.collection_items(client_id)) == ["Twice 0", "Twice 1"]
    assert len(world.cb.products.records) == 2, "the stock item's product and the wish's own"


@pytest.mark.rule("CB-6")
def test_the_stock_items_of_a_batch_of_wishes_are_upserted_in_one_call(world: World):
    # Every single-product upsert fails: the wishes still land, so their items went up
    # through the products' batch endpoint (one call for the batch, not one per wish).
    world.fail(FaultRule(kind="500", rate=1.0, path="/v1/products/by-sku", methods=["PUT"]))
    keys = [customer(world, f"ada{n}@example.com") for n in range(3)]
    items = [world.edge.add_item(f"Opal pendant {n}", price=100.0 + n) for n in range(3)]
    for key, item in zip(keys, items, strict=True):
        world.edge.add_wish(key, f"Opal pendant for {key}", item_key=item)
        if item != items[0]:
            world.edge.add_wish(key, "An opal pendant too", item_key=items[0])
    world.settle()
    assert world.problems() == []
    assert world.faults.summary()["injected"] == {}, "no single upsert was tried"
    for key, item in zip(keys, items, strict=True):
        skus = sorted(i["sku"] for i in world.collection_items(world.client_of(key)["id"]))
        assert skus == sorted({item, items[0]})
    by_sku = {p["sku"]: p for p in world.cb.products.live()}
    assert by_sku[items[1]]["title"] == "Opal pendant 1", "an uploaded item keeps its title"


@pytest.mark.rule("CB-6")
def test_when_the_batch_upsert_fails_each_wish_makes_sure_of_its_own_product(world: World):
    world.fail(FaultRule(kind="503", rate=1.0, path="/v1/products/batch"))
    keys = [customer(world, f"ada{n}@example.com") for n in range(2)]
    items = [world.edge.add_item(f"Opal pendant {n}", price=100.0) for n in range(2)]
    for key, item in zip(keys, items, strict=True):
        world.edge.add_wish(key, f"Opal pendant {item}", item_key=item)
    world.settle()
    assert world.problems() == []
    for key, item in zip(keys, items, strict=True):
        assert [i["sku"] for i in world.collection_items(world.client_of(key)["id"])] == [item]
