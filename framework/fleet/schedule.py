"""When each store's pair is next due, and each run's start against its due time (the lag).

Rows live in the fleet's PostgreSQL schema (migration ``0002_fleet``) so every worker and
the tick share them: a pair is due at ``due_at``; the tick enqueues due pairs and pushes
them an interval ahead; a run starting pushes its pair an interval past its start.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from framework.state.postgres.connection import pool


class Schedule:
    """The fleet's schedule in its schema."""

    def __init__(self, url: str, schema: str):
        self._pool = pool(url, schema)

    def add(self, pairs: list[tuple[str, str, float]]) -> None:
        """Make pairs new to the fleet due now: (store, pair, interval in seconds)."""
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO fleet_schedule (tenant, pair, due_at, interval_s) "
                "VALUES (%s, %s, now(), %s) ON CONFLICT DO NOTHING",
                pairs,
            )

    def stores(self) -> set[str]:
        """The stores the schedule knows (their pairs were added once)."""
        with self._pool.connection() as conn:
            return {str(r[0]) for r in conn.execute("SELECT DISTINCT tenant FROM fleet_schedule")}

    def forget(self, store: str, pair: str | None = None) -> None:
        """Drop a store's pairs (or one) from the schedule: it left the fleet."""
        with self._pool.connection() as conn:
            if pair is None:
                conn.execute("DELETE FROM fleet_schedule WHERE tenant=%s", (store,))
            else:
                conn.execute(
                    "DELETE FROM fleet_schedule WHERE tenant=%s AND pair=%s", (store, pair)
                )

    def due(self, limit: int = 10_000) -> list[tuple[str, str, dt.datetime]]:
        """Pairs due now, longest waiting first."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT tenant, pair, due_at FROM fleet_schedule WHERE due_at <= now() "
                "ORDER BY due_at LIMIT %s",
                (limit,),
            ).fetchall()
        return [(str(r[0]), str(r[1]), r[2]) for r in rows]

    def push(self, items: list[tuple[str, str]], seconds: float | None = None) -> None:
        """Make pairs next due ``seconds`` from now (at most, and by default, their interval)."""
        if not items:
            return
        with self._pool.connection() as conn, conn.cursor() as cur:
            cur.executemany(
                "UPDATE fleet_schedule SET due_at = now() + make_interval(secs => "
                "least(coalesce(%s, interval_s), interval_s)) WHERE tenant=%s AND pair=%s",
                [(seconds, store, pair) for store, pair in items],
            )

    def started(self, store: str, pair: str, due_at: float, worker: str, interval: float) -> int:
        """Record a run's start (and its lag); the pair is next due an interval from now."""
        with self._pool.connection() as conn, conn.transaction():
            row = conn.execute(
                "INSERT INTO fleet_starts (tenant, pair, due_at, worker) "
                "VALUES (%s, %s, to_timestamp(%s), %s) RETURNING id",
                (store, pair, due_at, worker),
            ).fetchone()
            conn.execute(
                "UPDATE fleet_schedule SET due_at = now() + make_interval(secs => %s), "
                "interval_s=%s WHERE tenant=%s AND pair=%s",
                (interval, interval, store, pair),
            )
        assert row is not None
        return int(row[0])

    def finished(self, start_id: int, run_id: int | None, status: str) -> None:
        """Record a run's end."""
        with self._pool.connection() as conn:
            conn.execute(
                "UPDATE fleet_starts SET finished_at=now(), run_id=%s, status=%s WHERE id=%s",
                (run_id, status, start_id),
            )

    def overview(self) -> dict[tuple[str, str], tuple[dt.datetime, str | None, dt.datetime | None]]:
        """Per store's pair: when it is next due, and its latest run's status and start."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT s.tenant, s.pair, s.due_at, r.status, r.started_at FROM fleet_schedule s "
                "LEFT JOIN LATERAL (SELECT status, started_at FROM runs WHERE runs.tenant=s.tenant "
                "AND runs.pair=s.pair ORDER BY id DESC LIMIT 1) r ON true"
            ).fetchall()
        return {(str(r[0]), str(r[1])): (r[2], r[3], r[4]) for r in rows}

    def lag(self, since: dt.datetime | None = None) -> list[tuple[str, str, float]]:
        """(store, pair, seconds from due to start) of runs started since ``since``."""
        sql = "SELECT tenant, pair, extract(epoch FROM started_at - due_at) FROM fleet_starts"
        args: tuple[Any, ...] = ()
        if since is not None:
            sql += " WHERE started_at >= %s"
            args = (since,)
        with self._pool.connection() as conn:
            rows = conn.execute(sql + " ORDER BY id", args).fetchall()
        return [(str(r[0]), str(r[1]), float(r[2])) for r in rows]
