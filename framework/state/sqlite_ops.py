"""The SQLite side of what operators use: history, held writes, records kept apart, scratch.

A mixin of :class:`framework.state.sqlite.SQLiteStore` (kept here so that module does not
grow); the interface is the "Operators" block of ``framework/state/store.py``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import orjson

from framework.state.sqlite_base import SQLiteBase, _dump, _load
from framework.state.store import HeldWrite, HistoryEntry

OPS_SCHEMA = """
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY, run_id INTEGER, at TEXT, pair TEXT, entity TEXT, link_id INTEGER,
    pos_id TEXT, platform_id TEXT, action TEXT, field TEXT, old BLOB, new BLOB, source TEXT,
    toward TEXT, policy TEXT, rule TEXT, associate TEXT, note TEXT);
CREATE INDEX IF NOT EXISTS history_link ON history (link_id) WHERE link_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS history_pos ON history (pair, entity, pos_id);
CREATE INDEX IF NOT EXISTS history_platform ON history (pair, entity, platform_id);
CREATE TABLE IF NOT EXISTS apart (
    pair TEXT, entity TEXT, pos_id TEXT, platform_id TEXT, created_at TEXT,
    PRIMARY KEY (pair, entity, pos_id, platform_id)) WITHOUT ROWID;
"""

_JOURNAL_COLUMNS = {"held_run": "INTEGER", "held_kind": "TEXT", "held_reason": "TEXT"}

_HISTORY_COLUMNS = (
    "run_id, at, pair, entity, link_id, pos_id, platform_id, action, field, old, new, "
    "source, toward, policy, rule, associate, note, id"
)


def ops_schema(db: sqlite3.Connection) -> None:
    """Create the operators' tables and columns (idempotent; older state files gain them)."""
    db.executescript(OPS_SCHEMA)
    add_columns(db, "journal", _JOURNAL_COLUMNS)


def add_columns(db: sqlite3.Connection, table: str, columns: dict[str, str]) -> None:
    """Give ``table`` the ``columns`` (name -> type) it lacks; a current file writes nothing.

    Two processes may open an older (or a new) state file at once: the columns are checked
    again under the write lock, so the second finds them added instead of adding them twice
    ("duplicate column name").
    """

    def missing() -> list[str]:
        have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        return [name for name in columns if name not in have]

    if not missing():
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        for name in missing():
            db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {columns[name]}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


