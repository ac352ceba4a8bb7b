"""A chunk's look-ups read at once (issue 17, ``chunk.py``) decide every record as before.

The runner reads a chunk's staged changes, open problems and records kept apart in one
statement each (links and shadows a window of records at a time), and hands each record
its own when it asks. Here the real engine runs
against the fakes, on both stores, in runs where records of one chunk change what later
ones look up (two new customers sharing an e-mail, a problem filed in one run and
superseded in the next, a linked pair changed on both sides, records kept apart, a note
parked behind its customer, then staged again with it); every answer the chunk's reads
give is checked, when it is given, against what the store answers at that moment
(``Checked``), and each run's outcome is asserted as the rules say.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from framework.engine import runner
from framework.engine.chunk import ChunkReads
from framework.engine.held import held_back
from framework.ops import links as link_ops
from framework.state.store import InboxEntry, Problem
from tests.harness import World

SELECTED = {"flows": {"customer": {"pos_filter": [{"field": "sync_flag", "eq": True}]}}}
NO_CREATES = {"flows": {"customer": {"create_on_pos": False, "create_on_platform": False}}}


class Checked(ChunkReads):
    """The chunk's reads, each answer compared with the store's own at that moment."""

    served: dict[str, int] = {}

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)

    def _count(self, what: str) -> None:
        Checked.served[what] = Checked.served.get(what, 0) + 1

    def staged(self, entity: str, side: str, record_id: str) -> list[InboxEntry] | None:
        found = super().staged(entity, side, record_id)
        if found is not None:
            assert found == self.store.inbox_for(self.pair, entity, side, record_id)
            self._count("staged")
        return found

    def problems(self, entity: str, side: str, record_id: str) -> list[Problem] | None:
        found = super().problems(entity, side, record_id)
        if found is not None:
            assert found == self.store.problems_of(self.pair, entity, side, record_id)
            self._count("problems" if found else "no_problems")
        return found

    def own_record(self, entity: str, side: str, record_id: str) -> tuple[bool, Any]:
        read, rec = super().own_record(entity, side, record_id)
        if read:
            assert rec == self.store.record(self.pair, entity, side, record_id)
            self._count("record" if rec else "no_record")
        return read, rec

    def own_link(self, entity: str, side: str, record_id: str) -> tuple[bool, Any]:
        read, link = super().own_link(entity, side, record_id)
        if read:
            assert link == self.store.link_by_id(self.pair, entity, side, record_id)
            self._count("link" if link else "no_link")
        return read, link

    def parent(self, entity: str, side: str, record_id: str) -> tuple[bool, Any]:
        read, other_id = super().parent(entity, side, record_id)
        if read:
            link = self.store.link_by_id(self.pair, entity, side, record_id)
            there = "platform" if side == "pos" else "pos"
            assert other_id == (link.id_on(there) if link else None)
            self._count("parent")
        return read, other_id

    def apart(self, entity: str, side: str, record_id: str) -> set[str] | None:
        found = super().apart(entity, side, record_id)
        if found is not None:
            assert found == self.store.kept_apart(self.pair, entity, side, record_id)
            self._count("apart" if found else "not_apart")
        return found


@pytest.fixture(params=["sqlite", "postgres"])
def make(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """Worlds on either store, every chunk's reads checked (``Checked``)."""
    monkeypatch.setattr(runner, "ChunkReads", Checked)
    Checked.served = {}
    settings = None
    if request.param == "postgres":
        settings = {"state": request.getfixturevalue("pg").state("shop-1")}
    made: list[World] = []

    def world(overrides: dict[str, Any] | None = None) -> World:
        w = World(tmp_path / f"w{len(made)}", overrides, settings=settings)
        made.append(w)
        return w

    yield world
    for w in made:
        w.close()


