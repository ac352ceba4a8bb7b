"""The state store's contract, run on both stores: SQLite (the embedded default, the
reference) and PostgreSQL (many stores, each a tenant in one schema).

Every test here runs twice (``[sqlite]``, ``[postgres]``); the PostgreSQL run skips in one
line where no server is reachable (and fails in CI, ``SYNCWRIGHT_CI=1``).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from framework.engine.lease import LeaseHeld, lapsed, pair_lease
from framework.normalize import text_key
from framework.state.sqlite import SQLiteStore
from framework.state.store import Lease, Settling, StateStore, StoredRecord
from tests.services import postgres_schema

JAN = {"first_name": "Jan", "last_name": "Kowalski"}
Opener = Callable[[str], StateStore]


@pytest.fixture(params=["sqlite", "postgres"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens stores on one shared state: a file, or a schema (argument: the tenant)."""
    opened: list[StateStore] = []
    if request.param == "sqlite":

        def sqlite(tenant: str) -> StateStore:
            store = SQLiteStore(tmp_path / f"{tenant}.db")
            opened.append(store)
            return store

        yield sqlite
    else:
        from framework.state.postgres import PostgresStore

        schemas = postgres_schema()
        made = next(schemas)

        def postgres(tenant: str) -> StateStore:
            store = PostgresStore(made.url, schema=made.schema, tenant=tenant)
            opened.append(store)
            return store

        yield postgres
        for store in opened:
            store.close()
        opened.clear()
        next(schemas, None)
    for store in opened:
        store.close()


@pytest.fixture
def store(opener: Opener) -> StateStore:
    return opener("shop")


def change(record_id: str, record: dict | None = None, **extra: object) -> dict:
    return {"id": record_id, "entity": "customer", "op": "upsert", "record": record, **extra}


# -- cursors, staging, inbox ---------------------------------------------------------------


@pytest.mark.rule("G-2", "G-5")
def test_a_page_is_staged_with_its_cursor_and_keys(store: StateStore):
    assert store.cursor("p", "customer", "pos") is None
    assert not store.full_read_done("p", "customer", "pos")
    store.stage(
        "p",
        "customer",
        "pos",
        [(change("1", JAN), {"email": ["jan@x.pl"]}), (change("2", JAN), {"email": ["b@x.pl"]})],
        "c1",
        False,
    )
    assert store.cursor("p", "customer", "pos") == "c1"
    assert not store.full_read_done("p", "customer", "pos")
    store.stage("p", "customer", "pos", [], "c2", True)
    store.stage("p", "customer", "pos", [], "c3", False)
    assert store.cursor("p", "customer", "pos") == "c3"
    assert store.full_read_done("p", "customer", "pos"), "a full read once done stays done"
    batch = store.inbox_batch("p", "customer", 10)
    assert [(e.side, e.id, e.change["record"]) for e in batch] == [
        ("pos", "1", JAN),
        ("pos", "2", JAN),
    ]
    assert store.find_by_keys("p", "customer", "pos", {"email": ["jan@x.pl"]}) == ["1"]
    assert store.inbox_count("p") == store.inbox_count("p", "customer") == 2
    assert store.inbox_count("p", "product") == 0


@pytest.mark.rule("G-3")
def test_a_page_replaces_each_records_keys_with_its_last_changes(store: StateStore):
    """Staging replaces the keys of a page's records at once, as one record at a time."""
    store.index_keys("p", "customer", "pos", "1", {"email": ["old@x"], "phone": ["+48 1"]})
    store.index_keys("p", "customer", "pos", "2", {"email": ["two@x"]})
    store.index_keys("p", "customer", "pos", "9", {"email": ["nine@x"]})  # not in the page
    store.set_held("p", "customer", "pos", "2", "parent out of scope", "c7")
    assert store.held_for("p", "customer", "pos", "c7") == ["2"]
    store.index_keys("p", "customer", "platform", "1", {"email": ["old@x"]})  # other side
    page = [
        (change("1", JAN), {"email": ["first@x"], "phone": ["+48 2"]}),
        (change("2", JAN), {}),
        (change("1", JAN), {"email": ["last@x"]}),  # staged twice: its later keys win
        (change("3", JAN), {"email": ["last@x", "three@x"]}),
    ]
    store.stage("p", "customer", "pos", page, "c1", False)

    def found(**keys: list[str]) -> list[str]:
        return store.find_by_keys("p", "customer", "pos", keys)

    assert found(email=["old@x"]) == [], "replaced, not added to"
    assert found(phone=["+48 1"]) == found(phone=["+48 2"]) == []
    assert found(email=["first@x"]) == [], "the earlier change of a record twice in the page"
    assert sorted(found(email=["last@x"])) == ["1", "3"]
    assert found(email=["three@x"]) == ["3"]
    assert found(email=["two@x"]) == [], "a change with no keys leaves none"
    assert store.held_for("p", "customer", "pos", "c7") == [], "its held marks too"
    assert found(email=["nine@x"]) == ["9"], "records not in the page keep theirs"
    assert store.find_by_keys("p", "customer", "platform", {"email": ["old@x"]}) == ["1"]
    assert [e.id for e in store.inbox_batch("p", "customer", 10)] == ["1", "2", "1", "3"]


