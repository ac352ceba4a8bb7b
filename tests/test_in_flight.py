"""Writes in flight (``framework/engine/in_flight.py``): several on the wire, orders kept.

How the writes are cut into units for the lanes is checked directly (a client's wishes never
in two lanes: both would find no wish collection and both would make one); then the engine
uploads wishes to a Clientbook fake served over HTTP, so lanes really overlap, with a slow
collection creation, and every client ends with one collection holding all its wishes.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from fakes.clientbook import ClientbookState, make_app
from fakes.toolkit import FaultPlan, FaultRule, FaultState
from framework.engine.in_flight import units
from framework.state.store import Intent
from tests.harness import API_KEY, served_upload

CUSTOMERS = 14
WISHES = 3  # 42 wishes, one batch a client (Clientbook: 5 a batch), 8 in flight


def intent(seq: int, entity: str, link: int, customer: str | None = None) -> Intent:
    record = {"customer": customer} if customer else {}
    return Intent(seq, "store", entity, "platform", link, {"record": record}, None, None, 0)


def test_a_parents_children_share_a_unit_and_batches_stay_whole():
    wishes = [intent(n, "wish", n, f"cl_{n // 3}") for n in range(9)]  # 3 clients, 3 wishes
    cut = units(wishes, batch_size=4)
    assert [[[i.seq for i in call] for call in unit] for unit in cut] == [
        [[0, 1, 2]],
        [[3, 4, 5]],
        [[6, 7, 8]],
    ], "a client's wishes are never split between two lanes"
    customers = [intent(n, "customer", n) for n in range(250)]
    assert [len(unit[0]) for unit in units(customers, batch_size=100)] == [100, 100, 50]
    notes = [intent(n, "note", n, "cl_1" if n < 3 else f"cl_{n}") for n in range(5)]
    assert [[[i.seq for i in call] for call in unit] for unit in units(notes, 1)] == [
        [[0], [1], [2]],
        [[3]],
        [[4]],
    ], "one client's notes in one lane, in journal order"


@pytest.mark.rule("CB-6", "G-6")
def test_writes_in_flight_make_one_wish_collection_per_client(tmp_path: Path):
    state = ClientbookState(api_key=API_KEY)
    state.add_associate("as_12", "Maria Lopez", "12")
    slow = FaultRule(kind="slow", delay=0.05, rate=1.0, path="/v1/collections", methods=["POST"])
    app = make_app(state, FaultState(FaultPlan(rules=[slow])))
    report = served_upload(tmp_path, app, CUSTOMERS, WISHES)
    assert report.errors == []
    assert report.counts["wish.create.platform"] == CUSTOMERS * WISHES
    made = Counter(c["client_id"] for c in state.collections.records.values())
    assert len(made) == CUSTOMERS
    assert set(made.values()) == {1}, "one Edge collection per client"
    items = Counter(i["client_id"] for i in state.items.records.values())
    assert set(items.values()) == {WISHES}
