"""Versioned migrations of the PostgreSQL state schema, applied by ``syncwright db upgrade``.

Each migration is a file ``migrations/NNNN_name.sql``, applied once, in order, in its own
transaction, and recorded in ``schema_migrations``. A store refuses to open a schema that is
behind this syncwright (one line: run ``syncwright db upgrade``) or ahead of it (an older
syncwright must not write a newer schema). Upgrades from several processes at once are
serialised by an advisory lock.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import orjson
import psycopg

from framework.normalize import name_key
from framework.state.factory import shown
from framework.state.postgres.connection import StoreUnavailable, check_name, pool

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# pg_advisory_xact_lock key of upgrades: "syncwright" as an int.
_UPGRADE_LOCK = 0x5359_4E43


@dataclass(frozen=True)
class Migration:
    """One step of the schema."""

    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """Every migration this syncwright knows, in order."""
    found = []
    for entry in resources.files("framework.state.postgres").joinpath("migrations").iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.version)


def _fill_name_keys(conn: psycopg.Connection[Any]) -> None:
    """Fill ``records.name_key`` (0005) for the records stored before it (SQ-3)."""
    with conn.cursor(name="syncwright_name_keys") as rows:  # server-side: in parts
        rows.execute(
            "SELECT tenant, pair, entity, side, id, COALESCE(latest, data) FROM records "
            "WHERE name_key IS NULL AND COALESCE(latest, data) IS NOT NULL"
        )
        while batch := rows.fetchmany(5000):
            with conn.cursor() as update:
                update.executemany(
                    "UPDATE records SET name_key=%s WHERE tenant=%s AND pair=%s AND entity=%s "
                    "AND side=%s AND id=%s",
                    [(name_key(orjson.loads(r[5])), *r[:5]) for r in batch],
                )


_AFTER: dict[int, Callable[[psycopg.Connection[Any]], None]] = {5: _fill_name_keys}
"""Data a migration's SQL cannot compute, filled in Python in the migration's transaction."""


def latest() -> int:
    """The schema version this syncwright reads and writes."""
    return migrations()[-1].version


def current(url: str, schema: str) -> int:
    """The version of ``schema`` in the database (0: never upgraded)."""
    with pool(url, schema).connection() as conn:
        row = conn.execute(
            "SELECT to_regclass(%s) IS NOT NULL", (f"{schema}.schema_migrations",)
        ).fetchone()
        if not row or not row[0]:
            return 0
        got = conn.execute(f"SELECT max(version) FROM {schema}.schema_migrations").fetchone()
        return int(got[0] or 0) if got else 0


def upgrade(url: str, schema: str) -> list[Migration]:
    """Apply the migrations ``schema`` lacks (creating it); returns those applied."""
    check_name("schema", schema)
    applied = []
    with pool(url, schema).connection() as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_UPGRADE_LOCK,))
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (version integer "
            "PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {int(r[0]) for r in conn.execute(f"SELECT version FROM {schema}.schema_migrations")}
        conn.execute(f"SET LOCAL search_path TO {schema}")
        for step in migrations():
            if step.version in done:
                continue
            with conn.transaction():
                conn.execute(step.sql.encode())
                if step.version in _AFTER:
                    _AFTER[step.version](conn)
                conn.execute(
                    f"INSERT INTO {schema}.schema_migrations (version, name) VALUES (%s, %s)",
                    (step.version, step.name),
                )
            applied.append(step)
    return applied


_checked: set[tuple[str, str]] = set()


def require_current(url: str, schema: str) -> None:
    """Refuse a schema that is not at this syncwright's version (checked once a process).

    Raises:
        StoreUnavailable: one line saying what to run.
    """
    if (url, schema) in _checked:
        return
    have, want = current(url, schema), latest()
    if have < want:
        raise StoreUnavailable(
            f"the PostgreSQL state store {shown(url)} (schema {schema!r}) is at version "
            f"{have}, this syncwright needs {want}: run `syncwright db upgrade`"
        )
    if have > want:
        raise StoreUnavailable(
            f"the PostgreSQL state store {shown(url)} (schema {schema!r}) is at version "
            f"{have}, newer than this syncwright knows ({want}): upgrade syncwright"
        )
    _checked.add((url, schema))
