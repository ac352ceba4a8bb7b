"""Runs, their move log, recorded merges and the pairs' leases, in SQLite.

A mixin of :class:`framework.state.sqlite.SQLiteStore` (kept here so that module does not
grow); the interface is the runs, merges and leases blocks of ``framework/state/store.py``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from framework.state.sqlite_base import SQLiteBase, _now
from framework.state.store import MOVE_LOG_RUNS, Lease, MergeRecord, RunRecord


class RunsSQL(SQLiteBase):
    """Runs and moves, merges (SQ-2) and leases."""

    # -- runs and moves ---------------------------------------------------------------------

    def start_run(self, pair: str) -> int:
        """Record the start of a run, and prune the move log of old runs."""
        with self.transaction():
            cur = self._db.execute(
                "INSERT INTO runs (pair, started_at, status) VALUES (?,?,'running')",
                (pair, _now()),
            )
            assert cur.lastrowid is not None
            self._db.execute(
                "DELETE FROM moves WHERE run_id <= ?", (cur.lastrowid - MOVE_LOG_RUNS,)
            )
        return cur.lastrowid

    def finish_run(
        self,
        run_id: int,
        status: str,
        counts: dict[str, int],
        calls: dict[str, int],
        error: str | None,
    ) -> None:
        """Record the end of a run."""
        with self.transaction():
            self._db.execute(
                "UPDATE runs SET finished_at=?, status=?, counts=?, calls=?, error=? WHERE id=?",
                (
                    _now(),
                    status,
                    orjson.dumps(counts).decode(),
                    orjson.dumps(calls).decode(),
                    error,
                    run_id,
                ),
            )

    def runs(self, pair: str | None = None, limit: int = 10) -> list[RunRecord]:
        """The latest runs, newest first."""
        sql = "SELECT id, pair, started_at, finished_at, status, counts, calls, error FROM runs"
        args: tuple[Any, ...] = ()
        if pair is not None:
            sql += " WHERE pair=?"
            args = (pair,)
        rows = self._db.execute(sql + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        return [self._run(r) for r in rows]

    def run(self, run_id: int) -> RunRecord | None:
        """One run by its id."""
        r = self._one(
            "SELECT id, pair, started_at, finished_at, status, counts, calls, error FROM runs "
            "WHERE id=?",
            run_id,
        )
        return self._run(r) if r else None

    @staticmethod
    def _run(r: Any) -> RunRecord:
        return RunRecord(
            r[0],
            r[1],
            dt.datetime.fromisoformat(r[2]),
            dt.datetime.fromisoformat(r[3]) if r[3] else None,
            r[4],
            orjson.loads(r[5]) if r[5] else {},
            orjson.loads(r[6]) if r[6] else {},
            r[7],
        )

    def add_moves(self, run_id: int, moves: list[tuple[str, str, str, str, str, str]]) -> None:
        """Log moves: (entity, record, toward, action, fields, rule)."""
        self._db.executemany(
            "INSERT INTO moves VALUES (?,?,?,?,?,?,?)", [(run_id, *m) for m in moves]
        )

    def moves(self, run_id: int) -> Iterator[tuple[str, str, str, str, str, str]]:
        """The moves of one run."""
        yield from self._db.execute(
            "SELECT entity, record, toward, action, fields, rule FROM moves WHERE run_id=? "
            "ORDER BY rowid",
            (run_id,),
        )

    # -- duplicates and merges (SQ-2) ---------------------------------------------------------

    def add_merge(
        self,
        pair: str,
        entity: str,
        side: str,
        survivor: str,
        merged: list[str],
        details: dict[str, Any],
    ) -> int:
        """Record a merge a user asked for."""
        cur = self._db.execute(
            "INSERT INTO merges (pair, entity, side, survivor, merged, details, created_at) "
            "VALUES (?,?,?,?,?,?,?)",
            (pair, entity, side, survivor, orjson.dumps(merged), orjson.dumps(details), _now()),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def merges(self, pair: str | None = None) -> list[MergeRecord]:
        """Recorded merges, oldest first."""
        sql = "SELECT id, pair, entity, side, survivor, merged, details, created_at FROM merges"
        args: tuple[Any, ...] = ()
        if pair is not None:
            sql += " WHERE pair=?"
            args = (pair,)
        return [
            MergeRecord(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                orjson.loads(r[5]),
                orjson.loads(r[6]),
                dt.datetime.fromisoformat(r[7]),
            )
            for r in self._db.execute(sql + " ORDER BY id", args)
        ]

    # -- leases -------------------------------------------------------------------------------

    _LEASE_COLUMNS = "pair, holder, pid, host, started_at, heartbeat_at, ttl, run_id"

    def lease(self, pair: str) -> Lease | None:
        """The pair's lease as stored (live or lapsed), if any."""
        row = self._one(f"SELECT {self._LEASE_COLUMNS} FROM leases WHERE pair=?", pair)
        return Lease(*row) if row else None

    def claim_lease(
        self, lease: Lease, lapsed: Callable[[Lease], bool]
    ) -> tuple[bool, Lease | None]:
        """Take a pair's lease unless a live holder has it: one write transaction, one winner."""
        with self.transaction():
            current = self.lease(lease.pair)
            if current is not None and current.holder != lease.holder and not lapsed(current):
                return False, current
            now = time.time()
            self._db.execute(
                f"INSERT OR REPLACE INTO leases ({self._LEASE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
                (lease.pair, lease.holder, lease.pid, lease.host, now, now, lease.ttl, None),
            )
            lease.started_at = lease.heartbeat_at = now
            gone = current if current is not None and current.holder != lease.holder else None
            if gone is not None and gone.run_id is not None:
                self._db.execute(
                    "UPDATE runs SET status='interrupted', finished_at=?, error=? "
                    "WHERE id=? AND status='running'",
                    (
                        _now(),
                        f"its process ({gone.pid}@{gone.host}) stopped; "
                        f"the next run took over and replayed its journal",
                        gone.run_id,
                    ),
                )
            return True, gone

    def beat_lease(self, pair: str, holder: str, run_id: int | None = None) -> bool:
        """Refresh the heartbeat (and the run) of a lease; ``False`` when it is not ours now."""
        if run_id is None:
            cur = self._db.execute(
                "UPDATE leases SET heartbeat_at=? WHERE pair=? AND holder=?",
                (time.time(), pair, holder),
            )
        else:
            cur = self._db.execute(
                "UPDATE leases SET heartbeat_at=?, run_id=? WHERE pair=? AND holder=?",
                (time.time(), run_id, pair, holder),
            )
        return cur.rowcount == 1

    def release_lease(self, pair: str, holder: str) -> None:
        """Give a lease up (only when ``holder`` still holds it)."""
        self._db.execute("DELETE FROM leases WHERE pair=? AND holder=?", (pair, holder))
