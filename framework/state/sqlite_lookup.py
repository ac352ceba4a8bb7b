"""Look-ups by people in SQLite (SQ-3, SQ-2), each from an index, not a scan of every record.

By part of a name, by a phone's last digits, and the key values records share (duplicates):

- ``records.name_key``: the record's folded name (``normalize.name_key``), written with the
  record; the index ``records_name`` holds it in (side, id) order, so a search by part of a
  name reads short keys and stops at the page's limit.
- ``keys.rvalue``: the key's value reversed; "ends with these digits" is then a range of
  the index ``keys_tail``.
- ``shared_values``: the key values two or more records on one side hold, kept by triggers
  on ``keys`` (every write of keys passes them), so the duplicates report reads the few
  shared values instead of grouping every key. Writers of one store are serialised (SQLite
  has one writer at a time), so a trigger's look at the other rows is never stale.

Older state files gain the columns, table and triggers when opened (filled once).
"""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from framework.normalize import name_key
from framework.state.sqlite_base import SQLiteBase, _load
from framework.state.store import Link, StoredRecord

_KEY = "pair=NEW.pair AND entity=NEW.entity AND side=NEW.side AND name=NEW.name AND value=NEW.value"
_OLD = _KEY.replace("NEW.", "OLD.")

_SHARED = f"""
CREATE TABLE IF NOT EXISTS shared_values (
    pair TEXT, entity TEXT, side TEXT, name TEXT, value TEXT,
    PRIMARY KEY (pair, entity, side, name, value)) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS keys_shared_insert AFTER INSERT ON keys
WHEN EXISTS (SELECT 1 FROM keys WHERE {_KEY} AND id != NEW.id)
BEGIN
    INSERT OR IGNORE INTO shared_values VALUES
        (NEW.pair, NEW.entity, NEW.side, NEW.name, NEW.value);
END;
CREATE TRIGGER IF NOT EXISTS keys_shared_delete AFTER DELETE ON keys
WHEN (SELECT COUNT(*) FROM (SELECT 1 FROM keys WHERE {_OLD} LIMIT 2)) < 2
BEGIN
    DELETE FROM shared_values WHERE {_OLD};
END;
CREATE TRIGGER IF NOT EXISTS keys_shared_update_old AFTER UPDATE OF pair, entity, side, name,
    value ON keys
WHEN (SELECT COUNT(*) FROM (SELECT 1 FROM keys WHERE {_OLD} LIMIT 2)) < 2
BEGIN
    DELETE FROM shared_values WHERE {_OLD};
END;
CREATE TRIGGER IF NOT EXISTS keys_shared_update_new AFTER UPDATE OF pair, entity, side, name,
    value, id ON keys
WHEN EXISTS (SELECT 1 FROM keys WHERE {_KEY} AND id != NEW.id)
BEGIN
    INSERT OR IGNORE INTO shared_values VALUES
        (NEW.pair, NEW.entity, NEW.side, NEW.name, NEW.value);
END;
"""

_INDEXES = """
CREATE INDEX IF NOT EXISTS records_name ON records (pair, entity, deleted, side, id, name_key);
CREATE INDEX IF NOT EXISTS keys_tail ON keys (pair, entity, side, name, rvalue);
"""