class OperatorsSQL(SQLiteBase):
    """History, held writes, records kept apart and the scratch copy, in SQLite."""

    _db: sqlite3.Connection
    path: str

    # -- history ----------------------------------------------------------------------------

    def add_history(self, entries: list[HistoryEntry]) -> None:
        """Record history entries (one batch; ``at`` defaults to now)."""
        if not entries:
            return
        now = dt.datetime.now(dt.UTC).isoformat()
        self._db.executemany(
            f"INSERT INTO history ({_HISTORY_COLUMNS}) VALUES ({','.join('?' * 18)})",
            [
                (
                    e.run_id,
                    e.at.isoformat() if e.at is not None else now,
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
                    None,
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
        # Each way of naming the record is its own indexed look-up, newest first and cut at
        # ``limit`` (the newest ``limit`` of the union are among them); only their ids are
        # united, then the entries read: a record with thousands of entries stays cheap.
        filters, extra = "", []
        if field is not None:
            filters += " AND (field=? OR field LIKE ? OR field IS NULL)"
            extra += [field, f"{field}.%"]
        if since is not None:
            filters += " AND at >= ?"
            extra.append(since.isoformat())
        wheres: list[tuple[str, list[Any]]] = []
        if link_id is not None:
            wheres.append(("link_id=?", [link_id]))
        for column in ("pos_id", "platform_id"):
            for record_id in ids:
                wheres.append((f"pair=? AND entity=? AND {column}=?", [pair, entity, record_id]))
        if not wheres:
            return []
        parts, args = [], []
        for where, values in wheres:
            parts.append(
                f"SELECT id FROM (SELECT id FROM history WHERE {where}{filters} "
                "ORDER BY id DESC LIMIT ?)"
            )
            args += [*values, *extra, limit]
        sql = (
            f"SELECT {_HISTORY_COLUMNS} FROM history WHERE id IN ({' UNION '.join(parts)}) "
            "ORDER BY id DESC LIMIT ?"
        )
        args.append(limit)
        return [
            history_entry(r, dt.datetime.fromisoformat(r[1])) for r in self._db.execute(sql, args)
        ]

    def prune_history(self, before: dt.datetime, limit: int) -> int:
        """Delete at most ``limit`` history entries older than ``before``; returns how many.

        Entries are numbered in the order they were made, so the oldest are the lowest
        ids: the step walks the primary key from its start and stops after ``limit``.
        """
        cur = self._db.execute(
            "DELETE FROM history WHERE id IN "
            "(SELECT id FROM history WHERE at < ? ORDER BY id LIMIT ?)",
            (before.isoformat(), limit),
        )
        return cur.rowcount

    def history_count(self) -> int:
        """How many history entries are kept."""
        return int(self._db.execute("SELECT COUNT(*) FROM history").fetchone()[0])

    # -- kept apart -------------------------------------------------------------------------

    def keep_apart(self, pair: str, entity: str, pos_id: str, platform_id: str) -> None:
        """Never match these two records to each other again (``unlink --keep-apart``)."""
        self._db.execute(
            "INSERT OR IGNORE INTO apart VALUES (?,?,?,?,?)",
            (pair, entity, pos_id, platform_id, dt.datetime.now(dt.UTC).isoformat()),
        )

    def kept_apart(self, pair: str, entity: str, side: str, record_id: str) -> set[str]:
        """Ids on the other side a record of ``side`` is kept apart from."""
        mine, theirs = ("pos_id", "platform_id") if side == "pos" else ("platform_id", "pos_id")
        rows = self._db.execute(
            f"SELECT {theirs} FROM apart WHERE pair=? AND entity=? AND {mine}=?",
            (pair, entity, record_id),
        )
        return {r[0] for r in rows}

    def kept_apart_of(
        self, pair: str, entity: str, side: str, ids: list[str]
    ) -> dict[str, set[str]]:
        """``kept_apart`` of each of ``ids`` kept apart from any record, by id (one read)."""
        mine, theirs = ("pos_id", "platform_id") if side == "pos" else ("platform_id", "pos_id")
        found: dict[str, set[str]] = {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            rows = self._db.execute(
                f"SELECT {mine}, {theirs} FROM apart WHERE pair=? AND entity=? "
                f"AND {mine} IN ({','.join('?' * len(part))})",
                (pair, entity, *part),
            )
            for record_id, apart in rows:
                found.setdefault(record_id, set()).add(apart)
        return found

    # -- held writes ------------------------------------------------------------------------

    def hold_intents(self, seqs: list[int], run_id: int, kind: str, reason: str) -> None:
        """Hold journaled writes (a guard): they are not applied until released."""
        self._db.executemany(
            "UPDATE journal SET held_run=?, held_kind=?, held_reason=? WHERE seq=?",
            [(run_id, kind, reason, s) for s in seqs],
        )

    def held_intents(self, pair: str | None = None, run_id: int | None = None) -> list[HeldWrite]:
        """Held writes, oldest first."""
        sql = (
            "SELECT seq, pair, entity, side, link_id, request, expected, source, attempts, "
            "held_run, held_kind, held_reason FROM journal WHERE held_run IS NOT NULL"
        )
        args: list[Any] = []
        if pair is not None:
            sql += " AND pair=?"
            args.append(pair)
        if run_id is not None:
            sql += " AND held_run=?"
            args.append(run_id)
        else:  # 0: awaiting the guard's count in a run going on (or that died): not held
            sql += " AND held_run > 0"
        return [held_write(r) for r in self._db.execute(sql + " ORDER BY seq", args)]

    def release_intents(self, seqs: list[int]) -> None:
        """Held writes become pending writes again (approved)."""
        self._db.executemany(
            "UPDATE journal SET held_run=NULL, held_kind=NULL, held_reason=NULL WHERE seq=?",
            [(s,) for s in seqs],
        )

    # -- scratch ----------------------------------------------------------------------------

    def scratch(self) -> Any:
        """A throwaway copy of this store in memory (SQLite's online backup, consistent)."""
        from framework.state.sqlite import SQLiteStore  # the mixin's own class

        copy = SQLiteStore(":memory:")
        self._db.backup(copy._db)
        return copy


def history_entry(r: Any, at: dt.datetime) -> HistoryEntry:
    """A history row (``_HISTORY_COLUMNS``' order) with its time already read."""
    return HistoryEntry(
        run_id=r[0],
        at=at,
        pair=r[2],
        entity=r[3],
        link_id=r[4],
        pos_id=r[5],
        platform_id=r[6],
        action=r[7],
        field=r[8],
        old=_load(r[9]),
        new=_load(r[10]),
        source=r[11],
        toward=r[12],
        policy=r[13],
        rule=r[14],
        associate=r[15],
        note=r[16],
        id=r[17],
    )


def held_write(r: Any) -> HeldWrite:
    """A held journal row (seq .. attempts, then held_run, held_kind, held_reason)."""
    return HeldWrite(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        orjson.loads(r[5]),
        _load(r[6]),
        _load(r[7]),
        r[8],
        run_id=r[9],
        kind=r[10],
        reason=r[11],
    )
