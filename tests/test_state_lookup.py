"""Stores written before look-ups read indexes (issue 16) gain them when upgraded: a SQLite
file when it is opened, a PostgreSQL schema by ``syncwright db upgrade`` (migration 0005),
and they then find by name, by phone digits and by shared keys what a new store finds."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from framework.engine.lookup import find_records
from framework.state.sqlite import SQLiteStore
from framework.state.store import StateStore, StoredRecord
from tests.services import PgSchema, postgres_schema

PEOPLE = [
    ("pos", "1", {"first_name": "Anna", "last_name": "Smith"}, "a@x", "+12175550142"),
    ("pos", "2", {"first_name": "Joanna", "last_name": "Weiß"}, "a@x", "+12175550199"),
    ("platform", "9", {"first_name": "Bob"}, "b@x", "+12175550142"),
]


def _fill(store: StateStore) -> None:
    for side, rid, name, email, phone in PEOPLE:
        data = {**name, "emails": [{"address": email}], "phones": [{"number": phone}]}
        store.put_record("p", "customer", StoredRecord(side, rid, data))
        store.index_keys("p", "customer", side, rid, {"email": [email], "phone": [phone]})
    store.put_record("p", "customer", StoredRecord("pos", "3", None, latest={"last_name": "Weiss"}))


def _looked_up(store: StateStore) -> tuple[object, ...]:
    return (
        [(f.side, f.id) for f in find_records(store, "p", "customer", "anna")],
        [(f.side, f.id) for f in find_records(store, "p", "customer", "WEISS")],
        [(f.side, f.id) for f in find_records(store, "p", "customer", "555-0142")],
        store.shared_keys("p", "customer", "pos", ["email", "phone"]),
    )


EXPECTED = (
    [("pos", "1"), ("pos", "2")],
    [("pos", "2"), ("pos", "3")],
    [("pos", "1"), ("platform", "9")],
    [("email", "a@x", ["1", "2"])],
)


@pytest.mark.rule("SQ-2", "SQ-3")
def test_a_sqlite_file_from_before_gains_the_look_up_indexes_when_opened(tmp_path: Path):
    path = tmp_path / "state.db"
    store = SQLiteStore(path)
    _fill(store)
    assert _looked_up(store) == EXPECTED
    store.close()
    with sqlite3.connect(path) as db:  # the schema as it was before issue 16
        db.executescript(
            "DROP TRIGGER keys_shared_insert; DROP TRIGGER keys_shared_delete; "
            "DROP TRIGGER keys_shared_update_old; DROP TRIGGER keys_shared_update_new; "
            "DROP TABLE shared_values; DROP INDEX records_name; DROP INDEX keys_tail; "
            "ALTER TABLE records DROP COLUMN name_key; ALTER TABLE keys DROP COLUMN rvalue;"
        )
    store = SQLiteStore(path)
    assert _looked_up(store) == EXPECTED
    store.index_keys("p", "customer", "pos", "2", {"email": ["c@x"]})  # triggers at work
    assert store.shared_keys("p", "customer", "pos", ["email"]) == []
    store.close()


@pytest.fixture
def pg() -> Iterator[PgSchema]:
    yield from postgres_schema()


@pytest.mark.rule("SQ-2", "SQ-3")
def test_a_postgres_schema_from_before_gains_them_by_db_upgrade(pg: PgSchema):
    import psycopg

    from framework.state.postgres import PostgresStore, upgrade
    from framework.state.postgres.migrations import _checked, current

    store = PostgresStore(pg.url, schema=pg.schema, tenant="shop")
    _fill(store)
    store.close()
    with psycopg.connect(pg.url, autocommit=True) as conn:  # back to the schema's version 4
        conn.execute(f"SET search_path TO {pg.schema}")
        conn.execute("DROP TRIGGER keys_shared ON keys")
        conn.execute("DROP FUNCTION keys_shared()")
        conn.execute("DROP TABLE shared_values")
        conn.execute("DROP INDEX keys_tail")
        conn.execute("ALTER TABLE records DROP COLUMN name_key")
        conn.execute("DELETE FROM schema_migrations WHERE version = 5")
    _checked.discard((pg.url, pg.schema))
    assert current(pg.url, pg.schema) == 4
    assert [m.version for m in upgrade(pg.url, pg.schema)] == [5]
    store = PostgresStore(pg.url, schema=pg.schema, tenant="shop")
    try:
        assert _looked_up(store) == EXPECTED
        store.index_keys("p", "customer", "pos", "2", {"email": ["c@x"]})  # the trigger works
        assert store.shared_keys("p", "customer", "pos", ["email"]) == []
    finally:
        store.close()