def _parts(ids: list[str], size: int = 500) -> list[list[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _stored_name(latest: bytes | None, data: bytes | None) -> str | None:
    blob = latest if latest is not None else data
    return name_key(orjson.loads(blob)) if blob is not None else None


def _have(db: sqlite3.Connection) -> tuple[set[str], set[str], set[str], bool]:
    """(tables, columns of records, columns of keys, whether the rest is there)."""
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    records = {row[1] for row in db.execute("PRAGMA table_info(records)")}
    keys = {row[1] for row in db.execute("PRAGMA table_info(keys)")}
    names = {
        r[0]
        for r in db.execute("SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger')")
    }
    rest = {"records_name", "keys_tail", "keys_shared_insert", "keys_shared_delete"} <= names
    return tables, records, keys, rest


def lookup_schema(db: sqlite3.Connection) -> None:
    """Give a state file the look-up columns, indexes, table and triggers (idempotent)."""
    tables, records, keys, rest = _have(db)
    if "name_key" in records and "rvalue" in keys and "shared_values" in tables and rest:
        return  # opening a current store writes nothing (it must not wait for the lock)
    db.create_function("sw_name_key", 2, _stored_name, deterministic=True)
    db.create_function("sw_reversed", 1, lambda v: v[::-1] if v is not None else None)
    db.execute("BEGIN IMMEDIATE")
    try:
        tables, records, keys, rest = _have(db)  # another process may have done it meanwhile
        if "name_key" not in records:  # a state file from before look-ups by index
            db.execute("ALTER TABLE records ADD COLUMN name_key TEXT")
            db.execute("UPDATE records SET name_key = sw_name_key(latest, data)")
        if "rvalue" not in keys:
            db.execute("ALTER TABLE keys ADD COLUMN rvalue TEXT")
            db.execute("UPDATE keys SET rvalue = sw_reversed(value)")
        fill = "shared_values" not in tables
        for statement in _split(_SHARED + _INDEXES):
            db.execute(statement)
        if fill:
            db.execute(
                "INSERT OR IGNORE INTO shared_values SELECT pair, entity, side, name, value "
                "FROM keys GROUP BY pair, entity, side, name, value HAVING COUNT(*) > 1"
            )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _split(script: str) -> list[str]:
    """The statements of ``script`` (a trigger's body holds semicolons of its own)."""
    statements, current = [], ""
    for line in script.strip().splitlines():
        current += line + "\n"
        if sqlite3.complete_statement(current):
            statements.append(current)
            current = ""
    return statements


def prefix_range(prefix: str) -> tuple[str, str | None]:
    """The bounds of every text starting with ``prefix`` (``None``: no upper bound).

    SQLite compares text as UTF-8 bytes, in code point order, as Python does.
    """
    head = prefix
    while head:
        last = ord(head[-1])
        if last < 0x10FFFF:
            step = 0xE000 if 0xD800 <= last + 1 <= 0xDFFF else last + 1  # no surrogates
            return prefix, head[:-1] + chr(step)
        head = head[:-1]
    return prefix, None


def key_rows(
    pair: str, entity: str, side: str, record_id: str, keys: dict[str, list[str]]
) -> list[tuple[Any, ...]]:
    """Rows of the ``keys`` table for one record's keys (with each value reversed)."""
    return [
        (pair, entity, side, name, value, record_id, value[::-1])
        for name, values in keys.items()
        for value in values
    ]


KEY_INSERT = (
    "INSERT OR IGNORE INTO keys (pair, entity, side, name, value, id, rvalue) "
    "VALUES (?,?,?,?,?,?,?)"
)


class LookupSQL(SQLiteBase):
    """Reads of the look-up indexes (the SQLite store's)."""

    def find_by_name(
        self, pair: str, entity: str, needle: str, limit: int | None = None
    ) -> list[tuple[str, str]]:
        """(side, id) of live records whose folded name holds ``needle``, in that order."""
        rows = self._db.execute(
            "SELECT side, id FROM records INDEXED BY records_name WHERE pair=? AND entity=? "
            "AND deleted=0 AND instr(name_key, ?) > 0 ORDER BY side, id LIMIT ?",
            (pair, entity, needle, -1 if limit is None else limit),
        )
        return [(str(side), str(record_id)) for side, record_id in rows]

    def find_by_key_suffix(
        self, pair: str, entity: str, side: str, name: str, suffix: str
    ) -> list[str]:
        """Ids of records on ``side`` with a key ``name`` ending in ``suffix`` (phone digits)."""
        low, high = prefix_range(suffix[::-1])
        sql = (
            "SELECT DISTINCT id FROM keys INDEXED BY keys_tail WHERE pair=? AND entity=? "
            "AND side=? AND name=? AND rvalue >= ? AND substr(rvalue, 1, ?) = ?"
        )
        args: list[Any] = [pair, entity, side, name, low, len(low), low]
        if high is not None:
            sql += " AND rvalue < ?"
            args.append(high)
        return [str(r[0]) for r in self._db.execute(sql + " ORDER BY id", args)]

    def records_of(
        self, pair: str, entity: str, side: str, ids: list[str]
    ) -> dict[str, StoredRecord]:
        """The last known state of each of ``ids`` that is known, by id (one read)."""
        found = {}
        for part in _parts(ids):
            rows = self._db.execute(
                "SELECT id, link_key, link_id, deleted, data, latest FROM records WHERE pair=? "
                f"AND entity=? AND side=? AND id IN ({','.join('?' * len(part))})",
                (pair, entity, side, *part),
            )
            for i, key, link_id, deleted, data, latest in rows:
                found[str(i)] = StoredRecord(
                    side, str(i), _load(data), key, link_id, bool(deleted), _load(latest)
                )
        return found

    def links_of(self, pair: str, entity: str, side: str, ids: list[str]) -> dict[str, Link]:
        """The links of the records ``ids`` on ``side`` that have one, by id (one read)."""
        column = "pos_id" if side == "pos" else "platform_id"
        found = {}
        for part in _parts(ids):
            rows = self._db.execute(
                "SELECT id, pair, entity, pos_id, platform_id, link_key, status FROM links "
                f"WHERE pair=? AND entity=? AND {column} IN ({','.join('?' * len(part))})",
                (pair, entity, *part),
            )
            for row in rows:
                link = Link(*row)
                found[link.id_on(side)] = link
        return found

    def shared_keys(
        self, pair: str, entity: str, side: str, names: list[str]
    ) -> list[tuple[str, str, list[str]]]:
        """Key values (of the key ``names``) that two or more records on ``side`` share."""
        if not names:
            return []
        marks = ",".join("?" * len(names))
        rows = self._db.execute(
            "SELECT s.name, s.value, k.id FROM shared_values s JOIN keys k ON k.pair=s.pair "
            "AND k.entity=s.entity AND k.side=s.side AND k.name=s.name AND k.value=s.value "
            f"WHERE s.pair=? AND s.entity=? AND s.side=? AND s.name IN ({marks}) "
            "ORDER BY s.name, s.value, k.id",
            (pair, entity, side, *names),
        )
        found: dict[tuple[str, str], list[str]] = {}
        for name, value, record_id in rows:
            found.setdefault((str(name), str(value)), []).append(str(record_id))
        return [(n, v, ids) for (n, v), ids in found.items() if len(ids) > 1]
