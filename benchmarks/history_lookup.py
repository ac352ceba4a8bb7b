"""Benchmark: one record's history in a large history (issue 15's target: under 200 ms).

``python benchmarks/history_lookup.py [ENTRIES] [CUSTOMERS]`` (default 10,000,000 and
100,000) fills a state file's history through ``SQLiteStore.add_history`` (batches of
10,000 in one transaction each, as runs write them; its indexes built after the fill),
links every customer, then times
``syncwright history`` 's function (``framework.ops.history.record_history``: resolve the
record, read its timeline) for 200 customers picked at random, cold and warm, and prints
the figures with the file's size per entry (``dbstat``).
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from framework.ops.history import record_history
from framework.state.sqlite import SQLiteStore
from framework.state.sqlite_ops import ops_schema
from framework.state.store import HistoryEntry

BATCH = 10_000
FIELDS = ["emails", "phones", "first_name", "last_name", "custom.Ring size", "acquisition"]


def fill(store: SQLiteStore, entries: int, customers: int) -> float:
    """Links for ``customers``, then ``entries`` history entries spread over them."""
    with store.transaction():
        for i in range(customers):
            store.add_link("store", "customer", f"001-{i:06d}", f"cl_{i:06d}", None)
    rnd = random.Random(15)
    start = time.perf_counter()
    at = dt.datetime.now(dt.UTC) - dt.timedelta(days=80)
    step = dt.timedelta(days=80) / max(entries, 1)
    made = 0
    while made < entries:
        batch = []
        for _ in range(min(BATCH, entries - made)):
            i = rnd.randrange(customers)
            field = rnd.choice(FIELDS)
            batch.append(
                HistoryEntry(
                    "store",
                    "customer",
                    "update",
                    f"001-{i:06d}",
                    f"cl_{i:06d}",
                    i + 1,
                    field=field,
                    old=[{"address": f"old{made}@example.com"}] if field == "emails" else "7",
                    new=[{"address": f"new{made}@example.com"}] if field == "emails" else "7.5",
                    source="pos",
                    toward="platform",
                    policy="append_as_new",
                    rule="CB-3",
                    associate="12",
                    run_id=made // 50_000 + 1,
                    at=at + step * made,
                )
            )
            made += 1
        with store.transaction():
            store.add_history(batch)
        if made % 1_000_000 == 0:
            print(f"  {made:,} entries, {time.perf_counter() - start:.0f} s", flush=True)
    return time.perf_counter() - start


def lookups(store: SQLiteStore, customers: int, n: int = 200) -> list[float]:
    rnd = random.Random(16)
    times = []
    for _ in range(n):
        i = rnd.randrange(customers)
        record = f"cl_{i:06d}" if rnd.random() < 0.5 else f"001-{i:06d}"
        start = time.perf_counter()
        _, entries = record_history(store, "store", "customer", record)
        times.append(time.perf_counter() - start)
        assert entries, record
    return times


def main(entries: int, customers: int) -> None:
    with tempfile.TemporaryDirectory(prefix="issue-15-history-", dir="/tmp") as tmp:
        path = Path(tmp) / "state.db"
        store = SQLiteStore(path)
        # Filling only: a large page cache so 10M random index inserts are not disk-bound
        # (the lookups below run on a fresh connection with SQLite's default cache).
        store._db.execute("PRAGMA cache_size=-1000000")
        # The indexes are built after the fill (one sort each instead of 10M random
        # inserts); what is measured, the lookups, runs on the same tables and indexes.
        for index in ("history_link", "history_pos", "history_platform"):
            store._db.execute(f"DROP INDEX {index}")
        seconds = fill(store, entries, customers)
        start = time.perf_counter()
        ops_schema(store._db)
        print(f"  indexes built in {time.perf_counter() - start:.0f} s", flush=True)
        size = store._db.execute(
            "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'history%'"
        ).fetchone()[0]
        store.close()
        store = SQLiteStore(path)  # a fresh connection: nothing cached by this process
        cold = lookups(store, customers)
        warm = lookups(store, customers)
        store.close()
    print(f"{entries:,} history entries over {customers:,} customers")
    print(
        f"fill: {seconds:.1f} s ({entries / seconds:,.0f} entries/s, batches of {BATCH:,}, "
        "indexes built after)"
    )
    print(f"history table and indexes: {size / 1e6:,.0f} MB, {size / entries:.0f} bytes/entry")
    for name, times in (("first 200 lookups", cold), ("next 200", warm)):
        ms = sorted(t * 1000 for t in times)
        print(
            f"{name}: median {statistics.median(ms):.2f} ms, p99 {ms[int(len(ms) * 0.99) - 1]:.2f}"
            f" ms, max {ms[-1]:.2f} ms"
        )


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 100_000,
    )