@pytest.mark.rule("G-5")
def test_a_failed_page_stages_nothing_and_keeps_the_old_cursor(store: StateStore):
    store.stage("p", "customer", "pos", [(change("1", JAN), {})], "c1", False)
    with pytest.raises(KeyError):
        store.stage(
            "p", "customer", "pos", [(change("2", JAN), {}), ({"no": "id"}, {})], "c2", True
        )
    assert store.cursor("p", "customer", "pos") == "c1"
    assert [e.id for e in store.inbox_batch("p", "customer", 10)] == ["1"]


def test_inbox_batches_page_by_sequence_and_done_drops(store: StateStore):
    changes = [(change(str(i), JAN), {}) for i in range(5)]
    store.stage("p", "customer", "pos", changes, None, False)
    store.restage("p", "customer", "platform", change("9", JAN))
    first = store.inbox_batch("p", "customer", 2)
    assert [e.id for e in first] == ["0", "1"]
    rest = store.inbox_batch("p", "customer", 10, after=first[-1].seq)
    assert [e.id for e in rest] == ["2", "3", "4", "9"]
    assert rest[-1].side == "platform"
    store.stage("p", "customer", "pos", [(change("2", {"x": 1}), {})], None, False)
    assert [e.change["record"] for e in store.inbox_for("p", "customer", "pos", "2")] == [
        JAN,
        {"x": 1},
    ]
    store.inbox_done([e.seq for e in first])
    assert store.inbox_count("p") == 5
    assert store.inbox_batch("p", "product", 10) == []


# -- records, links, keys --------------------------------------------------------------------


@pytest.mark.rule("G-4")
def test_records_round_trip_with_their_shadow_and_latest(store: StateStore):
    assert store.record("p", "customer", "pos", "1") is None
    rec = StoredRecord("pos", "1", JAN, "K1", None, False, {"first_name": "Janek"})
    store.put_record("p", "customer", rec)
    assert store.record("p", "customer", "pos", "1") == rec
    gone = StoredRecord("pos", "1", None, None, None, True)
    store.put_record("p", "customer", gone)
    assert store.record("p", "customer", "pos", "1") == gone
    store.put_record("p", "customer", StoredRecord("platform", "a", {"n": 1}))
    assert [(r.side, r.id) for r in store.all_records("p", "customer")] == [
        ("platform", "a"),
        ("pos", "1"),
    ]


@pytest.mark.rule("G-3")
def test_links_are_found_by_either_id_and_by_key(store: StateStore):
    link = store.add_link("p", "customer", "1", "~new", "K1")
    assert store.link(link.id) == link
    assert store.link_by_id("p", "customer", "pos", "1") == link
    assert store.link_by_id("p", "customer", "platform", "~new") == link
    assert store.link_by_key("p", "customer", "K1") == link
    assert store.link_by_key("p", "customer", "K2") is None
    assert store.pending_count("p", "customer", "platform") == 1
    assert store.pending_count("p", "customer", "pos") == 0
    link.platform_id, link.status = "100", "ok"
    store.save_link(link)
    assert store.link_by_id("p", "customer", "platform", "100") == link
    assert store.pending_count("p", "customer", "platform") == 0
    assert store.links_count("p") == store.links_count("p", "customer") == 1
    assert store.links_count("p", "product") == 0
    with pytest.raises(KeyError):
        store.link(link.id + 1000)


@pytest.mark.rule("G-3", "G-6")
def test_one_record_is_linked_once(store: StateStore):
    store.add_link("p", "customer", "1", "100", None)
    with pytest.raises(Exception, match=r"(?i)unique"):
        store.add_link("p", "customer", "1", "200", None)
    with pytest.raises(Exception, match=r"(?i)unique"):
        store.add_link("p", "customer", "2", "100", None)


def test_a_renamed_record_keeps_its_link_and_loses_its_placeholder_keys(store: StateStore):
    link = store.add_link("p", "customer", "1", "~tmp", None)
    store.put_record("p", "customer", StoredRecord("platform", "~tmp", JAN, None, link.id))
    store.index_keys("p", "customer", "platform", "~tmp", {"email": ["jan@x.pl"]})
    store.put_record("p", "customer", StoredRecord("platform", "100", {"stale": 1}))
    store.rename_record("p", "customer", "platform", "~tmp", "100")
    assert store.record("p", "customer", "platform", "~tmp") is None
    renamed = store.record("p", "customer", "platform", "100")
    assert renamed is not None
    assert renamed.data == JAN
    assert renamed.link_id == link.id
    assert store.link(link.id).platform_id == "100"
    assert store.find_by_keys("p", "customer", "platform", {"email": ["jan@x.pl"]}) == []


