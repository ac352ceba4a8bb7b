"""What operators use, in PostgreSQL: history, held writes, records kept apart, scratch.

The "Operators" block of ``framework/state/store.py`` (issue 15), mirroring
``framework/state/sqlite_ops.py``; tables from migration ``0003_operators``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from framework.state.postgres.connection import Connected
from framework.state.postgres.records import _dump
from framework.state.sqlite_ops import held_write, history_entry
from framework.state.store import HeldWrite, HistoryEntry

_HISTORY = (
    "run_id, at, pair, entity, link_id, pos_id, platform_id, action, field, old, new, "
    "source, toward, policy, rule, associate, note"
)

# What a plan's scratch copy needs of the tenant's state: the tables the engine reads, by
# the SQLite store's column names (the history and the move log stay behind).
_SCRATCH_TABLES: dict[str, str] = {
    "cursors": "pair, entity, side, cursor, full_done",
    "records": "pair, entity, side, id, link_key, link_id, deleted, data, latest, hash",
    "links": "id, pair, entity, pos_id, platform_id, link_key, status, created_at",
    "keys": "pair, entity, side, name, value, id",
    "inbox": "seq, pair, entity, side, id, change",
    "journal": "seq, pair, entity, side, link_id, request, expected, source, attempts, "
    "created_at, held_run, held_kind, held_reason",
    "problems": "id, pair, entity, side, record_id, rule, reason, payload, attempts, "
    "created_at, resolved_at",
    "runs": "id, pair, started_at, finished_at, status, counts, calls, error",
    "merges": "id, pair, entity, side, survivor, merged, details, created_at",
    "apart": "pair, entity, pos_id, platform_id, created_at",
}


def _sqlite_value(value: Any) -> Any:
    """A PostgreSQL value as the SQLite store keeps it."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, memoryview):
        return bytes(value)
    return value


