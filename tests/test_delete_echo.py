"""A propagated delete is not propagated back when its tombstone is read back (G-4, G-7)."""

from __future__ import annotations

import pytest


@pytest.mark.rule("G-7", "G-4")
def test_a_propagated_delete_is_made_once_and_its_read_back_is_an_echo(make_world):
    world = make_world({"flows": {"customer": {"deletes": "propagate", "rule": "CB-2"}}})
    key = world.edge.add_customer("Prop", "Agate", emails=[("Home", "prop@example.com")])
    world.settle()
    client_id = world.client_of(key)["id"]
    world.edge.edit_customer(key, CustomerInactive=True)
    world.settle(runs=4)  # the delete, then its tombstone read back from Clientbook
    deletes = [m for m in world.moves("customer") if m.action == "delete"]
    assert [(m.toward, m.rules) for m in deletes] == [("platform", ("G-7", "CB-2"))]
    assert world.engine.store.link_by_id("store", "customer", "pos", key).status == "deleted"
    assert all(
        "CustomerInactive" not in path.read_text()
        for path in world.edge.processed.glob("*CustomerList.json")
    ), "no delete was sent back to Edge"
    with pytest.raises(KeyError):
        world.cb.clients.get(client_id)
