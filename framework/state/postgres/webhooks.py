"""Webhooks in PostgreSQL: the durable inbox of events, and counts per system.

The webhook block of ``framework/state/store.py`` (issue 18), mirroring
``framework/state/sqlite_webhooks.py``; tables from migration ``0004_webhooks``.
"""

from __future__ import annotations

import orjson

from framework.state.postgres.connection import Connected
from framework.state.sqlite_webhooks import collect_stats, notification_of
from framework.state.store import WEBHOOK_COUNTERS, StoredNotification, WebhookStats


class Webhooks(Connected):
    """Webhook events and counts of the store's tenant."""

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
            cur = self._exec(
                "INSERT INTO webhook_notifications (tenant, pair, system, event_id, entity, "
                "kind, record_ids, occurred_at, received_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s) "
                "ON CONFLICT DO NOTHING",
                self.tenant,
                pair,
                system,
                event_id,
                entity,
                kind,
                orjson.dumps(record_ids).decode(),
                occurred_at,
                received_at,
            )
        return cur.rowcount == 1

    def pending_notifications(self, pair: str, limit: int = 5000) -> list[StoredNotification]:
        """Events not yet consumed by a run of ``pair``, oldest first."""
        rows = self._all(
            "SELECT id, pair, system, event_id, entity, kind, record_ids, occurred_at, "
            "received_at, run_id FROM webhook_notifications "
            "WHERE tenant=%s AND pair=%s AND NOT done ORDER BY id LIMIT %s",
            self.tenant,
            pair,
            limit,
        )
        return [notification_of(r) for r in rows]

    def notifications_done(self, ids: list[int], run_id: int | None) -> None:
        """Mark events consumed by run ``run_id``."""
        with self.transaction():
            self._exec(
                "UPDATE webhook_notifications SET done=true, run_id=%s "
                "WHERE tenant=%s AND id = ANY(%s)",
                run_id,
                self.tenant,
                list(ids),
            )

    def prune_notifications(self, before: float) -> int:
        """Forget consumed events received before ``before``."""
        with self.transaction():
            cur = self._exec(
                "DELETE FROM webhook_notifications WHERE tenant=%s AND done AND received_at < %s",
                self.tenant,
                before,
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
            self._exec(
                "INSERT INTO webhook_counts VALUES (%s,%s,%s,%s) "
                "ON CONFLICT (tenant, system, counter) DO UPDATE "
                "SET n = webhook_counts.n + excluded.n",
                self.tenant,
                system,
                counter,
                n,
            )
            if last is not None:
                self._exec(
                    "INSERT INTO webhook_last VALUES (%s,%s,%s,%s,%s) "
                    "ON CONFLICT (tenant, system) DO UPDATE SET at=excluded.at, "
                    "status=excluded.status, event_id=excluded.event_id",
                    self.tenant,
                    system,
                    *last,
                )

    def webhook_stats(self) -> list[WebhookStats]:
        """Every system's webhook counts and last notification."""
        return collect_stats(
            self._all("SELECT system, counter, n FROM webhook_counts WHERE tenant=%s", self.tenant),
            self._all(
                "SELECT system, at, status, event_id FROM webhook_last WHERE tenant=%s",
                self.tenant,
            ),
        )