@pytest.mark.rule("G-6")
def test_a_settled_create_takes_its_placeholders_place_with_its_shadow_and_keys(
    store: StateStore,
):
    """A created record's settling: the placeholder's row, link and keys become the real
    id's in one step, with what was written as the shadow (and a stale row of that id goes)."""
    link = store.add_link("p", "customer", "1", "~tmp", None)
    store.put_record("p", "customer", StoredRecord("platform", "~tmp", JAN, None, link.id))
    store.index_keys("p", "customer", "platform", "~tmp", {"email": ["jan@x.pl"]})
    store.put_record("p", "customer", StoredRecord("platform", "100", {"stale": 1}))
    store.index_keys("p", "customer", "platform", "100", {"email": ["stale@x.pl"]})
    written = {**JAN, "email": "jan@y.pl"}
    settled = StoredRecord("platform", "100", written, "WEB-1", link.id)
    store.settle_record("p", "customer", settled, {"email": ["jan@y.pl"]}, "~tmp")
    assert store.record("p", "customer", "platform", "~tmp") is None
    assert store.record("p", "customer", "platform", "100") == settled
    assert store.link(link.id).platform_id == "100"
    assert store.link_by_id("p", "customer", "platform", "~tmp") is None
    found = store.find_by_keys
    assert found("p", "customer", "platform", {"email": ["jan@x.pl"]}) == []
    assert found("p", "customer", "platform", {"email": ["stale@x.pl"]}) == []
    assert found("p", "customer", "platform", {"email": ["jan@y.pl"]}) == ["100"]
    # An update's settling: the keys given replace the record's; None leaves them alone.
    store.settle_record("p", "customer", settled, None)
    assert found("p", "customer", "platform", {"email": ["jan@y.pl"]}) == ["100"]
    store.settle_record("p", "customer", settled, {"email": ["jan@z.pl"]})
    assert found("p", "customer", "platform", {"email": ["jan@y.pl"]}) == []
    assert found("p", "customer", "platform", {"email": ["jan@z.pl"]}) == ["100"]


@pytest.mark.rule("G-6")
def test_a_group_of_written_records_settles_as_each_one_alone(store: StateStore):
    """``settle_records``: creates taking their placeholders' places and updates (keys given
    or kept) of several records at once, on both sides, as ``settle_record`` of each."""
    found = store.find_by_keys
    made = []
    for n in range(3):
        link = store.add_link("p", "customer", str(n), f"~tmp{n}", None)
        store.put_record("p", "customer", StoredRecord("platform", f"~tmp{n}", JAN, None, link.id))
        store.index_keys("p", "customer", "platform", f"~tmp{n}", {"email": [f"old{n}@x.pl"]})
        made.append(link)
    kept = StoredRecord("pos", "7", JAN, None, None)
    store.put_record("p", "customer", kept)
    store.index_keys("p", "customer", "pos", "7", {"email": ["seven@x.pl"]})
    store.index_keys("p", "customer", "pos", "8", {"email": ["eight@x.pl"]})
    settled = [
        Settling(StoredRecord("platform", f"10{n}", {"n": n}, None, made[n].id), keys, f"~tmp{n}")
        for n, keys in enumerate([{"email": [f"new{n}@x.pl"]} for n in range(2)] + [None])
    ]
    settled += [
        Settling(StoredRecord("pos", "7", {"n": 7}, None, None), None),
        Settling(StoredRecord("pos", "8", {"n": 8}, None, None), {"phone": ["88"]}),
    ]
    store.settle_records("p", "customer", settled)
    for n in range(3):
        assert store.record("p", "customer", "platform", f"~tmp{n}") is None
        assert store.record("p", "customer", "platform", f"10{n}") == settled[n].record
        assert store.link(made[n].id).platform_id == f"10{n}"
        assert found("p", "customer", "platform", {"email": [f"old{n}@x.pl"]}) == []
    assert found("p", "customer", "platform", {"email": ["new0@x.pl", "new1@x.pl"]}) == [
        "100",
        "101",
    ]
    assert store.record("p", "customer", "pos", "7") == settled[3].record
    assert found("p", "customer", "pos", {"email": ["seven@x.pl"]}) == ["7"], "keys kept"
    assert found("p", "customer", "pos", {"email": ["eight@x.pl"]}) == [], "keys replaced"
    assert found("p", "customer", "pos", {"phone": ["88"]}) == ["8"]
    store.settle_records("p", "customer", [])  # nothing to settle: nothing happens


@pytest.mark.rule("G-6")
def test_a_settled_group_reads_its_links_and_drops_its_journal_rows_at_once(store: StateStore):
    one = store.add_link("p", "customer", "1", "~a", None)
    two = store.add_link("p", "product", "2", "20", "SKU-2")
    assert store.links_with_ids([two.id, one.id, two.id, 999]) == {one.id: one, two.id: two}
    seqs = [
        store.add_intent("p", "customer", "platform", one.id, {"n": n}, None, None)
        for n in range(4)
    ]
    store.intents_done(seqs[1:3])
    assert [i.seq for i in store.intents("p")] == [seqs[0], seqs[3]]
    store.intents_done([])
    assert [i.seq for i in store.intents("p")] == [seqs[0], seqs[3]]


