"""Write while reading (``framework/engine/early.py``): the first writes go out while later
pages are still read, and every record is decided as the whole read would decide it.

The engine drives the Edge fake (read 5 customers a page) and the Clientbook fake over HTTP
(in-process transport). Clientbook's client count is looked at from the run's progress,
each time a page of the feed has been read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from framework.engine import early
from framework.engine.early import EarlyMatcher
from framework.engine.flows import Side
from framework.models import CanonicalRecord
from tests.harness import World

PAGE = {"page_size": 5}
ONE_AT_A_TIME = {"clientbook": {"in_flight": 1}}  # each page's writes made before the next read
CUSTOMERS = 30


def upload(world: World) -> list[tuple[int, int]]:
    """One run; (customers read so far, clients on Clientbook then) at each page read."""
    seen: list[tuple[int, int]] = []

    def progress(phase: str, entity: str, done: int, total: int | None) -> None:
        if phase == "fetch" and entity == "customer":
            seen.append((done, len(world.clients())))

    world.edge.run_cycle()
    world.reports.append(world.engine.run_pair("store", progress))
    return seen


@pytest.mark.rule("G-2")
def test_the_first_creates_are_made_while_later_pages_are_still_read(tmp_path: Path):
    world = World(tmp_path, PAGE, ONE_AT_A_TIME)
    try:
        for n in range(CUSTOMERS):
            world.edge.add_customer("Page", f"Person{n:02d}", emails=[("Home", f"p{n}@ex.com")])
        seen = upload(world)
        report = world.reports[-1]
        assert report.errors == []
        made_while_reading = [made for done, made in seen if 0 < done < CUSTOMERS]
        assert max(made_while_reading) >= CUSTOMERS // 2, (
            f"clients were created only once the whole feed was read: {seen}"
        )
        assert report.counts["customer.create.platform"] == CUSTOMERS
        assert len(world.clients()) == CUSTOMERS, "each customer created once"
        assert world.problems() == []
    finally:
        world.close()


@pytest.mark.rule("G-3", "SQ-2")
def test_a_match_with_a_rival_on_a_later_page_is_still_reported_never_guessed(tmp_path: Path):
    """Edge holds the same person twice, on page 1 and on page 5; Clientbook holds one.

    Read whole, all three are ambiguous (each matches two records opposite, or its one
    candidate matches another). Reconciled page by page without care, the first would be
    linked to the client on page 1 (its rival not read yet) and the second reported as a
    duplicate: a guess. The record whose keys find a client waits for the whole read.
    """
    world = World(tmp_path, PAGE, ONE_AT_A_TIME)
    try:
        twins = []
        for n in range(CUSTOMERS):
            email = "same.person@ex.com" if n in (1, 22) else f"p{n}@ex.com"
            key = world.edge.add_customer("Twin", f"Person{n:02d}", emails=[("Home", email)])
            if n in (1, 22):
                twins.append(key)
        world.cb.create_client(
            {"first_name": "Same", "last_name": "Person", "email": "Same.Person@ex.com"}, "as_12"
        )
        seen = upload(world)
        assert world.reports[-1].errors == []
        assert max(made for done, made in seen if 0 < done < CUSTOMERS) > 1, "pipelined"
        ambiguous = [p for p in world.problems() if p.rule == "G-3" and "ambiguous" in p.reason]
        assert len(ambiguous) == 3, [p.reason for p in world.problems()]
        assert all(world.link_of("customer", "pos", key) is None for key in twins), (
            "neither Edge record linked to a guess"
        )
        same = [c for c in world.clients() if (c.get("email") or "").lower().startswith("same")]
        assert len(same) == 1, "no copy made on Clientbook"
        assert len(world.clients()) == CUSTOMERS - 2 + 1
    finally:
        world.close()


def tangled(world: World) -> None:
    """Customers that see each other: shared e-mails and phones, on Edge and on Clientbook."""
    phone = "5550001111"
    for n in range(CUSTOMERS):
        emails = [("Home", "kim@ex.com" if n in (0, 17) else f"t{n}@ex.com")]
        phones = [("Mobile", phone)] if n in (0, 12, 26) else []
        if n == 12:
            emails = []
        world.edge.add_customer("Tangled", f"Person{n:02d}", emails=emails, phones=phones)
    for n, email in ((0, "kim@ex.com"), (1, "t5@ex.com"), (2, "t29@ex.com")):
        world.cb.create_client(
            {"first_name": "Client", "last_name": f"N{n}", "email": email}, "as_12"
        )


def outcome(world: World) -> tuple[object, ...]:
    store = world.engine.store
    names = {k: c["CustomerLastName"] for k, c in world.edge.customers.items()}
    links = sorted(
        (names.get(r.id, r.id), r.link_id is not None)
        for r in store.all_records("store", "customer")
        if r.side == "pos"
    )
    problems = sorted((p.rule, names.get(p.record_id, p.record_id)) for p in world.problems())
    clients = sorted((c.get("email") or "", c["last_name"]) for c in world.clients())
    return links, problems, clients


@pytest.mark.rule("G-3", "SQ-2")
def test_page_by_page_decides_as_the_whole_read(tmp_path: Path):
    """The same store uploaded read whole (one page) and five customers a page: same result."""
    results = []
    for name, pair in (("whole", {"page_size": 1000}), ("paged", PAGE)):
        world = World(tmp_path / name, pair, ONE_AT_A_TIME)
        try:
            tangled(world)
            seen = upload(world)
            assert world.reports[-1].errors == []
            if name == "paged":
                assert max(made for done, made in seen if 0 < done < CUSTOMERS) > 3
            results.append(outcome(world))
        finally:
            world.close()
    whole, paged = results
    assert paged == whole
    assert len(whole[1]) >= 2, "the tangle is reported (G-3), not guessed"


class Checked(EarlyMatcher):
    """The matcher taking ``takes``'s "nothing opposite" answer, checked against the store."""

    reused = 0

    def find(self, target: Side, keys: dict[str, list[str]]) -> list[str]:
        found = super().find(target, keys)
        store = self.s.store.find_by_keys(self.s.pair, self.s.entity, target, keys)
        assert found == store, f"{keys}: {found} answered, the store holds {store}"
        if self._none is not None and not found:
            Checked.reused += 1
        return found


