"""A group of settling writes reads its records' open problems at once (``settle_group.py``).

A write that succeeds makes the refused writes of the same fields moot (``covered``, G-5);
the group reads the open problems of the records its applied writes settle in one statement
and hands each record its own once. Here the real engine settles, in one group, an applied
write covering a refused one, a write the platform refuses again (a problem filed in the
group) and a plain applied write; every answer the group's read gives is checked against the
store's own at that moment (``Checked``), on both stores, and the outcome as G-5 says.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from framework.engine import settle
from framework.engine.settle_group import Group, Write
from framework.state.store import Link, Problem, StateStore
from tests.harness import World
from tests.test_settle_group import BAD_MAP


class Checked(Group):
    """The group's read-ahead problems, each answer compared with the store's at that moment."""

    served: dict[str, int] = {}
    store: StateStore | None = None
    pair = ""

    @classmethod
    def read(
        cls, store: StateStore, pair: str, writes: Sequence[Write], links: dict[int, Link]
    ) -> Group:
        cls.store, cls.pair = store, pair
        return super().read(store, pair, writes, links)

    def problems_of(self, entity: str, side: str, record_id: str) -> list[Problem] | None:
        found = super().problems_of(entity, side, record_id)
        if found is not None:
            assert self.store is not None
            assert found == self.store.problems_of(self.pair, entity, side, record_id)
            key = "problems" if found else "no_problems"
            Checked.served[key] = Checked.served.get(key, 0) + 1
        return found


@pytest.fixture(params=["sqlite", "postgres"])
def make(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """A world on either store, writing one at a time, every group's problems checked."""
    monkeypatch.setattr(settle, "Group", Checked)
    Checked.served = {}
    settings = None
    if request.param == "postgres":
        settings = {"state": request.getfixturevalue("pg").state("shop-1")}
    world = World(tmp_path / "w", BAD_MAP, {"clientbook": {"in_flight": 1}}, settings=settings)
    yield world
    world.close()


@pytest.mark.rule("G-5")
def test_a_group_covers_a_refused_write_while_another_write_of_it_is_refused(make):
    world: World = make
    keys = {
        name: world.edge.add_customer(name, "Group", emails=[("Home", f"{name}@example.com")])
        for name in ("fixed", "refused", "plain")
    }
    world.settle()
    world.edge.edit_customer(keys["fixed"], CustomerKey3="Opal")  # its preference's name: 422
    world.settle()
    fixed = world.client_of(keys["fixed"])["id"]
    [parked] = world.problems()
    assert (parked.side, parked.record_id) == ("platform", fixed)
    served = dict(Checked.served)

    # One group: the refused preference dropped and the ring size written (covers it), the
    # same preference refused on another customer, a third customer's plain update.
    world.edge.edit_customer(keys["fixed"], CustomerKey3="", CustomerKey1="8")
    world.edge.edit_customer(keys["refused"], CustomerKey3="Ruby")
    world.edge.edit_customer(keys["plain"], CustomerKey1="9")
    report = world.sync()
    assert report.errors == []
    refused = world.client_of(keys["refused"])["id"]
    [still] = world.problems()
    assert (still.side, still.record_id) == ("platform", refused), "the new refusal stays"
    resolved = world.engine.store.problem(parked.id)
    assert resolved is not None
    assert resolved.resolved_at is not None, "covered by the ring size's write (G-5)"
    for name, size in (("fixed", "8"), ("plain", "9")):
        assert world.client_of(keys[name])["preferences"] == [{"name": "Ring size", "value": size}]
    # The covered problem came with the group's read, as did the plain write's none.
    assert Checked.served.get("problems", 0) == served.get("problems", 0) + 1
    assert Checked.served.get("no_problems", 0) >= served.get("no_problems", 0) + 1
    world.settle()
    assert [p.id for p in world.problems()] == [still.id], "nothing else filed or resolved"
