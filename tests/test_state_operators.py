"""The state store's operators' block (history, held writes, kept apart, scratch).

Written against the ``StateStore`` interface and run on both stores (SQLite and PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from framework.state.sqlite import SQLiteStore
from framework.state.store import HistoryEntry, StateStore
from tests.services import postgres_schema


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> Iterator[StateStore]:
    if request.param == "sqlite":
        s: StateStore = SQLiteStore(":memory:")
        yield s
        s.close()
        return
    from framework.state.postgres import PostgresStore

    schemas = postgres_schema()
    made = next(schemas)
    pg = PostgresStore(made.url, schema=made.schema, tenant="shop")
    yield pg
    pg.close()
    next(schemas, None)


def test_history_by_link_or_either_id_newest_first_and_filtered(store: StateStore):
    link = store.add_link("p", "customer", "K1", "C1", None)
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    store.add_history(
        [
            HistoryEntry("p", "customer", "create", "K1", "~x", link.id, at=t0),
            HistoryEntry("p", "customer", "update", "K1", "C1", link.id, field="emails", at=t0),
            HistoryEntry("p", "customer", "update", "K1", "C1", None, field="custom.Metal"),
            HistoryEntry("p", "customer", "update", "K2", "C2", None, field="emails"),
        ]
    )
    found = store.history("p", "customer", link_id=link.id, ids=["C1"])
    assert [e.action for e in found] == ["update", "update", "create"], "newest first"
    assert next(e.field for e in store.history("p", "customer", link_id=None, ids=["K1"])) == (
        "custom.Metal"
    )
    custom = store.history("p", "customer", link_id=link.id, ids=[], field="custom")
    assert [e.field for e in custom] == [None], "by link: the create (no field)"
    since = store.history(
        "p", "customer", link_id=link.id, ids=["K1"], since=t0 + dt.timedelta(days=1)
    )
    assert [e.field for e in since] == ["custom.Metal"]


def test_history_limit_takes_the_newest_across_link_and_ids(store: StateStore):
    """Entries found by the link, by the POS id and by the platform id interleave: a
    limit keeps the newest of all of them, however each way of finding them ranks."""
    link = store.add_link("p", "customer", "K1", "C1", None)
    ways = [(link.id, "~", "~"), (None, "K1", "~"), (None, "~", "C1"), (None, "K9", "C9")]
    store.add_history(
        [
            HistoryEntry("p", "customer", "update", pos, plat, link_id, field=f"f{n}")
            for n in range(12)
            for link_id, pos, plat in [ways[n % 4]]
        ]
    )
    found = store.history("p", "customer", link_id=link.id, ids=["K1", "C1"], limit=4)
    assert [e.field for e in found] == ["f10", "f9", "f8", "f6"], "newest 4, not K9's"
    ids = [e.id for e in found]
    assert ids == sorted(ids, reverse=True)


def test_prune_takes_only_old_entries_in_steps(store: StateStore):
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=100)
    store.add_history([HistoryEntry("p", "customer", "update", "K", at=old) for _ in range(7)])
    store.add_history([HistoryEntry("p", "customer", "update", "K")])
    cut = dt.datetime.now(dt.UTC) - dt.timedelta(days=90)
    assert store.prune_history(cut, 5) == 5
    assert store.prune_history(cut, 5) == 2
    assert store.prune_history(cut, 5) == 0
    assert store.history_count() == 1


def test_held_writes_are_not_pending_until_released(store: StateStore):
    seqs = [
        store.add_intent("p", "customer", "platform", None, {"op": "update"}, None, {})
        for _ in range(3)
    ]
    store.hold_intents(seqs[:1], 0, "blank", "awaiting the guard")
    store.hold_intents(seqs[1:2], 7, "blank", "1 update would blank")
    assert [i.seq for i in store.intents("p")] == seqs[2:]
    assert [(w.seq, w.run_id, w.kind) for w in store.held_intents("p")] == [(seqs[1], 7, "blank")]
    assert [w.seq for w in store.held_intents("p", 0)] == seqs[:1], "awaiting: asked for only"
    store.release_intents(seqs[:2])
    assert [i.seq for i in store.intents("p")] == seqs


def test_kept_apart_both_ways(store: StateStore):
    store.keep_apart("p", "customer", "K1", "C1")
    assert store.kept_apart("p", "customer", "pos", "K1") == {"C1"}
    assert store.kept_apart("p", "customer", "platform", "C1") == {"K1"}
    assert store.kept_apart("p", "customer", "pos", "K2") == set()


def test_scratch_is_a_copy_that_leaves_the_store_alone(store: StateStore):
    store.add_link("p", "customer", "K1", "C1", None)
    copy = store.scratch()
    try:
        assert copy.links_count("p") == 1
        copy.add_link("p", "customer", "K2", "C2", None)
        assert store.links_count("p") == 1
    finally:
        copy.close()
