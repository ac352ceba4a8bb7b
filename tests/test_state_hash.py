"""The content hash that lets the engine skip re-read records equal to their shadow."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from framework.state.sqlite import SQLiteStore
from framework.state.store import StoredRecord

JAN = {"first_name": "Jan", "last_name": "Kowalski"}


def change(record, link_key="K001", **extra) -> dict:
    return {
        "id": "1",
        "entity": "customer",
        "op": "upsert",
        "record": record,
        "link_key": link_key,
        **extra,
    }


@pytest.fixture
def store() -> SQLiteStore:
    s = SQLiteStore(":memory:")
    link = s.add_link("p", "customer", "1", "100", "K001")
    s.put_record("p", "customer", StoredRecord("pos", "1", JAN, "K001", link.id))
    return s


@pytest.mark.rule("G-4", "IS-6")
def test_a_reread_equal_to_the_linked_shadow_is_unchanged(store: SQLiteStore):
    assert store.unchanged("p", "customer", "pos", [change(dict(JAN))]) == {"1"}
    reordered = {"last_name": "Kowalski", "first_name": "Jan"}
    assert store.unchanged("p", "customer", "pos", [change(reordered)]) == {"1"}


@pytest.mark.rule("G-4", "IS-6")
def test_any_difference_is_a_change(store: SQLiteStore):
    assert not store.unchanged("p", "customer", "pos", [change({**JAN, "first_name": "Janusz"})])
    assert not store.unchanged("p", "customer", "pos", [change(JAN, link_key="K002")]), "IS-4"
    assert not store.unchanged("p", "customer", "pos", [change(JAN, op="delete")])
    assert not store.unchanged("p", "customer", "pos", [change(None, problem="bad NIP")])
    assert not store.unchanged("p", "customer", "platform", [change(JAN)]), "other side"


def test_unlinked_and_held_back_records_are_always_reconciled_again(store: SQLiteStore):
    store.put_record("p", "customer", StoredRecord("pos", "2", JAN, "K002", None))
    assert not store.unchanged("p", "customer", "pos", [change(JAN, "K002", id="2")]), (
        "an unlinked record is looked at again (a switch or filter may have changed)"
    )
    held = StoredRecord("pos", "1", JAN, "K001", 1, latest={**JAN, "last_name": "Nowak"})
    store.put_record("p", "customer", held)
    assert not store.unchanged("p", "customer", "pos", [change(JAN)])


def test_a_record_with_an_open_problem_is_reconciled_again(store: SQLiteStore):
    problem = store.add_problem("p", "customer", "pos", "1", "G-3", "ambiguous", None)
    assert not store.unchanged("p", "customer", "pos", [change(JAN)])
    store.resolve_problem(problem)
    assert store.unchanged("p", "customer", "pos", [change(JAN)]) == {"1"}


def test_a_state_file_from_before_content_hashes_gains_the_column(tmp_path: Path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE records (pair TEXT, entity TEXT, side TEXT, id TEXT, link_key TEXT, "
        "link_id INTEGER, deleted INTEGER DEFAULT 0, data BLOB, latest BLOB, "
        "PRIMARY KEY (pair, entity, side, id)) WITHOUT ROWID"
    )
    db.commit()
    db.close()
    store = SQLiteStore(path)
    store.put_record("p", "customer", StoredRecord("pos", "1", JAN, "K001", 1))
    assert store.unchanged("p", "customer", "pos", [change(JAN)]) == {"1"}
    store.close()