@pytest.mark.rule("G-3", "SQ-2")
def test_a_record_taken_early_is_matched_without_looking_its_keys_up_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """``takes`` found nothing opposite sharing a key: its match answers the same (each
    answer checked against the store's at that moment), and the tangle is still decided
    as the whole read decides it (the test above compares the two)."""
    monkeypatch.setattr(early, "EarlyMatcher", Checked)
    Checked.reused = 0
    world = World(tmp_path, PAGE, ONE_AT_A_TIME)
    try:
        tangled(world)
        upload(world)
        assert world.reports[-1].errors == []
        assert Checked.reused >= 10, "the new customers' matches took takes's answer"
        assert len(outcome(world)[1]) >= 2, "the tangle is reported (G-3), not guessed"
    finally:
        world.close()


class Validated(EarlyMatcher):
    """Checks each record matching takes is the one validating its staged JSON gives."""

    from_page = 0

    def record(self, side: Side, change: dict[str, Any]) -> CanonicalRecord:
        held = self.validated
        got = super().record(side, change)
        again = self.s.model.model_validate(change["record"])
        assert got == again, f"{change['id']}: not the record its staged JSON holds"
        if held is not None and got is held[1][1]:
            Validated.from_page += 1
        return got


@pytest.mark.rule("G-3")
def test_a_record_read_on_the_page_is_matched_without_validating_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Issue 17: the record its connector validated on the page just read is the one
    matched (each checked equal to validating its staged JSON), not validated again."""
    monkeypatch.setattr(early, "EarlyMatcher", Validated)
    Validated.from_page = 0
    world = World(tmp_path, PAGE, ONE_AT_A_TIME)
    try:
        for n in range(CUSTOMERS):
            world.edge.add_customer(
                "Once",
                f"Person{n:02d}",
                emails=[("Home", f"o{n}@ex.com")],
                phones=[("Cell", f"21755501{n:02d}")],
            )
        upload(world)
        assert world.reports[-1].errors == []
        assert Validated.from_page == CUSTOMERS, "every new customer matched as read"
        assert len(world.clients()) == CUSTOMERS
    finally:
        world.close()
