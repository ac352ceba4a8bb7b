"""Benchmark: a plan of the initial upload against the upload, and history's cost per run.

``python benchmarks/plan_history.py [CUSTOMERS]`` (default 10,000) builds the benchmark's
store (``benchmarks/store.py``: customers with wishes, notes, sales, jobs) in the fake Edge,
then, through the real engine with the Clientbook fake in-process (``tests/harness.py``):

1. ``syncwright plan``'s function on the store not yet uploaded (reads both sides,
   reconciles, every write intercepted);
2. the initial upload itself, timing apart the time spent inside the connectors' write
   hooks (sending, and the in-process fake answering): the rest is the upload's own read,
   reconcile and settle time, which the plan must not exceed (issue 15);
3. history: entries and bytes the upload wrote (``dbstat``), and a run after 1% of the
   customers changed on Edge (a ring size, every other one a new e-mail): its entries,
   the time spent writing them, and bytes per change.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.store import edit_edge, generate
from framework.engine import in_flight
from framework.engine.plan import plan_pair
from framework.facade import Hooks
from framework.models import ApplyResult, SystemContext, WriteRequest
from framework.state.sqlite import SQLiteStore
from tests.harness import World


class TimedHooks(Hooks):
    """The real hooks, with the run's own thread's time spent on writes added up.

    With writes in flight (issue 17) the writes are sent by lanes (threads) while the run's
    thread reads, reconciles and settles: their time is not the run's. What the run's thread
    spends in a write hook itself, or waiting for a lane's write to come back
    (``in_flight.wait`` with no timeout), is time spent on writes; the rest of the upload's
    wall time is its own read, reconcile and settle, which a plan must not exceed.
    """

    def __init__(self, inner: Hooks):
        super().__init__(inner.pm)
        self._info = inner._info
        self.write_seconds = 0.0
        self._main = threading.main_thread()

    def timed(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is not self._main:
            return fn(*args, **kwargs)
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            self.write_seconds += time.perf_counter() - start

    def apply_change(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        return self.timed(super().apply_change, system, request)  # type: ignore[no-any-return]

    def apply_batch(self, system: SystemContext, requests: list[WriteRequest]) -> Any:
        return self.timed(super().apply_batch, system, requests)

    @contextmanager
    def waits_timed(self) -> Iterator[None]:
        """Count the run's thread's waits for writes in flight as write time."""
        names = vars(in_flight)
        wait = names["wait"]

        def timed_wait(fs: Any, timeout: float | None = None, **kw: Any) -> Any:
            if timeout:  # a look (timeout 0) is the run's own work
                return wait(fs, timeout=timeout, **kw)
            return self.timed(wait, fs, timeout=timeout, **kw)

        names["wait"] = timed_wait
        try:
            yield
        finally:
            names["wait"] = wait


def history_bytes(store: SQLiteStore) -> int:
    row = store._db.execute("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'history%'").fetchone()
    return int(row[0] or 0)


def main(customers: int) -> None:
    with tempfile.TemporaryDirectory(prefix="issue-15-bench-", dir="/tmp") as tmp:
        world = World(Path(tmp))
        counts = generate(world.edge, customers)
        world.edge.run_cycle()
        start = time.perf_counter()
        if customers <= 20_000:  # at 100k a warm-up plan is 10+ minutes of the same work
            plan_pair(world.engine, "store")
        cold_s = time.perf_counter() - start  # the process's first run: imports, caches
        start = time.perf_counter()
        plan = plan_pair(world.engine, "store")
        plan_s = time.perf_counter() - start
        timed = TimedHooks(world.engine.hooks)
        world.engine.hooks = timed
        start = time.perf_counter()
        with timed.waits_timed():
            report = world.engine.run_pair("store")
        upload_s = time.perf_counter() - start
        store = world.engine.store
        assert isinstance(store, SQLiteStore)
        upload_entries, upload_bytes = store.history_count(), history_bytes(store)
        planned = Counter((m[0], m[2], m[3]) for m in plan.moves)
        made = Counter((m[0], m[2], m[3]) for m in store.moves(report.run_id))
        assert planned == made, f"the upload did what the plan said: {planned} != {made}"
        for _ in range(3):  # EDT imports land on its second cycle: read back until quiet
            world.sync()
        before_entries = store.history_count()
        last = store._db.execute("SELECT COALESCE(MAX(id), 0) FROM history").fetchone()[0]
        spent = [0.0]
        add = store.add_history

        def timed_add(entries: list[Any]) -> None:
            t0 = time.perf_counter()
            add(entries)
            spent[0] += time.perf_counter() - t0

        store.add_history = timed_add  # type: ignore[method-assign]
        changed = edit_edge(world.edge, 0.01)
        world.edge.run_cycle()
        start = time.perf_counter()
        run = world.engine.run_pair("store")
        run_s = time.perf_counter() - start
        store.add_history = add  # type: ignore[method-assign]
        entries = store.history_count() - before_entries
        row = store._db.execute(
            "SELECT SUM(COALESCE(length(old), 0) + COALESCE(length(new), 0) + length(at) "
            "+ length(pair) + length(entity) + length(action) + COALESCE(length(field), 0) "
            "+ COALESCE(length(pos_id), 0) + COALESCE(length(platform_id), 0) "
            "+ COALESCE(length(policy), 0) + COALESCE(length(rule), 0) + 24) "
            "FROM history WHERE id > ?",
            (last,),
        ).fetchone()
        payload = int(row[0] or 0)
        table_bytes, table_entries = history_bytes(store), store.history_count()
        world.close()
    moved = sum(n for k, n in run.counts.items() if k.split(".")[1] in ("update", "create"))
    print(f"store: {counts.as_dict()} ({counts.total} records)")
    print(
        f"plan of the initial upload: {plan_s:.2f} s (a warm-up plan before it: "
        f"{cold_s:.2f} s); upload: {upload_s:.2f} s, of which the run's thread spent "
        f"{timed.write_seconds:.2f} s on writes (sending, or waiting for writes in flight): "
        f"read+reconcile+settle "
        f"{upload_s - timed.write_seconds:.2f} s; plan/that = "
        f"{plan_s / (upload_s - timed.write_seconds):.2f}"
    )
    print(
        f"upload history: {upload_entries:,} entries, {upload_bytes / 1e6:.1f} MB, "
        f"{upload_bytes / max(upload_entries, 1):.0f} bytes/entry"
    )
    print(
        f"run after {changed} customers changed ({moved} records written): {run_s:.2f} s, "
        f"{entries} history entries written in {spent[0] * 1000:.1f} ms "
        f"({spent[0] / max(run_s, 1e-9):.1%} of the run), "
        f"{payload / max(entries, 1):.0f} bytes of row data per entry; the whole history "
        f"with its indexes: {table_bytes / max(table_entries, 1):.0f} bytes/entry"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
