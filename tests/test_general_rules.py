"""General rules the engine owns: deletes (G-7) and idempotence (G-6), with Edge and Clientbook."""

from __future__ import annotations

import pytest

from framework.models import Customer, Email, WriteOp, WriteRequest
from tests.harness import World


@pytest.mark.rule("G-7")
def test_platform_delete_unlinks_and_is_reported_never_deleting_the_pos_record(world: World):
    key = world.edge.add_customer("Del", "Eted", emails=[("Home", "del@example.com")])
    world.settle()
    client = world.client_of(key)
    world.cb.clients.delete(client["id"], "as_12")
    report = world.settle()
    assert world.edge.customers[key]["CustomerInactive"] is False, "not deleted in Edge"
    link = world.engine.store.link_by_id("store", "customer", "pos", key)
    assert link is not None
    assert link.status == "deleted_on_platform"
    unlinks = [m for r in world.reports for m in r.moves_sample if m.action == "unlink"]
    assert unlinks
    assert unlinks[0].rules == ("G-7",)
    world.edge.edit_customer(key, CustomerKey1="5")
    world.settle()
    assert not [c for c in world.clients() if c["email"] == "del@example.com"], (
        "never silently re-created"
    )
    assert report.errors == []


@pytest.mark.rule("G-7")
def test_pos_delete_does_not_delete_the_platform_record(world: World):
    key = world.edge.add_customer("Gone", "Fromedge", emails=[("Home", "gone@example.com")])
    world.settle()
    client_id = world.client_of(key)["id"]
    world.edge.edit_customer(key, CustomerInactive=True)
    world.settle()
    assert world.cb.clients.get(client_id)["email"] == "gone@example.com"
    link = world.engine.store.link_by_id("store", "customer", "pos", key)
    assert link is not None
    assert link.status == "deleted_on_pos"


@pytest.mark.rule("G-7")
def test_propagating_deletes_when_the_flow_says_so(make_world):
    world = make_world({"flows": {"customer": {"deletes": "propagate"}}})
    key = world.edge.add_customer("Prop", "Agate", emails=[("Home", "prop@example.com")])
    world.settle()
    client_id = world.client_of(key)["id"]
    world.edge.edit_customer(key, CustomerInactive=True)
    world.settle()
    with pytest.raises(KeyError):
        world.cb.clients.get(client_id)


@pytest.mark.rule("G-6")
def test_the_same_create_applied_twice_leaves_one_record(world: World):
    system = world.engine.systems["clientbook"]
    request = WriteRequest(
        entity="customer",
        op=WriteOp.CREATE,
        record=Customer(first_name="Once", emails=[Email(address="once@example.com")]),
        idempotency_key="the-same-key",
    )
    first = world.engine.hooks.apply_change(system, request)
    second = world.engine.hooks.apply_change(system, request)
    assert first.id == second.id
    assert [c["email"] for c in world.clients()] == ["once@example.com"]


@pytest.mark.rule("G-6")
def test_edge_import_replayed_does_not_make_a_second_customer(world: World):
    system = world.engine.systems["edge"]
    request = WriteRequest(
        entity="customer",
        op=WriteOp.CREATE,
        link_key="cl_000777",
        record=Customer(first_name="Twice", emails=[Email(address="twice@example.com")]),
        idempotency_key="k",
    )
    world.engine.hooks.apply_change(system, request)
    world.engine.hooks.apply_change(system, request)  # a replay after a crash
    for _ in range(2):
        world.edge.run_cycle()
    assert len(world.edge_by_name("Twice", None)) == 1  # type: ignore[arg-type]


@pytest.mark.rule("G-6", "G-5")
def test_a_journaled_write_left_by_a_dead_run_is_replayed_without_duplicating(world: World):
    for i in range(3):
        world.edge.add_customer(f"J{i}", "Journal", emails=[("Home", f"j{i}@example.com")])
    world.edge.run_cycle()
    runner_apply = world.engine.hooks.apply_batch

    def dies_after_sending(system, requests):  # the process dies after the platform wrote
        runner_apply(system, requests)
        raise KeyboardInterrupt

    world.engine.hooks.apply_batch = dies_after_sending  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        world.engine.run_pair("store")
    assert len(world.engine.store.intents("store")) == 3, "the writes stayed journaled"
    assert world.engine.store.runs("store")[0].status == "failed"
    world.engine.hooks.apply_batch = runner_apply  # type: ignore[method-assign]
    report = world.engine.run_pair("store")
    assert report.counts["journal.replayed"] == 3
    assert len(world.clients()) == 3, "replayed with the same idempotency keys: no duplicate"
    assert world.engine.store.intents("store") == []
