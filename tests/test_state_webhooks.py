"""The store's webhook block (``StateStore``): the durable inbox of events, and the counts.

Written against the interface only and run on every store: SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from framework.state.sqlite import SQLiteStore
from framework.state.store import StateStore
from tests.services import postgres_schema

STORES: dict[str, Callable[[Path], StateStore]] = {
    "sqlite": lambda tmp: SQLiteStore(tmp / "state.db"),
}


@pytest.fixture(params=[*sorted(STORES), "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    if request.param == "postgres":
        from framework.state.postgres import PostgresStore

        schemas = postgres_schema()
        schema = next(schemas)
        pg = PostgresStore(schema.url, schema=schema.schema, tenant="shop")
        yield pg
        pg.close()
        next(schemas, None)
        return
    made = STORES[request.param](tmp_path)
    yield made
    made.close()


def _add(store: StateStore, event_id: str, pair: str = "p", at: float = 100.0) -> bool:
    return store.add_notification(pair, "square", event_id, "customer", "updated", ["C1"], 1.0, at)


def test_an_event_is_kept_once_per_pair_and_a_repeat_is_a_duplicate(store: StateStore):
    assert _add(store, "e1")
    assert not _add(store, "e1"), "the same event id again is a duplicate"
    assert _add(store, "e1", pair="q"), "another pair keeps its own"
    [kept] = store.pending_notifications("p")
    assert (kept.system, kept.event_id, kept.entity, kept.kind) == (
        "square",
        "e1",
        "customer",
        "updated",
    )
    assert kept.record_ids == ["C1"]
    assert kept.occurred_at == 1.0


def test_consumed_events_are_not_pending_but_still_refuse_their_replays(store: StateStore):
    _add(store, "e1")
    _add(store, "e2")
    pending = store.pending_notifications("p")
    assert [n.event_id for n in pending] == ["e1", "e2"], "oldest first"
    store.notifications_done([pending[0].id], run_id=7)
    assert [n.event_id for n in store.pending_notifications("p")] == ["e2"]
    assert not _add(store, "e1"), "a replay of a consumed event is a duplicate"
    assert store.prune_notifications(before=50.0) == 0
    assert store.prune_notifications(before=200.0) == 1, "only consumed ones go"
    assert [n.event_id for n in store.pending_notifications("p")] == ["e2"]


def test_kept_events_survive_reopening_the_store(tmp_path: Path):
    first = SQLiteStore(tmp_path / "state.db")
    _add(first, "e1")
    first.close()
    again = SQLiteStore(tmp_path / "state.db")
    assert [n.event_id for n in again.pending_notifications("p")] == ["e1"]
    again.close()


def test_counts_and_the_last_notification_per_system(store: StateStore):
    store.count_webhook("square", "received", last=(10.0, "rejected", None))
    store.count_webhook("square", "rejected")
    store.count_webhook("square", "received", last=(20.0, "verified", "e9"))
    store.count_webhook("square", "verified")
    store.count_webhook("square", "duplicates", 3)
    store.count_webhook("podium", "runs")
    podium, square = store.webhook_stats()
    assert square.counts == {
        "received": 2,
        "verified": 1,
        "rejected": 1,
        "duplicates": 3,
        "runs": 0,
    }
    assert (square.last_at, square.last_status, square.last_event) == (20.0, "verified", "e9")
    assert podium.counts["runs"] == 1
    assert podium.last_at is None
    with pytest.raises(ValueError, match="unknown webhook counter"):
        store.count_webhook("square", "bogus")