@pytest.mark.rule("G-5")
def test_a_dropped_link_forgets_the_placeholder_and_unlinks_the_other_side(store: StateStore):
    link = store.add_link("p", "customer", "1", "~tmp", None)
    store.put_record("p", "customer", StoredRecord("pos", "1", JAN, None, link.id))
    store.put_record("p", "customer", StoredRecord("platform", "~tmp", JAN, None, link.id))
    store.index_keys("p", "customer", "platform", "~tmp", {"email": ["jan@x.pl"]})
    store.drop_link(link.id)
    assert store.link_by_id("p", "customer", "pos", "1") is None
    assert store.record("p", "customer", "platform", "~tmp") is None
    kept = store.record("p", "customer", "pos", "1")
    assert kept is not None
    assert kept.link_id is None
    assert kept.data == JAN
    assert not store.has_keys("p", "customer", "platform", "email")


@pytest.mark.rule("G-3", "SQ-2")
def test_keys_are_replaced_found_and_shared(store: StateStore):
    store.index_keys("p", "customer", "pos", "1", {"email": ["a@x"], "phone": ["+48 1"]})
    store.index_keys("p", "customer", "pos", "2", {"email": ["a@x"]})
    store.index_keys("p", "customer", "pos", "3", {"email": ["c@x"], "phone": ["+48 1"]})
    found = store.find_by_keys("p", "customer", "pos", {"email": ["a@x"], "phone": ["+48 1"]})
    assert found == ["1", "2", "3"]
    assert store.has_keys("p", "customer", "pos", "phone")
    assert not store.has_keys("p", "customer", "platform", "phone")
    assert store.shared_keys("p", "customer", "pos", ["email", "phone"]) == [
        ("email", "a@x", ["1", "2"]),
        ("phone", "+48 1", ["1", "3"]),
    ]
    assert store.shared_keys("p", "customer", "pos", []) == []
    store.index_keys("p", "customer", "pos", "1", {"email": ["b@x"]})
    assert store.find_by_keys("p", "customer", "pos", {"phone": ["+48 1"]}) == ["3"]
    # A fresh placeholder's keys are added without a delete first: found and shared alike.
    store.index_new_keys("p", "customer", "pos", "~9", {"email": ["c@x"], "phone": []})
    store.index_new_keys("p", "customer", "pos", "~8", {})
    assert store.find_by_keys("p", "customer", "pos", {"email": ["c@x"]}) == ["3", "~9"]
    assert store.shared_keys("p", "customer", "pos", ["email"]) == [("email", "c@x", ["3", "~9"])]
    store.rename_record("p", "customer", "pos", "~9", "9")
    assert store.find_by_keys("p", "customer", "pos", {"email": ["c@x"]}) == ["3"]


@pytest.mark.rule("G-4", "IS-6")
def test_unchanged_is_a_linked_settled_shadow_without_open_problems(store: StateStore):
    link = store.add_link("p", "customer", "1", "100", "K1")
    store.put_record("p", "customer", StoredRecord("pos", "1", JAN, "K1", link.id))
    store.put_record("p", "customer", StoredRecord("pos", "2", JAN, "K2", None))
    same = change("1", {"last_name": "Kowalski", "first_name": "Jan"}, link_key="K1")
    assert store.unchanged("p", "customer", "pos", [same]) == {"1"}
    assert store.unchanged("p", "customer", "pos", [change("2", JAN, link_key="K2")]) == set()
    assert store.unchanged("p", "customer", "pos", [change("1", JAN, link_key="K9")]) == set()
    assert store.unchanged("p", "customer", "pos", [{**same, "op": "delete"}]) == set()
    assert store.unchanged("p", "customer", "platform", [same]) == set()
    problem = store.add_problem("p", "customer", "pos", "1", "G-3", "ambiguous", None)
    assert store.unchanged("p", "customer", "pos", [same]) == set()
    store.resolve_problem(problem)
    assert store.unchanged("p", "customer", "pos", [same]) == {"1"}
    assert store.unchanged("p", "customer", "pos", []) == set()


def test_held_back_records_are_marked_counted_and_released(store: StateStore):
    store.set_held("p", "sale", "pos", "s1", "waits for its customer", waits_for="c1")
    store.set_held("p", "sale", "pos", "s2", "waits for its customer", waits_for="c1")
    store.set_held("p", "sale", "pos", "s3", "out of scope")
    assert store.held_for("p", "sale", "pos", "c1") == ["s1", "s2"]
    assert store.held_counts("p") == [
        ("sale", "out of scope", 1),
        ("sale", "waits for its customer", 2),
    ]
    store.set_held("p", "sale", "pos", "s1", None)
    assert store.held_for("p", "sale", "pos", "c1") == ["s2"]
    store.stage("p", "sale", "pos", [(change("s2", JAN), {})], None, False)
    assert store.held_for("p", "sale", "pos", "c1") == [], "a fresh change clears the mark"


# -- journal, problems -------------------------------------------------------------------------


