"""Reading ahead in a process of its own (``framework/engine/read_ahead.py``, issue 17).

With ``[engine] read_ahead`` on, a long read of Edge's exports goes on in a child process a
page ahead of reconciling. What
is staged, linked and written must be exactly what reading in the engine's own process
gives; a child that dies mid-read leaves the engine to read the rest; a page read ahead is
not used once the engine has written to the system it reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from framework.engine import read_ahead
from framework.engine.read_ahead import Page, ReadAhead
from tests.harness import World

CUSTOMERS = 40  # 7 a page: 6 pages, the first read here, the rest ahead
OFF = {"engine": {"read_ahead": False}}  # the default
ON = {"engine": {"read_ahead": True}}


def upload(
    tmp: Path, settings: dict[str, Any] | None = None, customers: int = CUSTOMERS, page: int = 7
) -> tuple[World, list[Any]]:
    world = World(tmp, {"page_size": page}, settings=settings)
    for n in range(customers):
        phones = [("Cell", f"217555{n:04d}")] if n % 3 else []
        world.edge.add_customer(
            "Ahead", f"Person{n:02d}", emails=[("Home", f"a{n}@ex.com")], phones=phones
        )
    world.edge.add_customer("Bad", "Phone", phones=[("Cell", "not a phone")])
    world.edge.run_cycle()
    world.reports.append(world.engine.run_pair("store"))
    clients = sorted(
        (c["first_name"], c["last_name"], c.get("email"), c.get("phone")) for c in world.clients()
    )
    return world, clients


class Spy:
    """Counts the pages that came from a child, and can act on each."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, then: Any = None):
        self.pages = 0
        self.started = 0
        spy = self
        original_next, original_init = ReadAhead.next, ReadAhead.__init__

        def init(self: ReadAhead, *args: Any, **kwargs: Any) -> None:
            spy.started += 1
            original_init(self, *args, **kwargs)

        def next_page(self: ReadAhead) -> Page | None:
            page = original_next(self)
            if page is not None:
                spy.pages += 1
                if then is not None:
                    then(self, spy)
            return page

        monkeypatch.setattr(read_ahead.ReadAhead, "__init__", init)
        monkeypatch.setattr(read_ahead.ReadAhead, "next", next_page)


def state_of(world: World) -> tuple[Any, ...]:
    db = world.engine.store._db  # type: ignore[attr-defined]
    return (
        db.execute("SELECT COUNT(*) FROM links").fetchone()[0],
        db.execute("SELECT COUNT(*) FROM inbox").fetchone()[0],
        db.execute("SELECT cursor FROM cursors WHERE entity='customer' AND side='pos'").fetchall(),
        sorted(p.reason for p in world.problems()),
    )


def test_a_read_ahead_stages_and_writes_what_reading_here_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here, clients_here = upload(tmp_path / "here", OFF)
    spy = Spy(monkeypatch)
    ahead, clients_ahead = upload(tmp_path / "ahead", ON)
    try:
        assert spy.started == 1
        assert spy.pages == 5, "the pages after the first came from the child"
        assert len(clients_ahead) == CUSTOMERS
        assert clients_ahead == clients_here
        assert ahead.reports[-1].counts == here.reports[-1].counts
        assert state_of(ahead) == state_of(here)
        assert any("Phones[0]" in p.reason for p in ahead.problems()), "the bad phone reported"
    finally:
        here.close()
        ahead.close()


def test_a_child_that_dies_mid_read_leaves_the_rest_to_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def kill(child: ReadAhead, spy: Spy) -> None:
        if spy.pages == 1:
            child._process.kill()  # what a crash or an OOM kill does
            child._process.join()

    # Pages larger than a pipe holds: the child waits on each until it is taken.
    here, clients_here = upload(tmp_path / "here", OFF, customers=600, page=100)
    spy = Spy(monkeypatch, kill)
    ahead, clients_ahead = upload(tmp_path / "ahead", ON, customers=600, page=100)
    try:
        assert 1 <= spy.pages < 4, "the pages after the kill were read here"
        assert ahead.reports[-1].errors == []
        assert clients_ahead == clients_here
        assert state_of(ahead) == state_of(here)
    finally:
        here.close()
        ahead.close()


def test_a_page_read_ahead_is_not_used_once_the_engine_wrote_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from framework.engine.runner import PairRunner

    runners: list[PairRunner] = []
    original = PairRunner.__init__

    def keep(self: PairRunner, *args: Any) -> None:
        original(self, *args)
        runners.append(self)

    def wrote_to_edge(child: ReadAhead, spy: Spy) -> None:
        if spy.pages == 1:
            runners[-1].applier.writes_to["pos"] += 1  # as an import to Edge does

    monkeypatch.setattr(PairRunner, "__init__", keep)
    here, clients_here = upload(tmp_path / "here", OFF)
    spy = Spy(monkeypatch, wrote_to_edge)
    ahead, clients_ahead = upload(tmp_path / "ahead", ON)
    try:
        assert spy.pages == 1, "no page read ahead used after a write to Edge"
        assert clients_ahead == clients_here
        assert state_of(ahead) == state_of(here)
    finally:
        here.close()
        ahead.close()
