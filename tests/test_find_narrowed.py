"""``find`` (SQ-3) narrows the records down in the store: it finds exactly what testing
every record finds, for e-mails, phones and names, in any case and script, on both stores."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from framework.engine.lookup import _test, find_records
from framework.normalize import email_key
from framework.state.sqlite import SQLiteStore
from framework.state.store import StateStore, StoredRecord
from tests.services import postgres_schema

PEOPLE = [
    ("Anna", "Smith", "Anna.Smith@Example.com", "+12175550142"),
    ("José", "Núñez", "jose@example.com", "+442079460958"),
    ("Straße", "Weiß", "weiss@example.de", "+4930123456"),
    ("\uff21\uff2e\uff2e\uff21", "Wide", "wide@example.com", "+12175550199"),
    ('Quote "Q"', "Back\\slash", "q@example.com", "+12175550100"),
    ("Tab\tName", "O'Brien", "ob@example.com", "+12175550111"),
    ("100%", "Under_score", "pct@example.com", "+12175550122"),
]
QUERIES = [
    "anna.smith@example.com",
    "ANNA.SMITH@EXAMPLE.COM",
    "anna",
    "ANNA smith",
    "jose",
    "josé",
    "núñez",
    "strasse",
    "weiß",
    "(217) 555-0142",
    "555-0142",
    "2175550142",
    "+44 20 7946 0958",
    "020 7946 0958",
    '"q"',
    "back\\slash",
    "tab name",
    "o'brien",
    "100%",
    "under_score",
    "%",
    "_",
    "nobody",
]


@pytest.fixture(
    scope="module",
    params=[
        ("sqlite", "indexed"),
        ("sqlite", "not indexed"),
        ("postgres", "indexed"),
        ("postgres", "not indexed"),
    ],
    ids="-".join,
)
def store(request: pytest.FixtureRequest) -> Iterator[StateStore]:
    """The people above on one store (read only by the tests)."""
    if request.param[0] == "sqlite":
        yield _filled(SQLiteStore(":memory:"), request.param[1])
        return
    from framework.state.postgres import PostgresStore

    for made in postgres_schema():
        s = PostgresStore(made.url, schema=made.schema, tenant="shop")
        try:
            yield _filled(s, request.param[1])
        finally:
            s.close()


def _filled(s: StateStore, indexed: str) -> StateStore:
    for i, (first, last, email, phone) in enumerate(PEOPLE):
        data = {
            "first_name": first,
            "last_name": last,
            "emails": [{"address": email}],
            "phones": [{"number": phone}],
        }
        s.put_record("p", "customer", StoredRecord("pos", f"c{i}", data))
        held = StoredRecord("platform", f"h{i}", None, latest=data)  # a held-back change
        s.put_record("p", "customer", held)
        if indexed == "indexed":  # as the engine indexes them (G-3)
            keys = {"email": [email_key(email)], "phone": [phone]}
            for side, rid in (("pos", f"c{i}"), ("platform", f"h{i}")):
                s.index_keys("p", "customer", side, rid, keys)
    gone = StoredRecord("pos", "gone", {"first_name": "Anna", "emails": []}, deleted=True)
    s.put_record("p", "customer", gone)
    return s


@pytest.mark.rule("SQ-3")
@pytest.mark.parametrize("query", QUERIES)
def test_find_finds_what_testing_every_record_finds(store: StateStore, query: str):
    test, _ = _test(query, "US")
    expected = sorted(
        (r.side, r.id) for r in store.all_records("p", "customer") if not r.deleted and test(r.now)
    )
    found = sorted((f.side, f.id) for f in find_records(store, "p", "customer", query))
    assert found == expected
    assert len(find_records(store, "p", "customer", query, limit=1)) == min(1, len(expected))


def test_the_cases_above_find_something():
    assert sum(1 for q in QUERIES if q != "nobody") > 15
