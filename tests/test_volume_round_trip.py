"""G-6 at volume: a customer with 50 wishes, 200 notes and 300 sales round-trips exactly.

Both sides' contents are compared in full after the data has moved, and again after a
second and a third run, which must find nothing to write.
"""

from __future__ import annotations

import pytest

from tests.harness import World
from tests.scenarios import add_clientbook_side, busy_customer, clientbook_side, edge_side

WRITES = ("create", "update", "delete")


def writes(world: World, since: int) -> dict[str, int]:
    return {
        k: v
        for r in world.reports[since:]
        for k, v in r.counts.items()
        if v and k.split(".")[1] in WRITES
    }


def assert_exact(world: World, busy) -> None:
    edge_wishes, edge_notes = edge_side(world, busy)
    items, cb_notes, purchases = clientbook_side(world, busy)
    assert edge_wishes == busy.wishes, "Edge's wish list: every wish, once"
    assert items == busy.wishes, "the Edge collection: every wish, once"
    assert edge_notes == busy.notes
    assert cb_notes == busy.notes
    assert purchases == busy.purchases, "every sale line once, with its amount and item"
    archived = {p["sku"] for p in world.cb.products.live() if p["archived"]}
    assert busy.sold_items <= archived


@pytest.mark.rule("G-6", "CB-6", "CB-7", "CB-8")
def test_50_wishes_200_notes_300_sales_round_trip_with_nothing_lost_or_doubled(world: World):
    busy = busy_customer(world)
    world.settle(runs=2)
    add_clientbook_side(world, busy)
    world.settle(runs=5)  # down to Edge: EDT imports on its second run, then the echo
    assert world.problems() == []
    assert_exact(world, busy)
    assert len(world.cb.items.records) == 50, "no tombstone, no duplicate item"
    assert len(world.cb.purchases.records) == 300
    assert len([a for a in world.cb.activity.records.values() if a["type"] == "note"]) == 200
    assert len(world.edge.tables["WishList"].records) == 50
    assert len(world.edge.tables["NoteList"].records) == 200
    for entity, n in (("wish", 50), ("note", 200), ("purchase", 300)):
        assert world.engine.store.links_count("store", entity) == n

    versions = world.versions()
    outbox = sorted(p.name for p in world.edge.outbox.iterdir())
    settled = len(world.reports)
    for _ in ("second run", "third run"):
        world.sync()
        assert writes(world, settled) == {}, "a run with nothing changed writes nothing"
        assert world.versions() == versions, "no Clientbook record was written again"
        assert sorted(p.name for p in world.edge.outbox.iterdir()) == outbox, "no Edge import"
        assert_exact(world, busy)