class Operators(Connected):
    """History, held writes, records kept apart and the scratch copy of one tenant."""

    # -- history ----------------------------------------------------------------------------

    def add_history(self, entries: list[HistoryEntry]) -> None:
        """Record history entries (one batch; ``at`` defaults to now)."""
        now = dt.datetime.now(dt.UTC)
        self._many(
            f"INSERT INTO history (tenant, {_HISTORY}) VALUES ({','.join(['%s'] * 18)})",
            [
                (
                    self.tenant,
                    e.run_id,
                    e.at or now,
                    e.pair,
                    e.entity,
                    e.link_id,
                    e.pos_id,
                    e.platform_id,
                    e.action,
                    e.field,
                    _dump(e.old),
                    _dump(e.new),
                    e.source,
                    e.toward,
                    e.policy,
                    e.rule,
                    e.associate,
                    e.note,
                )
                for e in entries
            ],
        )

    def history(
        self,
        pair: str,
        entity: str,
        *,
        link_id: int | None,
        ids: list[str],
        field: str | None = None,
        since: dt.datetime | None = None,
        limit: int = 1000,
    ) -> list[HistoryEntry]:
        """One record's history, newest first: entries of its link or naming one of ``ids``."""
        # As on SQLite: each way of naming the record cut at ``limit``, newest first; only
        # ids united, then the entries read (a record with thousands of entries stays cheap).
        filters = ""
        extra: list[Any] = []
        if field is not None:
            filters += " AND (field=%s OR field LIKE %s OR field IS NULL)"
            extra += [field, f"{field}.%"]
        if since is not None:
            filters += " AND at >= %s"
            extra.append(since)
        wheres: list[tuple[str, list[Any]]] = []
        if link_id is not None:
            wheres.append(("link_id=%s", [link_id]))
        for column in ("pos_id", "platform_id"):
            if ids:
                wheres.append(
                    (f"pair=%s AND entity=%s AND {column} = ANY(%s)", [pair, entity, list(ids)])
                )
        if not wheres:
            return []
        parts, args = [], []
        for where, values in wheres:
            parts.append(
                f"(SELECT id FROM history WHERE tenant=%s AND {where}{filters} "
                "ORDER BY id DESC LIMIT %s)"
            )
            args += [self.tenant, *values, *extra, limit]
        sql = (
            f"SELECT {_HISTORY}, id FROM history WHERE id IN ({' UNION '.join(parts)}) "
            "ORDER BY id DESC LIMIT %s"
        )
        args.append(limit)
        return [history_entry(r, r[1]) for r in self._all(sql, *args)]

    def prune_history(self, before: dt.datetime, limit: int) -> int:
        """Delete at most ``limit`` history entries older than ``before``; returns how many.

        The oldest entries have the lowest ids: a step walks the index, never the table.
        """
        cur = self._exec(
            "DELETE FROM history WHERE id IN (SELECT id FROM history WHERE tenant=%s "
            "ORDER BY id LIMIT %s) AND at < %s",
            self.tenant,
            limit,
            before,
        )
        return cur.rowcount

    def history_count(self) -> int:
        """How many history entries are kept."""
        return int(self._one("SELECT count(*) FROM history WHERE tenant=%s", self.tenant)[0])

    # -- kept apart -------------------------------------------------------------------------

    def keep_apart(self, pair: str, entity: str, pos_id: str, platform_id: str) -> None:
        """Never match these two records to each other again (``unlink --keep-apart``)."""
        self._exec(
            "INSERT INTO apart (tenant, pair, entity, pos_id, platform_id) "
            "VALUES (%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING",
            self.tenant,
            pair,
            entity,
            pos_id,
            platform_id,
        )

    def kept_apart(self, pair: str, entity: str, side: str, record_id: str) -> set[str]:
        """Ids on the other side a record of ``side`` is kept apart from."""
        mine, theirs = ("pos_id", "platform_id") if side == "pos" else ("platform_id", "pos_id")
        rows = self._all(
            f"SELECT {theirs} FROM apart WHERE tenant=%s AND pair=%s AND entity=%s AND {mine}=%s",
            self.tenant,
            pair,
            entity,
            record_id,
        )
        return {r[0] for r in rows}

    def kept_apart_of(
        self, pair: str, entity: str, side: str, ids: list[str]
    ) -> dict[str, set[str]]:
        """``kept_apart`` of each of ``ids`` kept apart from any record, by id (one read)."""
        mine, theirs = ("pos_id", "platform_id") if side == "pos" else ("platform_id", "pos_id")
        rows = self._all(
            f"SELECT {mine}, {theirs} FROM apart WHERE tenant=%s AND pair=%s AND entity=%s "
            f"AND {mine} = ANY(%s)",
            self.tenant,
            pair,
            entity,
            list(ids),
        )
        found: dict[str, set[str]] = {}
        for record_id, apart in rows:
            found.setdefault(record_id, set()).add(apart)
        return found

    # -- held writes ------------------------------------------------------------------------

    def hold_intents(self, seqs: list[int], run_id: int, kind: str, reason: str) -> None:
        """Hold journaled writes (a guard): they are not applied until released."""
        self._exec(
            "UPDATE journal SET held_run=%s, held_kind=%s, held_reason=%s "
            "WHERE tenant=%s AND seq = ANY(%s)",
            run_id,
            kind,
            reason,
            self.tenant,
            list(seqs),
        )

    def held_intents(self, pair: str | None = None, run_id: int | None = None) -> list[HeldWrite]:
        """Held writes, oldest first (``run_id`` None: every run's, never those awaiting)."""
        sql = (
            "SELECT seq, pair, entity, side, link_id, request, expected, source, attempts, "
            "held_run, held_kind, held_reason FROM journal "
            "WHERE tenant=%s AND held_run IS NOT NULL"
        )
        args: list[Any] = [self.tenant]
        if pair is not None:
            sql += " AND pair=%s"
            args.append(pair)
        if run_id is not None:
            sql += " AND held_run=%s"
            args.append(run_id)
        else:  # 0: awaiting the guard's count in a run going on (or that died): not held
            sql += " AND held_run > 0"
        return [held_write(r) for r in self._all(sql + " ORDER BY seq", *args)]

    def release_intents(self, seqs: list[int]) -> None:
        """Held writes become pending writes again (approved)."""
        self._exec(
            "UPDATE journal SET held_run=NULL, held_kind=NULL, held_reason=NULL "
            "WHERE tenant=%s AND seq = ANY(%s)",
            self.tenant,
            list(seqs),
        )

    # -- scratch ----------------------------------------------------------------------------

    def scratch(self) -> Any:
        """A throwaway copy of this tenant's state, in memory (a plan runs against it).

        The copy is an SQLite store: a plan writes only to it, so nothing it does can reach
        the tenant's rows or another tenant's; read in one transaction, so it is consistent.
        """
        from framework.state.sqlite import SQLiteStore

        copy = SQLiteStore(":memory:")
        with self.transaction():
            for table, columns in _SCRATCH_TABLES.items():
                marks = ",".join("?" * len(columns.split(",")))
                insert = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
                with self._conn.cursor() as cur:
                    cur.execute(f"SELECT {columns} FROM {table} WHERE tenant=%s", (self.tenant,))
                    while rows := cur.fetchmany(5000):
                        copy._db.executemany(
                            insert, [tuple(_sqlite_value(v) for v in row) for row in rows]
                        )
        copy._db.commit()
        return copy
