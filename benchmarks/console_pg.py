"""The console benchmark's state copied from its SQLite file into a PostgreSQL schema.

Seeding 100k customers through the store's methods is one round trip a row: on a shared
two-core machine that took longer than the benchmark itself. The same rows go over by COPY
instead, so both stores are measured on the same state. The keys' trigger is off during
the copy (400,000 row triggers queued to the end of one COPY took minutes); the shared
values are then filled as migration 0005 fills them.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TABLES: dict[str, tuple[str, ...]] = {
    "links": ("id", "pair", "entity", "pos_id", "platform_id", "link_key", "status", "created_at"),
    "records": (
        "pair",
        "entity",
        "side",
        "id",
        "link_key",
        "link_id",
        "deleted",
        "data",
        "latest",
        "hash",
        "name_key",
    ),
    "keys": ("pair", "entity", "side", "name", "value", "id"),
    "problems": (
        "id",
        "pair",
        "entity",
        "side",
        "record_id",
        "rule",
        "reason",
        "payload",
        "attempts",
        "created_at",
        "resolved_at",
    ),
    "runs": ("id", "pair", "started_at", "finished_at", "status", "counts", "calls", "error"),
    "moves": ("run_id", "entity", "record", "toward", "action", "fields", "rule"),
    "history": (
        "id",
        "run_id",
        "at",
        "pair",
        "entity",
        "link_id",
        "pos_id",
        "platform_id",
        "action",
        "field",
        "old",
        "new",
        "source",
        "toward",
        "policy",
        "rule",
        "associate",
        "note",
    ),
}
SEQUENCES = ("links", "problems", "runs", "history")


def _rows(db: sqlite3.Connection, table: str, columns: tuple[str, ...]) -> Iterator[Any]:
    order = " ORDER BY rowid" if table == "moves" else ""
    yield from db.execute(f"SELECT {', '.join(columns)} FROM {table}{order}")


def copy_state(sqlite_path: Path, state: dict[str, str], log: Any) -> None:
    """Copy the benchmark's tables into ``state``'s schema and tenant (empty before)."""
    import psycopg

    started = time.monotonic()
    db = sqlite3.connect(sqlite_path)
    tenant = state["tenant"]
    with psycopg.connect(state["url"]) as conn:
        conn.execute(f"SET search_path TO {state['schema']}")
        conn.execute("ALTER TABLE keys DISABLE TRIGGER keys_shared")
        for table, columns in TABLES.items():
            names = ", ".join(("tenant", *columns))
            with conn.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in _rows(db, table, columns):
                    copy.write_row((tenant, *row))
            log(f"  {table} copied ({time.monotonic() - started:.0f} s)")
        conn.execute("ALTER TABLE keys ENABLE TRIGGER keys_shared")
        conn.execute(
            "INSERT INTO shared_values SELECT tenant, pair, entity, side, name, value FROM keys "
            "WHERE tenant=%s GROUP BY tenant, pair, entity, side, name, value "
            "HAVING count(*) > 1",
            (tenant,),
        )
        for table in SEQUENCES:
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(max(id), 0) + 1 FROM {table}))"
            )
    with psycopg.connect(state["url"], autocommit=True) as conn:  # as autovacuum leaves it
        conn.execute(f"SET search_path TO {state['schema']}")
        for table in TABLES:
            conn.execute(f"VACUUM ANALYZE {table}")
    db.close()
    log(f"copied into PostgreSQL in {time.monotonic() - started:.0f} s")
