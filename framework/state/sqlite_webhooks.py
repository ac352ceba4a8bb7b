"""The SQLite store's webhook tables: the durable inbox of events, and counts per system."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from framework.state.sqlite_base import SQLiteBase
from framework.state.store import WEBHOOK_COUNTERS, StoredNotification, WebhookStats

WEBHOOK_SCHEMA = """
CREATE TABLE IF NOT EXISTS webhook_notifications (
    id INTEGER PRIMARY KEY, pair TEXT, system TEXT, event_id TEXT, entity TEXT, kind TEXT,
    record_ids TEXT, occurred_at REAL, received_at REAL, done INTEGER DEFAULT 0,
    run_id INTEGER, UNIQUE (pair, system, event_id));
CREATE INDEX IF NOT EXISTS webhook_pending ON webhook_notifications (pair, done, id);
CREATE TABLE IF NOT EXISTS webhook_counts (
    system TEXT, counter TEXT, n INTEGER, PRIMARY KEY (system, counter)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS webhook_last (
    system TEXT PRIMARY KEY, at REAL, status TEXT, event_id TEXT);
"""


class WebhookTables(SQLiteBase):
    """Mixed into :class:`SQLiteStore`; see ``StateStore``'s webhook block for the contract."""

    def add_notification(
        self,
        pair: str,
        system: str,
        event_id: str,
        entity: str,
        kind: str,
        record_ids: list[str],
        occurred_at: float | None,
        received_at: float,
    ) -> bool:
        """Keep one event for a targeted run of ``pair``; ``False`` when already kept."""
        with self.transaction():
            cur = self._db.execute(
                "INSERT OR IGNORE INTO webhook_notifications (pair, system, event_id, entity, "
                "kind, record_ids, occurred_at, received_at) VALUES (?,?,?,?,?,?,?,?)",
                (
                    pair,
                    system,
                    event_id,
                    entity,
                    kind,
                    orjson.dumps(record_ids).decode(),
                    occurred_at,
                    received_at,
                ),
            )
        return cur.rowcount == 1

    def pending_notifications(self, pair: str, limit: int = 5000) -> list[StoredNotification]:
        """Events not yet consumed by a run of ``pair``, oldest first."""
        rows = self._db.execute(
            "SELECT id, pair, system, event_id, entity, kind, record_ids, occurred_at, "
            "received_at, run_id FROM webhook_notifications WHERE pair=? AND done=0 "
            "ORDER BY id LIMIT ?",
            (pair, limit),
        )
        return [notification_of(r) for r in rows]

    def notifications_done(self, ids: list[int], run_id: int | None) -> None:
        """Mark events consumed by run ``run_id``."""
        with self.transaction():
            self._db.executemany(
                "UPDATE webhook_notifications SET done=1, run_id=? WHERE id=?",
                [(run_id, i) for i in ids],
            )

    def prune_notifications(self, before: float) -> int:
        """Forget consumed events received before ``before``."""
        with self.transaction():
            cur = self._db.execute(
                "DELETE FROM webhook_notifications WHERE done=1 AND received_at < ?", (before,)
            )
        return cur.rowcount

    def count_webhook(
        self,
        system: str,
        counter: str,
        n: int = 1,
        *,
        last: tuple[float, str, str | None] | None = None,
    ) -> None:
        """Add ``n`` to a system's ``counter``; ``last`` records its last notification."""
        if counter not in WEBHOOK_COUNTERS:
            raise ValueError(f"unknown webhook counter {counter!r}")
        with self.transaction():
            self._db.execute(
                "INSERT INTO webhook_counts VALUES (?,?,?) ON CONFLICT (system, counter) "
                "DO UPDATE SET n = n + excluded.n",
                (system, counter, n),
            )
            if last is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO webhook_last VALUES (?,?,?,?)", (system, *last)
                )

    def webhook_stats(self) -> list[WebhookStats]:
        """Every system's webhook counts and last notification."""
        return collect_stats(
            self._db.execute("SELECT system, counter, n FROM webhook_counts"),
            self._db.execute("SELECT system, at, status, event_id FROM webhook_last"),
        )


def collect_stats(counts: Iterable[Any], lasts: Iterable[Any]) -> list[WebhookStats]:
    """Each system's stats from its count rows and its last-notification row, by name."""
    found: dict[str, WebhookStats] = {}

    def of(system: str) -> WebhookStats:
        return found.setdefault(system, WebhookStats(system, dict.fromkeys(WEBHOOK_COUNTERS, 0)))

    for system, counter, n in counts:
        of(system).counts[counter] = int(n)
    for system, at, status, event_id in lasts:
        stats = of(system)
        stats.last_at, stats.last_status, stats.last_event = at, status, event_id
    return [found[name] for name in sorted(found)]


def notification_of(row: Any) -> StoredNotification:
    """A ``webhook_notifications`` row (id, pair, ... run_id) as a notification."""
    return StoredNotification(
        id=row[0],
        pair=row[1],
        system=row[2],
        event_id=row[3],
        entity=row[4],
        kind=row[5],
        record_ids=list(orjson.loads(row[6])),
        occurred_at=row[7],
        received_at=row[8],
        run_id=row[9],
    )