@pytest.mark.rule("G-5", "G-6")
def test_the_journal_keeps_intents_in_order_until_done(store: StateStore):
    first = store.add_intent("p", "customer", "platform", None, {"op": "create"}, JAN, None)
    second = store.add_intent("p", "product", "pos", 7, {"op": "update"}, None, {"s": 1})
    assert [i.seq for i in store.intents("p")] == [first, second]
    [only] = store.intents("p", "product")
    assert (only.link_id, only.request, only.expected, only.source) == (
        7,
        {"op": "update"},
        None,
        {"s": 1},
    )
    store.intent_attempted(first)
    store.intent_attempted(first)
    assert store.intents("p", "customer")[0].attempts == 2
    store.intent_done(first)
    assert [i.seq for i in store.intents("p")] == [second]
    assert store.intents("other") == []


def test_the_writes_not_queued_yet_are_the_journals_others_in_order(store: StateStore):
    seqs = [
        store.add_intent("p", e, "platform", n, {"n": n}, JAN, None) for n, e in enumerate("aab")
    ]
    store.add_intent("other", "a", "platform", None, {}, None, None)
    store.intent_attempted(seqs[2])
    assert store.intents_but("p", None, set()) == store.intents("p")
    assert store.intents_but("p", None, set())[2].attempts == 1
    assert store.intents_but("p", "a", {seqs[0]}) == store.intents("p", "a")[1:]
    assert [i.seq for i in store.intents_but("p", None, {seqs[1]})] == [seqs[0], seqs[2]]
    assert store.intents_but("p", "a", set(seqs)) == []


