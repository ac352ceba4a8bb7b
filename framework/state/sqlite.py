"""The embedded state store: one SQLite file in WAL mode (see ``store.py`` for the model)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from tenacity import retry, retry_if_exception, stop_after_delay, wait_random

from framework.normalize import name_key
from framework.state.sqlite_base import _dump, _load, _now
from framework.state.sqlite_lookup import KEY_INSERT, LookupSQL, _parts, key_rows, lookup_schema
from framework.state.sqlite_ops import OperatorsSQL, add_columns, ops_schema
from framework.state.sqlite_problems import ProblemsSQL
from framework.state.sqlite_runs import RunsSQL
from framework.state.sqlite_settle import SettleSQL
from framework.state.sqlite_webhooks import WEBHOOK_SCHEMA, WebhookTables
from framework.state.store import (
    InboxEntry,
    Link,
    Settling,
    StoredRecord,
    page_keys,
)

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS cursors (
    pair TEXT, entity TEXT, side TEXT, cursor TEXT, full_done INTEGER DEFAULT 0,
    PRIMARY KEY (pair, entity, side));
CREATE TABLE IF NOT EXISTS records (
    pair TEXT, entity TEXT, side TEXT, id TEXT, link_key TEXT, link_id INTEGER,
    deleted INTEGER DEFAULT 0, data BLOB, latest BLOB, hash BLOB,
    PRIMARY KEY (pair, entity, side, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS links (
    id INTEGER PRIMARY KEY, pair TEXT, entity TEXT, pos_id TEXT, platform_id TEXT,
    link_key TEXT, status TEXT DEFAULT 'ok', created_at TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS links_pos ON links (pair, entity, pos_id);
CREATE UNIQUE INDEX IF NOT EXISTS links_platform ON links (pair, entity, platform_id);
CREATE INDEX IF NOT EXISTS links_key ON links (pair, entity, link_key);
CREATE TABLE IF NOT EXISTS keys (
    pair TEXT, entity TEXT, side TEXT, name TEXT, value TEXT, id TEXT,
    PRIMARY KEY (pair, entity, side, name, value, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS keys_by_id ON keys (pair, entity, side, id);
CREATE TABLE IF NOT EXISTS inbox (
    seq INTEGER PRIMARY KEY, pair TEXT, entity TEXT, side TEXT, id TEXT, change BLOB);
CREATE INDEX IF NOT EXISTS inbox_record ON inbox (pair, entity, side, id);
CREATE INDEX IF NOT EXISTS inbox_entity ON inbox (pair, entity, seq);
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY, pair TEXT, entity TEXT, side TEXT, link_id INTEGER,
    request BLOB, expected BLOB, source BLOB, attempts INTEGER DEFAULT 0, created_at TEXT);
CREATE TABLE IF NOT EXISTS problems (
    id INTEGER PRIMARY KEY, pair TEXT, entity TEXT, side TEXT, record_id TEXT, rule TEXT,
    reason TEXT, payload BLOB, attempts INTEGER DEFAULT 1, created_at TEXT, resolved_at TEXT);
CREATE INDEX IF NOT EXISTS problems_record ON problems (pair, entity, side, record_id);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, pair TEXT, started_at TEXT, finished_at TEXT, status TEXT,
    counts TEXT, calls TEXT, error TEXT);
CREATE TABLE IF NOT EXISTS moves (
    run_id INTEGER, entity TEXT, record TEXT, toward TEXT, action TEXT, fields TEXT, rule TEXT);
CREATE INDEX IF NOT EXISTS moves_run ON moves (run_id);
CREATE TABLE IF NOT EXISTS leases (
    pair TEXT PRIMARY KEY, holder TEXT, pid INTEGER, host TEXT, started_at REAL,
    heartbeat_at REAL, ttl REAL, run_id INTEGER);
CREATE TABLE IF NOT EXISTS merges (
    id INTEGER PRIMARY KEY, pair TEXT, entity TEXT, side TEXT, survivor TEXT, merged TEXT,
    details BLOB, created_at TEXT);
"""


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def content_hash(record: dict[str, Any] | None, link_key: str | None) -> bytes:
    """A short digest of a record's canonical content and shared code."""
    body = orjson.dumps([record, link_key], option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(body, digest_size=16).digest()


def _settled_hash(rec: StoredRecord) -> bytes | None:
    """The hash a re-read must match to be skipped: linked, settled records only.

    Unlinked records (not created, out of scope, ambiguous) and held-back ones are always
    reconciled again, so a changed switch or filter still reaches them.
    """
    if rec.link_id is None or rec.latest is not None or rec.deleted or rec.data is None:
        return None
    return content_hash(rec.data, rec.link_key)


_RECORD_UPSERT = (
    "INSERT OR REPLACE INTO records (pair, entity, side, id, link_key, link_id, deleted, "
    "data, latest, hash, name_key) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)


def _record_row(pair: str, entity: str, rec: StoredRecord) -> tuple[Any, ...]:
    return (
        pair,
        entity,
        rec.side,
        rec.id,
        rec.link_key,
        rec.link_id,
        int(rec.deleted),
        _dump(rec.data),
        _dump(rec.latest),
        _settled_hash(rec),
        name_key(rec.now),
    )


def _busy(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


@retry(
    retry=retry_if_exception(_busy),
    wait=wait_random(0.01, 0.1),
    stop=stop_after_delay(10),
    reraise=True,
)
def _write_ahead_log(db: sqlite3.Connection) -> None:
    """Put the file in WAL mode (the file keeps it).

    On a new file opened by several processes at once the switch can answer "locked"
    without waiting out the busy timeout: it is tried again for as long as that would wait.
    """
    db.execute("PRAGMA journal_mode=WAL")


class SQLiteStore(LookupSQL, OperatorsSQL, WebhookTables, SettleSQL, ProblemsSQL, RunsSQL):
    """The state store in one SQLite file; ``:memory:`` gives a throwaway store for tests."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        # Waits for another process's lock from the first statement on: setting WAL on a new
        # file takes one too (two runs started together on a new state file).
        self._db.execute("PRAGMA busy_timeout=10000")
        _write_ahead_log(self._db)
        self._db.execute("PRAGMA synchronous=NORMAL")
        # Each record is reconciled in a savepoint, whose undo copies go to a statement
        # journal: on disk (a temporary file) they were 1.35 GB in 656,000 writes for a 10k
        # upload, more than the database itself; in memory they are a copy (issue 17).
        self._db.execute("PRAGMA temp_store=MEMORY")
        self._db.executescript(_SCHEMA)  # idempotent DDL; executescript commits by itself
        ops_schema(self._db)
        self._db.executescript(WEBHOOK_SCHEMA)
        add_columns(self._db, "records", {"hash": "BLOB"})  # from before content hashes
        lookup_schema(self._db)
        # Written once: opening a store must not wait for the write lock, which a run of
        # another process may hold (a refused or waiting run only reads).
        if self._one("SELECT 1 FROM meta WHERE key='schema_version'") is None:
            self._db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )

    # -- plumbing -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def reopen(self) -> SQLiteStore | None:
        """A new connection to the same file, for another thread (``None`` in memory)."""
        return None if self.path == ":memory:" else SQLiteStore(self.path)

    # -- cursors and staging ----------------------------------------------------------------

    def cursor(self, pair: str, entity: str, side: str) -> str | None:
        """The stored cursor, or ``None`` before the first full read."""
        row = self._one(
            "SELECT cursor FROM cursors WHERE pair=? AND entity=? AND side=?", pair, entity, side
        )
        return row[0] if row else None

    def full_read_done(self, pair: str, entity: str, side: str) -> bool:
        """Whether a full read of this side has completed once (G-2)."""
        row = self._one(
            "SELECT full_done FROM cursors WHERE pair=? AND entity=? AND side=?",
            pair,
            entity,
            side,
        )
        return bool(row and row[0])

    def stage(
        self,
        pair: str,
        entity: str,
        side: str,
        changes: list[tuple[dict[str, Any], dict[str, list[str]]]],
        cursor: str | None,
        finished: bool,
    ) -> None:
        """Stage a page of changes with their match keys and store its cursor, atomically."""
        with self.transaction():
            self._db.executemany(
                "INSERT INTO inbox (pair, entity, side, id, change) VALUES (?,?,?,?,?)",
                [(pair, entity, side, c["id"], orjson.dumps(c)) for c, _ in changes],
            )
            # Each record's keys replaced, one statement each for the page (not two a record).
            latest = page_keys(changes)
            self._db.executemany(
                "DELETE FROM keys WHERE pair=? AND entity=? AND side=? AND id=?",
                [(pair, entity, side, record_id) for record_id in latest],
            )
            rows = [
                row
                for record_id, keys in latest.items()
                for row in key_rows(pair, entity, side, record_id, keys)
            ]
            if rows:
                self._db.executemany(KEY_INSERT, rows)
            self._db.execute(
                "INSERT INTO cursors (pair, entity, side, cursor, full_done) VALUES (?,?,?,?,?) "
                "ON CONFLICT (pair, entity, side) DO UPDATE SET cursor=excluded.cursor, "
                "full_done=MAX(full_done, excluded.full_done)",
                (pair, entity, side, cursor, int(finished)),
            )

    def unchanged(
        self, pair: str, entity: str, side: str, changes: list[dict[str, Any]]
    ) -> set[str]:
        """Ids of ``changes`` equal to their linked record's shadow, with no open problem.

        Systems without a change feed return every record on every read; what equals its
        shadow carries nothing new and need not be staged (nor an echo of our own write).
        """
        wanted = {
            c["id"]: content_hash(c["record"], c.get("link_key"))
            for c in changes
            if c.get("record") is not None and not c.get("problem") and c.get("op") != "delete"
        }
        same: set[str] = set()
        ids = list(wanted)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT id, hash FROM records WHERE pair=? AND entity=? AND side=? "
                f"AND id IN ({marks}) AND hash IS NOT NULL AND id NOT IN ("
                f"SELECT record_id FROM problems WHERE pair=? AND entity=? AND side=? "
                f"AND resolved_at IS NULL AND record_id IN ({marks}))",
                (pair, entity, side, *chunk, pair, entity, side, *chunk),
            )
            same.update(record_id for record_id, stored in rows if stored == wanted[record_id])
        return same

    def restage(self, pair: str, entity: str, side: str, change: dict[str, Any]) -> None:
        """Stage one change again (a retried problem), leaving the cursor alone."""
        self._db.execute(
            "INSERT INTO inbox (pair, entity, side, id, change) VALUES (?,?,?,?,?)",
            (pair, entity, side, change["id"], orjson.dumps(change)),
        )

    # -- inbox ------------------------------------------------------------------------------

    def inbox_batch(self, pair: str, entity: str, limit: int, after: int = 0) -> list[InboxEntry]:
        """Staged changes of ``entity`` after sequence number ``after``, oldest first."""
        rows = self._db.execute(
            "SELECT seq, entity, side, id, change FROM inbox WHERE pair=? AND entity=? "
            "AND seq > ? ORDER BY seq LIMIT ?",
            (pair, entity, after, limit),
        ).fetchall()
        return [InboxEntry(r[0], r[1], r[2], r[3], orjson.loads(r[4])) for r in rows]

    def inbox_for(self, pair: str, entity: str, side: str, record_id: str) -> list[InboxEntry]:
        """Every staged change of one record, oldest first."""
        rows = self._db.execute(
            "SELECT seq, entity, side, id, change FROM inbox "
            "WHERE pair=? AND entity=? AND side=? AND id=? ORDER BY seq",
            (pair, entity, side, record_id),
        ).fetchall()
        return [InboxEntry(r[0], r[1], r[2], r[3], orjson.loads(r[4])) for r in rows]

    def inbox_of(
        self, pair: str, entity: str, side: str, ids: list[str]
    ) -> dict[str, list[InboxEntry]]:
        """Every staged change of each of ``ids`` that has one, oldest first, by id (one read)."""
        found: dict[str, list[InboxEntry]] = {}
        for part in _parts(ids):
            rows = self._db.execute(
                "SELECT seq, entity, side, id, change FROM inbox WHERE pair=? AND entity=? "
                f"AND side=? AND id IN ({','.join('?' * len(part))}) ORDER BY seq",
                (pair, entity, side, *part),
            )
            for r in rows:
                found.setdefault(r[3], []).append(
                    InboxEntry(r[0], r[1], r[2], r[3], orjson.loads(r[4]))
                )
        return found

    def inbox_done(self, seqs: list[int]) -> None:
        """Drop reconciled changes."""
        self._db.executemany("DELETE FROM inbox WHERE seq=?", [(s,) for s in seqs])

    def inbox_count(self, pair: str, entity: str | None = None) -> int:
        """How many changes are staged."""
        if entity is None:
            return int(self._one("SELECT COUNT(*) FROM inbox WHERE pair=?", pair)[0])
        return int(
            self._one("SELECT COUNT(*) FROM inbox WHERE pair=? AND entity=?", pair, entity)[0]
        )

    # -- records, links, keys ---------------------------------------------------------------

    def record(self, pair: str, entity: str, side: str, record_id: str) -> StoredRecord | None:
        """The last known state of one record."""
        r = self._one(
            "SELECT link_key, link_id, deleted, data, latest FROM records "
            "WHERE pair=? AND entity=? AND side=? AND id=?",
            pair,
            entity,
            side,
            record_id,
        )
        if r is None:
            return None
        return StoredRecord(side, record_id, _load(r[3]), r[0], r[1], bool(r[2]), _load(r[4]))

    def put_record(self, pair: str, entity: str, rec: StoredRecord) -> None:
        """Store the last known state of one record."""
        self._db.execute(_RECORD_UPSERT, _record_row(pair, entity, rec))

    def _put_records(self, pair: str, entity: str, recs: list[StoredRecord]) -> None:
        """Store the last known state of records (one statement)."""
        self._db.executemany(_RECORD_UPSERT, [_record_row(pair, entity, rec) for rec in recs])

    def rename_record(self, pair: str, entity: str, side: str, old: str, new: str) -> None:
        """Give a record (and its link and keys) its real id once the system assigned it."""
        with self.transaction():
            self._db.execute(
                "DELETE FROM records WHERE pair=? AND entity=? AND side=? AND id=?",
                (pair, entity, side, new),
            )
            self._db.execute(
                "UPDATE records SET id=? WHERE pair=? AND entity=? AND side=? AND id=?",
                (new, pair, entity, side, old),
            )
            column = "pos_id" if side == "pos" else "platform_id"
            self._db.execute(
                f"UPDATE links SET {column}=? WHERE pair=? AND entity=? AND {column}=?",
                (new, pair, entity, old),
            )
            self._db.execute(
                "DELETE FROM keys WHERE pair=? AND entity=? AND side=? AND id=?",
                (pair, entity, side, old),
            )

    def settle_record(
        self,
        pair: str,
        entity: str,
        rec: StoredRecord,
        keys: dict[str, list[str]] | None,
        placeholder: str | None = None,
    ) -> None:
        """Store a written record's state and match keys at once (see ``store.py``)."""
        self.settle_records(pair, entity, [Settling(rec, keys, placeholder)])

    def all_records(self, pair: str, entity: str) -> Iterator[StoredRecord]:
        """Every record of ``entity`` known on either side (for look-ups by people, SQ-3)."""
        rows = self._db.execute(
            "SELECT side, id, data, link_key, link_id, deleted, latest FROM records "
            "WHERE pair=? AND entity=? ORDER BY side, id",
            (pair, entity),
        ).fetchall()
        for r in rows:
            yield StoredRecord(r[0], r[1], _load(r[2]), r[3], r[4], bool(r[5]), _load(r[6]))

    def records_containing(
        self, pair: str, entity: str, fragments: list[str]
    ) -> Iterator[StoredRecord]:
        """Live records that may hold every fragment (LIKE on the stored JSON; see store.py)."""
        text = "CAST(COALESCE(latest, data) AS TEXT)"
        sql = (
            "SELECT side, id, data, link_key, link_id, deleted, latest FROM records "
            "WHERE pair=? AND entity=? AND deleted=0"
        )
        args: list[Any] = [pair, entity]
        if fragments:
            likes = " AND ".join(f"{text} LIKE ? ESCAPE '\\'" for _ in fragments)
            # Beyond ASCII (as many bytes as characters otherwise): the caller tests it whole.
            beyond = f"length({text}) != length(COALESCE(latest, data))"
            sql += f" AND (({likes}) OR {beyond})"
            args += [f"%{_like_escaped(f)}%" for f in fragments]
        for r in self._db.execute(sql + " ORDER BY side, id", args):
            yield StoredRecord(r[0], r[1], _load(r[2]), r[3], r[4], bool(r[5]), _load(r[6]))

    def _link(self, row: Any) -> Link | None:
        return Link(*row) if row else None

    _LINK_COLUMNS = "id, pair, entity, pos_id, platform_id, link_key, status"

    def link(self, link_id: int) -> Link:
        """One link by its id."""
        found = self._link(self._one(f"SELECT {self._LINK_COLUMNS} FROM links WHERE id=?", link_id))
        if found is None:
            raise KeyError(f"no link {link_id}")
        return found

    def link_by_id(self, pair: str, entity: str, side: str, record_id: str) -> Link | None:
        """The link of the record ``record_id`` on ``side``."""
        column = "pos_id" if side == "pos" else "platform_id"
        return self._link(
            self._one(
                f"SELECT {self._LINK_COLUMNS} FROM links WHERE pair=? AND entity=? AND {column}=?",
                pair,
                entity,
                record_id,
            )
        )

    def link_by_key(self, pair: str, entity: str, link_key: str) -> Link | None:
        """The link carrying the shared code ``link_key`` (IS-3)."""
        return self._link(
            self._one(
                f"SELECT {self._LINK_COLUMNS} FROM links WHERE pair=? AND entity=? AND link_key=?",
                pair,
                entity,
                link_key,
            )
        )

    def add_link(
        self, pair: str, entity: str, pos_id: str, platform_id: str, link_key: str | None
    ) -> Link:
        """Create a link."""
        cur = self._db.execute(
            "INSERT INTO links (pair, entity, pos_id, platform_id, link_key, created_at) "
            "VALUES (?,?,?,?,?,?)",
            (pair, entity, pos_id, platform_id, link_key, _now()),
        )
        assert cur.lastrowid is not None
        return Link(cur.lastrowid, pair, entity, pos_id, platform_id, link_key)

    def save_link(self, link: Link) -> None:
        """Store a link's ids, key and status."""
        self._db.execute(
            "UPDATE links SET pos_id=?, platform_id=?, link_key=?, status=? WHERE id=?",
            (link.pos_id, link.platform_id, link.link_key, link.status, link.id),
        )

    def drop_link(self, link_id: int) -> None:
        """Undo a link whose record was never made on one side (its create was refused)."""
        link = self.link(link_id)
        with self.transaction():
            for side in ("pos", "platform"):
                record_id = link.id_on(side)
                if link.pending_on(side):
                    for table in ("records", "keys"):
                        self._db.execute(
                            f"DELETE FROM {table} WHERE pair=? AND entity=? AND side=? AND id=?",
                            (link.pair, link.entity, side, record_id),
                        )
                else:
                    self._db.execute(
                        "UPDATE records SET link_id=NULL WHERE pair=? AND entity=? AND side=? "
                        "AND id=?",
                        (link.pair, link.entity, side, record_id),
                    )
            self._db.execute("DELETE FROM links WHERE id=?", (link_id,))

    def links_count(self, pair: str, entity: str | None = None) -> int:
        """How many links exist."""
        if entity is None:
            return int(self._one("SELECT COUNT(*) FROM links WHERE pair=?", pair)[0])
        return int(
            self._one("SELECT COUNT(*) FROM links WHERE pair=? AND entity=?", pair, entity)[0]
        )

    def pending_count(self, pair: str, entity: str, side: str) -> int:
        """How many live links still wait for ``side`` to assign the record's id."""
        column = "pos_id" if side == "pos" else "platform_id"
        row = self._one(
            f"SELECT COUNT(*) FROM links WHERE pair=? AND entity=? AND status='ok' "
            f"AND {column} LIKE '~%'",
            pair,
            entity,
        )
        return int(row[0])

    def index_keys(
        self, pair: str, entity: str, side: str, record_id: str, keys: dict[str, list[str]]
    ) -> None:
        """Replace the match keys of one record."""
        self._db.execute(
            "DELETE FROM keys WHERE pair=? AND entity=? AND side=? AND id=?",
            (pair, entity, side, record_id),
        )
        rows = key_rows(pair, entity, side, record_id, keys)
        if rows:
            self._db.executemany(KEY_INSERT, rows)

    def index_new_keys(
        self, pair: str, entity: str, side: str, record_id: str, keys: dict[str, list[str]]
    ) -> None:
        """Index the match keys of a record that has none yet (see ``store.py``)."""
        rows = key_rows(pair, entity, side, record_id, keys)
        if rows:
            self._db.executemany(KEY_INSERT, rows)

    def find_by_keys(
        self, pair: str, entity: str, side: str, keys: dict[str, list[str]]
    ) -> list[str]:
        """Ids of records on ``side`` sharing any of ``keys``."""
        found: dict[str, None] = {}
        for name, values in keys.items():
            for value in values:
                for (record_id,) in self._db.execute(
                    "SELECT id FROM keys WHERE pair=? AND entity=? AND side=? AND name=? "
                    "AND value=?",
                    (pair, entity, side, name, value),
                ):
                    found[record_id] = None
        return list(found)

    def has_keys(self, pair: str, entity: str, side: str, name: str) -> bool:
        """Whether any record on ``side`` is indexed under a key called ``name``."""
        return (
            self._one(
                "SELECT 1 FROM keys WHERE pair=? AND entity=? AND side=? AND name=? LIMIT 1",
                pair,
                entity,
                side,
                name,
            )
            is not None
        )

    # -- held back --------------------------------------------------------------------------

    def set_held(
        self,
        pair: str,
        entity: str,
        side: str,
        record_id: str,
        reason: str | None,
        waits_for: str | None = None,
    ) -> None:
        """Mark a record held back for ``reason`` (``None``: no longer), waiting for a parent."""
        self._db.execute(
            "DELETE FROM keys WHERE pair=? AND entity=? AND side=? AND id=? "
            "AND name IN ('held', 'waits_for')",
            (pair, entity, side, record_id),
        )
        marks = [("held", reason), ("waits_for", waits_for)] if reason else []
        self._db.executemany(
            KEY_INSERT,
            key_rows(pair, entity, side, record_id, {n: [v] for n, v in marks if v}),
        )

    def held_for(self, pair: str, entity: str, side: str, waits_for: str) -> list[str]:
        """Ids of records held back waiting for ``waits_for`` (a parent)."""
        return self.find_by_keys(pair, entity, side, {"waits_for": [waits_for]})

    def held_counts(self, pair: str) -> list[tuple[str, str, int]]:
        """How many records are held back, by entity and reason."""
        # The pair's entities by index seeks (a skip scan), then the 'held' keys of each
        # entity and side through the key index: never a scan of every key (the console's
        # Overview at 100k customers).
        entities = [
            r[0]
            for r in self._db.execute(
                "WITH RECURSIVE e(entity) AS ("
                "SELECT MIN(entity) FROM keys WHERE pair=:p UNION ALL "
                "SELECT (SELECT MIN(entity) FROM keys WHERE pair=:p AND entity > e.entity) "
                "FROM e WHERE e.entity IS NOT NULL) SELECT entity FROM e",
                {"p": pair},
            )
            if r[0] is not None
        ]
        marks = ",".join("?" * len(entities))
        rows = self._db.execute(
            "SELECT entity, value, COUNT(*) FROM keys WHERE pair=? "
            f"AND entity IN ({marks}) AND side IN ('pos', 'platform') AND name='held' "
            "GROUP BY entity, value ORDER BY entity, value",
            (pair, *entities),
        ).fetchall()
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]

    # -- journal ----------------------------------------------------------------------------

    def add_intent(
        self,
        pair: str,
        entity: str,
        side: str,
        link_id: int | None,
        request: dict[str, Any],
        expected: dict[str, Any] | None,
        source: dict[str, Any] | None,
    ) -> int:
        """Journal a write before it is made."""
        cur = self._db.execute(
            "INSERT INTO journal (pair, entity, side, link_id, request, expected, source, "
            "created_at) VALUES (?,?,?,?,?,?,?,?)",
            (
                pair,
                entity,
                side,
                link_id,
                orjson.dumps(request),
                _dump(expected),
                _dump(source),
                _now(),
            ),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def intent_done(self, seq: int) -> None:
        """Drop an applied (or quarantined) write."""
        self._db.execute("DELETE FROM journal WHERE seq=?", (seq,))

    def intent_attempted(self, seq: int) -> None:
        """Count one failed attempt of a write."""
        self._db.execute("UPDATE journal SET attempts = attempts + 1 WHERE seq=?", (seq,))
