"""Run history and the move log (what moved where under which rule), and merges (SQ-2)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from framework.state.postgres.connection import Connected
from framework.state.store import MOVE_LOG_RUNS, MergeRecord, RunRecord


class Runs(Connected):
    """Runs, moves and merges of the store's tenant."""

    def start_run(self, pair: str) -> int:
        """Record the start of a run, and prune the move log of the tenant's old runs."""
        with self.transaction():
            row = self._one(
                "INSERT INTO runs (tenant, pair, started_at, status) "
                "VALUES (%s,%s,now(),'running') RETURNING id",
                self.tenant,
                pair,
            )
            self._exec(
                "DELETE FROM moves WHERE tenant=%s AND run_id <= (SELECT id FROM runs "
                "WHERE tenant=%s ORDER BY id DESC OFFSET %s LIMIT 1)",
                self.tenant,
                self.tenant,
                MOVE_LOG_RUNS,
            )
        return int(row[0])

    def finish_run(
        self,
        run_id: int,
        status: str,
        counts: dict[str, int],
        calls: dict[str, int],
        error: str | None,
    ) -> None:
        """Record the end of a run."""
        self._exec(
            "UPDATE runs SET finished_at=now(), status=%s, counts=%s, calls=%s, error=%s "
            "WHERE tenant=%s AND id=%s",
            status,
            orjson.dumps(counts).decode(),
            orjson.dumps(calls).decode(),
            error,
            self.tenant,
            run_id,
        )

    def runs(self, pair: str | None = None, limit: int = 10) -> list[RunRecord]:
        """The latest runs, newest first."""
        sql = (
            "SELECT id, pair, started_at, finished_at, status, counts, calls, error FROM runs "
            "WHERE tenant=%s"
        )
        args: tuple[Any, ...] = (self.tenant,)
        if pair is not None:
            sql += " AND pair=%s"
            args += (pair,)
        rows = self._all(sql + " ORDER BY id DESC LIMIT %s", *args, limit)
        return [_run(r) for r in rows]

    def run(self, run_id: int) -> RunRecord | None:
        """One run by its id."""
        r = self._one(
            "SELECT id, pair, started_at, finished_at, status, counts, calls, error FROM runs "
            "WHERE tenant=%s AND id=%s",
            self.tenant,
            run_id,
        )
        return _run(r) if r else None

    def add_moves(self, run_id: int, moves: list[tuple[str, str, str, str, str, str]]) -> None:
        """Log moves: (entity, record, toward, action, fields, rule)."""
        self._many(
            "INSERT INTO moves (tenant, run_id, entity, record, toward, action, fields, rule) "
            "VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
            [(self.tenant, run_id, *m) for m in moves],
        )

    def moves(self, run_id: int) -> Iterator[tuple[str, str, str, str, str, str]]:
        """The moves of one run."""
        for r in self._all(
            "SELECT entity, record, toward, action, fields, rule FROM moves "
            "WHERE tenant=%s AND run_id=%s ORDER BY seq",
            self.tenant,
            run_id,
        ):
            yield (r[0], r[1], r[2], r[3], r[4], r[5])

    # -- merges (SQ-2) ------------------------------------------------------------------------

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
        row = self._one(
            "INSERT INTO merges (tenant, pair, entity, side, survivor, merged, details) "
            "VALUES (%s,%s,%s,%s,%s,%s,%s) RETURNING id",
            self.tenant,
            pair,
            entity,
            side,
            survivor,
            orjson.dumps(merged),
            orjson.dumps(details),
        )
        return int(row[0])

    def merges(self, pair: str | None = None) -> list[MergeRecord]:
        """Recorded merges, oldest first."""
        sql = (
            "SELECT id, pair, entity, side, survivor, merged, details, created_at FROM merges "
            "WHERE tenant=%s"
        )
        args: tuple[Any, ...] = (self.tenant,)
        if pair is not None:
            sql += " AND pair=%s"
            args += (pair,)
        return [
            MergeRecord(r[0], r[1], r[2], r[3], r[4], orjson.loads(r[5]), orjson.loads(r[6]), r[7])
            for r in self._all(sql + " ORDER BY id", *args)
        ]


def _run(r: Any) -> RunRecord:
    return RunRecord(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        orjson.loads(r[5]) if r[5] else {},
        orjson.loads(r[6]) if r[6] else {},
        r[7],
    )