@pytest.mark.rule("G-5")
def test_problems_are_kept_bumped_and_resolved(store: StateStore):
    one = store.add_problem("p", "customer", "pos", "1", "G-3", "ambiguous", {"a": 1})
    again = store.add_problem("p", "customer", "pos", "1", "G-3", "ambiguous", {"a": 2})
    other = store.add_problem("q", "customer", "pos", "2", "CB-3", "refused", None)
    assert one == again
    problem = store.problem(one)
    assert problem is not None
    assert (problem.attempts, problem.payload, problem.rule) == (2, {"a": 2}, "G-3")
    assert problem.created_at.tzinfo is not None
    assert abs(problem.created_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert [p.id for p in store.problems()] == [one, other]
    assert [p.id for p in store.problems("q")] == [other]
    assert [p.id for p in store.problems_of("p", "customer", "pos", "1")] == [one]
    store.resolve_problem(one)
    assert [p.id for p in store.problems()] == [other]
    resolved = store.problem(one)
    assert resolved is not None
    assert resolved.resolved_at is not None
    assert [p.id for p in store.problems(open_only=False)] == [one, other]
    assert store.add_problem("p", "customer", "pos", "1", "G-3", "ambiguous", None) != one
    assert store.problem(10**9) is None


# -- runs, moves, merges ------------------------------------------------------------------------


def test_runs_are_recorded_newest_first_with_their_moves(store: StateStore):
    first = store.start_run("p")
    store.add_moves(first, [("customer", "1", "platform", "create", "name", "G-2")])
    store.finish_run(first, "ok", {"created": 1}, {"clientbook": 3}, None)
    second = store.start_run("q")
    store.finish_run(second, "failed", {}, {}, "FatalError: bad key")
    runs = store.runs()
    assert [r.id for r in runs] == [second, first]
    assert (runs[1].status, runs[1].counts, runs[1].calls) == (
        "ok",
        {"created": 1},
        {"clientbook": 3},
    )
    assert runs[0].error == "FatalError: bad key"
    assert runs[1].finished_at is not None
    assert runs[1].finished_at >= runs[1].started_at
    assert [r.id for r in store.runs("p")] == [first]
    assert len(store.runs(limit=1)) == 1
    assert list(store.moves(first)) == [("customer", "1", "platform", "create", "name", "G-2")]
    assert store.run(first) == runs[1]
    assert store.run(second + 1000) is None


@pytest.mark.rule("SQ-3")
def test_look_ups_by_people_narrow_by_fragment_and_phone_suffix(store: StateStore):
    store.put_record("p", "customer", StoredRecord("pos", "1", {"name": "Ann Lee_x"}))
    store.put_record("p", "customer", StoredRecord("platform", "a", {"name": "Bob 100%"}))
    store.put_record("p", "customer", StoredRecord("platform", "b", {"name": "Zoë"}))
    store.put_record("p", "customer", StoredRecord("pos", "9", None, None, None, True))
    found = lambda *f: sorted(r.id for r in store.records_containing("p", "customer", list(f)))  # noqa: E731
    assert found("ann", "LEE") == ["1", "b"], "ASCII case ignored; beyond ASCII left to caller"
    assert found("100%") == ["a", "b"], "% is literal"
    assert found("e_x") == ["1", "b"], "_ is literal"
    assert found() == ["1", "a", "b"], "deleted records are never found"
    store.index_keys("p", "customer", "pos", "1", {"phone": ["+48123456789"]})
    store.index_keys("p", "customer", "pos", "2", {"phone": ["+48999456789"]})
    assert sorted(store.find_by_key_suffix("p", "customer", "pos", "phone", "456789")) == ["1", "2"]
    assert store.find_by_key_suffix("p", "customer", "pos", "phone", "3456789") == ["1"]
    assert store.find_by_key_suffix("p", "customer", "pos", "phone", "_456789") == []


@pytest.mark.rule("SQ-3")
def test_look_ups_by_name_read_the_folded_name_kept_with_each_record(store: StateStore):
    people = {
        ("pos", "2"): {"first_name": "Anna", "last_name": "Smith"},
        ("pos", "1"): {"first_name": "JOANNA", "middle_name": "M", "last_name": "Nowak"},
        ("platform", "a"): {"company": "Änna  Straße GmbH"},
        ("platform", "b"): {"first_name": "Bob", "emails": [{"address": "anna@x.pl"}]},
        ("platform", "c"): {"first_name": "100%", "last_name": "Under_score"},
    }
    for (side, rid), data in people.items():
        store.put_record("p", "customer", StoredRecord(side, rid, data))
    held = StoredRecord("pos", "3", {"first_name": "Old"}, latest={"first_name": "Annabel"})
    store.put_record("p", "customer", held)  # a held-back change: searched as last seen
    store.put_record(
        "p", "customer", StoredRecord("pos", "4", {"first_name": "Anna"}, deleted=True)
    )
    store.put_record("p", "customer", StoredRecord("pos", "5", None, latest=None))
    store.put_record("q", "customer", StoredRecord("pos", "6", {"first_name": "Anna"}))
    by = lambda text, limit=None: store.find_by_name("p", "customer", text_key(text), limit)  # noqa: E731
    assert by("anna") == [("pos", "1"), ("pos", "2"), ("pos", "3")], "no e-mail, no deleted"
    assert by("anna smith") == [("pos", "2")]
    assert by("joanna m nowak") == [("pos", "1")], "middle name between"
    assert by("ÄNNA STRASSE") == [("platform", "a")], "case and whitespace folded, ß is ss"
    assert by("old") == [], "the held-back change is what is searched"
    assert by("0%") == [("platform", "c")], "% is literal"
    assert by("r_s") == [("platform", "c")], "_ is literal"
    assert by("anna", 2) == [("pos", "1"), ("pos", "2")]
    assert by("") == [("platform", "a"), ("platform", "b"), ("platform", "c"), *by("anna")]
    store.put_record("p", "customer", StoredRecord("pos", "2", {"first_name": "Anne"}))
    assert by("anna") == [("pos", "1"), ("pos", "3")], "a new name replaces the old"
    store.rename_record("p", "customer", "pos", "1", "7")
    assert by("joanna") == [("pos", "7")]


@pytest.mark.rule("SQ-2")
def test_shared_keys_follow_every_write_of_keys(store: StateStore):
    shared = lambda: store.shared_keys("p", "customer", "pos", ["email"])  # noqa: E731
    store.index_keys("p", "customer", "pos", "1", {"email": ["a@x"]})
    assert shared() == []
    store.index_keys("p", "customer", "pos", "2", {"email": ["a@x"]})
    store.index_keys("p", "customer", "platform", "3", {"email": ["a@x"]})  # the other side
    store.index_keys("q", "customer", "pos", "4", {"email": ["a@x"]})  # another pair
    assert shared() == [("email", "a@x", ["1", "2"])]
    store.index_keys("p", "customer", "pos", "5", {"email": ["a@x"]})
    assert shared() == [("email", "a@x", ["1", "2", "5"])]
    store.index_keys("p", "customer", "pos", "5", {"email": ["b@x"]})
    store.index_keys("p", "customer", "pos", "2", {"email": ["b@x"]})
    assert shared() == [("email", "b@x", ["2", "5"])], "re-indexed: a@x is held by 1 only"
    store.set_held("p", "customer", "pos", "2", "out_of_scope")  # marks are keys too
    store.set_held("p", "customer", "pos", "5", "out_of_scope")
    assert shared() == [("email", "b@x", ["2", "5"])]
    store.put_record("p", "customer", StoredRecord("pos", "~5", {"first_name": "Jan"}))
    store.index_keys("p", "customer", "pos", "~5", {"email": ["c@x"]})
    store.index_keys("p", "customer", "pos", "6", {"email": ["c@x"]})
    store.rename_record("p", "customer", "pos", "~5", "8")  # the placeholder's keys go
    assert shared() == [("email", "b@x", ["2", "5"])]
    link = store.add_link("p", "customer", "9", "~tmp", None)
    store.index_keys("p", "customer", "platform", "~tmp", {"email": ["a@x"]})
    assert store.shared_keys("p", "customer", "platform", ["email"]) == [
        ("email", "a@x", ["3", "~tmp"])
    ]
    store.drop_link(link.id)
    assert store.shared_keys("p", "customer", "platform", ["email"]) == []


def test_records_and_links_of_many_ids_in_one_read(store: StateStore):
    link = store.add_link("p", "customer", "1", "a", None)
    store.put_record("p", "customer", StoredRecord("pos", "1", JAN, None, link.id))
    held = StoredRecord("pos", "2", None, latest={"first_name": "Ewa"}, deleted=True)
    store.put_record("p", "customer", held)
    store.put_record("p", "customer", StoredRecord("platform", "a", JAN, None, link.id))
    store.put_record("q", "customer", StoredRecord("pos", "3", JAN))
    many = [f"x{i}" for i in range(1200)]  # past any one statement's limit of parameters
    found = store.records_of("p", "customer", "pos", ["1", "2", "3", "a", *many])
    assert found == {"1": store.record("p", "customer", "pos", "1"), "2": held}
    assert store.records_of("p", "customer", "pos", []) == {}
    links = store.links_of("p", "customer", "pos", ["1", "2", "a", *many])
    assert links == {"1": store.link_by_id("p", "customer", "pos", "1")}
    assert store.links_of("p", "customer", "platform", ["a", "1"]) == {"a": links["1"]}


def test_a_chunks_look_ups_of_many_ids_in_one_read_answer_as_one_at_a_time(store: StateStore):
    """``inbox_of``, ``open_problems_of``, ``kept_apart_of``: what ``runner._chunk`` reads."""
    store.stage(
        "p", "customer", "pos", [(change("1", JAN), {}), (change("2", JAN), {})], None, False
    )
    store.restage("p", "customer", "platform", change("1", JAN))  # the other side's "1"
    store.restage("p", "wish", "pos", change("1", JAN))  # another entity's "1"
    store.restage("q", "customer", "pos", change("1", JAN))  # another pair's
    store.restage("p", "customer", "pos", change("1", {"x": 1}))  # "1" again, later
    gone = store.add_problem("p", "customer", "pos", "1", "G-5", "gone", None)
    store.add_problem("p", "customer", "pos", "1", "G-3", "ambiguous", {"a": 1})
    store.add_problem("p", "customer", "pos", "1", "G-5", "first", None)
    store.add_problem("p", "customer", "platform", "2", "G-5", "theirs", None)
    store.resolve_problem(gone)
    store.keep_apart("p", "customer", "1", "a")
    store.keep_apart("p", "customer", "1", "b")
    store.keep_apart("p", "customer", "3", "a")
    store.keep_apart("q", "customer", "2", "a")
    many = [f"x{i}" for i in range(1200)]  # past any one statement's limit of parameters
    ids = ["1", "2", "3", *many]
    for side in ("pos", "platform"):
        staged = store.inbox_of("p", "customer", side, ids)
        one_by_one = {i: store.inbox_for("p", "customer", side, i) for i in ids}
        assert staged == {i: found for i, found in one_by_one.items() if found}
        problems = store.open_problems_of("p", "customer", side, ids)
        one_by_one_p = {i: store.problems_of("p", "customer", side, i) for i in ids}
        assert problems == {i: found for i, found in one_by_one_p.items() if found}
        apart = store.kept_apart_of("p", "customer", side, ["1", "2", "3", "a", *many])
        one_by_one_a = {i: store.kept_apart("p", "customer", side, i) for i in [*ids, "a"]}
        assert apart == {i: found for i, found in one_by_one_a.items() if found}
    assert [e.change["record"] for e in store.inbox_of("p", "customer", "pos", ["1"])["1"]] == [
        JAN,
        {"x": 1},
    ]
    assert [p.reason for p in store.open_problems_of("p", "customer", "pos", ["1"])["1"]] == [
        "ambiguous",
        "first",
    ]
    assert store.kept_apart_of("p", "customer", "pos", ["1"]) == {"1": {"a", "b"}}
    assert store.kept_apart_of("p", "customer", "platform", ["a"]) == {"a": {"1", "3"}}
    assert store.inbox_of("p", "customer", "pos", []) == {}
    assert store.open_problems_of("p", "customer", "pos", []) == {}
    assert store.kept_apart_of("p", "customer", "pos", []) == {}


@pytest.mark.rule("SQ-3")
def test_phone_suffixes_are_literal_and_exact(store: StateStore):
    store.index_keys("p", "customer", "pos", "1", {"phone": ["+48123456789"], "x": ["%9"]})
    store.index_keys("p", "customer", "pos", "2", {"phone": ["+48123456789", "+1789"]})
    store.index_keys("p", "customer", "pos", "3", {"phone": ["\u00ff\U0010ffff9"]})
    suffix = lambda s, name="phone": store.find_by_key_suffix("p", "customer", "pos", name, s)  # noqa: E731
    assert suffix("789") == ["1", "2"], "each record once"
    assert suffix("+48123456789") == ["1", "2"]
    assert suffix("0+48123456789") == []
    assert suffix("") == ["1", "2", "3"]
    assert suffix("\U0010ffff9") == ["3"]
    assert suffix("\u00ff\U0010ffff9") == ["3"]
    assert suffix("%9", "x") == ["1"]
    assert suffix("9", "x") == ["1"]
    assert suffix("%", "x") == [], "% is literal"


def test_the_move_log_keeps_recent_runs_only(store: StateStore):
    old = store.start_run("p")
    store.add_moves(old, [("customer", "1", "pos", "update", "", "G-1")])
    for _ in range(60):
        store.finish_run(store.start_run("p"), "ok", {}, {}, None)
    assert list(store.moves(old)) == []


@pytest.mark.rule("SQ-2")
def test_merges_are_recorded(store: StateStore):
    merge = store.add_merge("p", "customer", "platform", "a", ["b", "c"], {"kept": {"x": 1}})
    [made] = store.merges()
    assert (made.id, made.survivor, made.merged, made.details) == (
        merge,
        "a",
        ["b", "c"],
        {"kept": {"x": 1}},
    )
    assert store.merges("other") == []


# -- transactions ------------------------------------------------------------------------------


@pytest.mark.rule("G-5")
def test_a_transaction_commits_all_or_nothing_and_a_savepoint_alone(store: StateStore):
    def link_then_fail(block: Callable[[], AbstractContextManager[None]], pos_id: str) -> None:
        with block():
            store.add_link("p", "customer", pos_id, pos_id + "00", None)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        link_then_fail(store.transaction, "1")
    assert store.links_count("p") == 0
    with store.transaction():
        store.add_link("p", "customer", "1", "100", None)
        with store.transaction():  # nested: joins the outer one
            store.add_link("p", "customer", "2", "200", None)
        with pytest.raises(RuntimeError):
            link_then_fail(store.savepoint, "3")
    assert store.links_count("p") == 2


def test_another_connection_sees_what_was_committed(opener: Opener):
    first = opener("shop")
    second = first.reopen()
    assert second is not None
    try:
        with first.transaction():
            first.add_link("p", "customer", "1", "100", None)
        assert second.links_count("p") == 1
    finally:
        second.close()


# -- leases (framework/engine/lease.py) -----------------------------------------------------


def lease(holder: str, ttl: float = 30.0, pid: int | None = None) -> Lease:
    return Lease("p", holder, pid or os.getpid(), socket.gethostname(), 0.0, 0.0, ttl)


@pytest.mark.rule("G-6")
def test_a_lease_is_taken_refused_beaten_and_released(store: StateStore):
    assert store.lease("p") is None
    assert store.claim_lease(lease("a"), lapsed) == (True, None)
    won, holder = store.claim_lease(lease("b"), lapsed)
    assert not won
    assert holder is not None
    assert holder.holder == "a"
    run = store.start_run("p")
    assert store.beat_lease("p", "a", run)
    assert not store.beat_lease("p", "b")
    held = store.lease("p")
    assert held is not None
    assert held.run_id == run
    assert held.heartbeat_at > 0
    store.release_lease("p", "b")
    assert store.lease("p") is not None, "only the holder releases"
    store.release_lease("p", "a")
    assert store.lease("p") is None


@pytest.mark.rule("G-5", "G-6")
def test_a_lapsed_holder_is_taken_over_and_its_run_interrupted(store: StateStore):
    assert store.claim_lease(lease("a", ttl=0.05), lapsed)[0]
    run = store.start_run("p")
    store.beat_lease("p", "a", run)
    time.sleep(0.1)
    won, gone = store.claim_lease(lease("b"), lapsed)
    assert won
    assert gone is not None
    assert gone.holder == "a"
    assert store.runs("p")[0].status == "interrupted"
    assert not store.beat_lease("p", "a"), "the old holder finds it lost"


@pytest.mark.rule("G-6")
def test_claims_racing_from_many_connections_have_exactly_one_winner(opener: Opener):
    opener("shop").close()

    def claim(store: StateStore, start: threading.Barrier, won: list[bool]) -> None:
        start.wait()
        try:
            with pair_lease(store, "p", 30.0):
                won.append(True)
                start.wait()  # held until every other one has tried
        except LeaseHeld:
            won.append(False)
            start.wait()

    for _ in range(10):
        stores = [opener("shop") for _ in range(6)]
        start = threading.Barrier(len(stores))
        won: list[bool] = []
        threads = [threading.Thread(target=claim, args=(s, start, won)) for s in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for store in stores:
            store.close()
        assert won.count(True) == 1, won


# -- tenants --------------------------------------------------------------------------------


def test_stores_sharing_a_state_never_see_each_others_rows(opener: Opener):
    one, two = opener("shop-1"), opener("shop-2")
    link = one.add_link("p", "customer", "1", "100", "K1")
    one.put_record("p", "customer", StoredRecord("pos", "1", JAN, "K1", link.id))
    one.stage("p", "customer", "pos", [(change("1", JAN), {"email": ["a@x"]})], "c", True)
    problem = one.add_problem("p", "customer", "pos", "1", "G-3", "ambiguous", None)
    one.add_intent("p", "customer", "platform", None, {}, None, None)
    one.finish_run(one.start_run("p"), "ok", {}, {}, None)
    assert one.claim_lease(lease("a"), lapsed)[0]
    two.add_link("p", "customer", "1", "100", "K1")  # the same ids: another store's
    assert two.links_count("p") == 1
    assert one.links_count("p") == 1
    assert two.record("p", "customer", "pos", "1") is None
    assert two.cursor("p", "customer", "pos") is None
    assert two.inbox_count("p") == 0
    assert two.find_by_keys("p", "customer", "pos", {"email": ["a@x"]}) == []
    assert two.problems() == []
    assert two.problem(problem) is None
    assert two.intents("p") == []
    assert two.runs() == []
    assert two.claim_lease(lease("b"), lapsed)[0], "each store's pair has its own lease"
