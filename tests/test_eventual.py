"""Eventual consistency: a platform that queues creates (202, no id) and shows them later.

The fake Clientbook's queued-create mode (``docs/clientbook-api.md``): a create answers
``202`` and the client appears in the feed, search and by id only once the queue ran. The
engine keeps a placeholder link meanwhile and adopts the client when it shows up, by its
match keys or by the fingerprint of what was sent (no key needed); the next runs, before
and after it shows up, must create nothing twice (G-2, G-3, G-6).
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from fakes.clientbook import ClientbookState, make_app
from fakes.toolkit import SyncASGITransport
from framework.cli.fake import parse_option
from tests.harness import World
from tests.test_journal import die_when_writing


def later(world: World, seconds: float) -> None:
    world.cb.clock.offset += dt.timedelta(seconds=seconds)


def add_store(world: World) -> dict[str, str]:
    edge = world.edge
    return {
        "mail": edge.add_customer("Ada", "Mail", emails=[("Home", "ada@example.com")]),
        "phone": edge.add_customer("Bo", "Phone", phones=[("Cell", "2175550142")]),
        "bare": edge.add_customer("Cy", "Bare", CustomerKey1="7", CustomerAcquisition="Walk-in"),
        "pat": edge.add_customer("Pat", "Smith", emails=[("Home", "smiths@example.com")]),
        "sam": edge.add_customer("Sam", "Smith", emails=[("Home", "smiths@example.com")]),
    }


@pytest.mark.rule("G-2", "G-6", "G-3")
def test_queued_creates_are_adopted_when_they_show_up_never_duplicated(world: World):
    world.cb.queue_delay = 60
    keys = add_store(world)
    first = world.sync()
    # Sam shares Pat's e-mail: it matches Pat's client, queued but linked to Pat (G-3).
    assert first.counts["customer.create.platform"] == 4
    assert first.counts["customer.matches_linked"] == 1
    assert world.clients() == [], "queued: nothing visible yet"
    assert len(world.cb.queue) == 4
    for _ in range(2):
        world.sync()  # runs before the queue has run: nothing sent again
    assert len(world.cb.queue) == 4
    assert sum(r.counts["customer.create.platform"] for r in world.reports) == 4
    later(world, 61)
    world.settle()
    assert len(world.clients()) == 4, "each customer once"
    assert len(world.edge.customers) == 5, "no queued client came down as a new customer"
    sam = keys.pop("sam")
    for name, key in keys.items():
        client = world.client_of(key)
        assert client["first_name"] == world.edge.customers[key]["CustomerFirstName"], name
    [problem] = world.problems()
    assert (problem.rule, problem.record_id) == ("G-3", sam)
    assert "already linked to " + keys["pat"] in problem.reason
    quiet = world.sync()
    writes = {k: v for k, v in quiet.counts.items() if k.split(".")[1] in ("create", "update")}
    assert writes == {}


@pytest.mark.rule("G-5", "CB-4")
def test_an_edit_while_the_create_is_queued_waits_then_goes(world: World):
    world.cb.queue_delay = 60
    key = world.edge.add_customer("Di", "Wait", CustomerKey1="5")
    world.sync()
    world.edge.edit_customer(key, CustomerKey1="6")
    report = world.sync()
    assert report.counts["customer.deferred"] == 1, "no id to address yet: the change waits"
    assert world.engine.store.inbox_count("store") == 1
    later(world, 61)
    world.settle()
    assert world.client_of(key)["preferences"] == [{"name": "Ring size", "value": "6"}]
    assert len(world.clients()) == 1
    assert world.engine.store.inbox_count("store") == 0


@pytest.mark.rule("G-5", "G-6")
def test_a_queued_create_replayed_after_a_dead_run_is_queued_once(world: World):
    world.cb.queue_delay = 60
    key = world.edge.add_customer("Eve", "Replay", CustomerKey1="8")
    world.edge.run_cycle()
    restore = die_when_writing(world, after_sending=True)
    with pytest.raises(KeyboardInterrupt):
        world.engine.run_pair("store")
    restore()
    world.sync()  # replays the create: same idempotency key, the same 202
    assert len(world.cb.queue) == 1
    later(world, 61)
    world.settle()
    assert len(world.clients()) == 1
    assert world.client_of(key)["first_name"] == "Eve"


def test_the_fakes_queued_mode_follows_the_contract():
    state = ClientbookState(api_key="k", queue_delay=30)
    client = httpx.Client(
        base_url="http://cb.test",
        transport=SyncASGITransport(make_app(state)),
        headers={"authorization": "Bearer k", "idempotency-key": "once"},
    )
    body = {"first_name": "Q", "email": "q@example.com"}
    first = client.post("/v1/clients", json=body)
    assert first.status_code == 202
    assert first.json() == {"status": "queued", "idempotency_key": "once"}
    assert client.post("/v1/clients", json=body).status_code == 202, "queued once"
    assert client.get("/v1/clients", params={"email": "q@example.com"}).json()["data"] == []
    refused = client.post("/v1/clients", json={"email": "nobody"}, headers={"idempotency-key": "x"})
    assert refused.status_code == 422, "refused at once, not when the queue runs"
    state.clock.offset += dt.timedelta(seconds=31)
    found = client.get("/v1/clients", params={"email": "q@example.com"}).json()["data"]
    assert [c["first_name"] for c in found] == ["Q"]
    again = client.post("/v1/clients", json=body)
    assert again.status_code == 201
    assert again.json()["id"] == found[0]["id"]
    assert parse_option("queue_delay=5") == ("queue_delay", 5)
    assert parse_option("mode=slow") == ("mode", "slow")