@pytest.mark.rule("G-3", "G-5")
def test_two_new_customers_sharing_an_email_in_one_chunk_then_told_apart(make):
    world: World = make()
    pat = world.edge.add_customer("Pat", "Smith", emails=[("Home", "shared@example.com")])
    sam = world.edge.add_customer("Sam", "Smith", emails=[("Home", "shared@example.com")])
    world.settle()
    [client] = world.clients()
    assert world.edge_key_of(client["id"]) == pat, "the first in feed order is created"
    [problem] = world.problems()
    assert (problem.side, problem.record_id) == ("pos", sam), "the second is not: a duplicate"
    world.edge.customers[sam]["Emails"][0]["PairValue"]["EmailEmail"] = "sam@example.com"
    world.edge.edit_customer(sam)
    world.settle()
    assert world.problems() == [], "its readable change superseded the problem (G-5)"
    assert world.client_of(sam)["email"] == "sam@example.com"
    assert len(world.clients()) == 2
    assert Checked.served.get("problems", 0) >= 1, "the open problem came with the chunk"
    assert Checked.served["staged"] >= 2
    assert Checked.served["no_problems"] >= 2
    assert Checked.served["no_link"] >= 2
    assert Checked.served["no_record"] >= 2


@pytest.mark.rule("G-4")
def test_a_linked_customer_changed_on_both_sides_in_one_run(make):
    world: World = make()
    key = world.edge.add_customer("Ada", "Lovelace", emails=[("Home", "ada@example.com")])
    world.settle()
    client = world.client_of(key)
    world.edge.edit_customer(key, CustomerLastName="King")
    world.cb.update_client(client["id"], {"email": "augusta@example.com"}, "as_12")
    world.settle()
    assert world.client_of(key)["last_name"] == "King"
    assert "augusta@example.com" in world.edge_emails(key)
    assert world.engine.store.links_count("store", "customer") == 1
    assert world.engine.store.inbox_count("store") == 0
    assert Checked.served["link"] >= 1, "the link came with the window"
    assert Checked.served["record"] >= 1


@pytest.mark.rule("G-3")
def test_records_kept_apart_are_read_with_their_chunk(make):
    world: World = make(NO_CREATES)
    key = world.edge.add_customer("Ann", "Ray", emails=[("Home", "ann@example.com")])
    world.cb.create_client(
        {"first_name": "Ann", "last_name": "Ray", "email": "ann@example.com"}, "as_12"
    )
    world.settle()
    client = world.client_of(key)["id"]
    link_ops.unlink(world.engine.store, "store", "customer", key, keep_apart=True)
    world.edge.edit_customer(key, CustomerLastName="Ray-Smith")
    world.settle()
    assert world.link_of("customer", "pos", key) is None, "kept apart: not matched again"
    assert world.cb.clients.get(client)["last_name"] == "Ray"
    assert Checked.served.get("apart", 0) >= 1, "the pair kept apart came with the chunk"


@pytest.mark.rule("CB-1", "G-5")
def test_a_note_parked_behind_its_customer_then_staged_again_with_it(make):
    world: World = make(SELECTED)
    key = world.edge.add_customer(
        "Noor", "Haddad", emails=[("Home", "noor@example.com")], xfer=False
    )
    first = world.edge.add_note(key, "Prefers white gold")
    world.edge.add_note(key, "Size 6")
    world.edge.run_cycle()
    world.edge.edit_note(first, "Prefers rose gold")  # staged twice, in one chunk
    parked = world.sync()
    assert parked.counts["note.parked.parent_out_of_scope"] == 2, "each note parked once"
    assert Checked.served["staged"] >= 3
    world.settle()
    assert world.clients() == []
    assert held_back(world.engine.store, "store") == [
        "2 note record(s) waiting for a parent out of scope (CB-1: not selected)"
    ]
    world.edge.edit_customer(key, CustomerXfer=True)
    world.settle()
    notes = world.notes_of(world.client_of(key)["id"])
    assert sorted(n["text"] for n in notes) == ["Prefers rose gold", "Size 6"]
    assert held_back(world.engine.store, "store") == []
    assert world.engine.store.inbox_count("store") == 0
    assert Checked.served["parent"] >= 2, "the customer's link came with the chunk"
