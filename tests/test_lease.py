"""One run of a pair at a time (G-3, G-5, G-6): the pair's lease, taken, refused, taken over.

Two ``syncwright run --once`` processes are started against the same state and the same
served fakes at random offsets: exactly one works, the other refuses in one line naming the
holder (exit code 75), or starts after the first ended; the result equals one uninterrupted
run. A holder killed (SIGKILL) is taken over at once by the next run, which replays its
journal; a holder that stops heartbeating (SIGSTOP: hung, or its machine frozen) is refused
until its TTL lapses, then taken over, and once it wakes it finds its lease gone and stops
writing. ``SYNCWRIGHT_LEASE_TRIALS`` runs more concurrent-start trials than the suite's.
"""

from __future__ import annotations

import collections
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

from framework.engine.context import PairContext
from framework.engine.lease import (
    EXIT_BUSY,
    LeaseHeld,
    LeaseLost,
    claim,
    lapsed,
    pair_lease,
    run_states,
)
from framework.engine.reconcile import Reconciler
from framework.engine.report import RunReport
from framework.engine.runner import PairRunner
from framework.state.sqlite import SQLiteStore
from framework.state.store import Lease
from tests.crash import CrashWorld, Snapshot
from tests.harness import World

EDGE, CLIENTBOOK, SHARED = 300, 60, 15
TRIALS = int(os.environ.get("SYNCWRIGHT_LEASE_TRIALS", "4"))


def make_world(tmp: Path, engine_config: str = "", extra_config: str = "") -> CrashWorld:
    return CrashWorld(
        tmp,
        edge_customers=EDGE,
        clientbook_clients_n=CLIENTBOOK,
        shared=SHARED,
        engine_config=engine_config,
        extra_config=extra_config,
    )


def settle(world: CrashWorld, runs: int = 2) -> Snapshot:
    """EDT cycles and complete runs: imports land and are read back; then both sides."""
    for _ in range(runs):
        world.edge.run_cycle()
        attempt = world.run()
        assert attempt.returncode == 0, attempt.output[-3000:]
    return world.snapshot()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """One uninterrupted run of the store, settled."""
    world = make_world(tmp_path_factory.mktemp("reference"))
    try:
        world.edge.run_cycle()
        assert world.run().returncode == 0
        result = settle(world)
    finally:
        world.close()
    assert result.pending == {"journal": 0, "inbox": 0}
    assert result.problems == {}
    assert sum(result.pairs.values()) == result.edge_count == result.clientbook_count
    return result


def runs_of(world: CrashWorld) -> list[tuple[str, str, str | None]]:
    db = sqlite3.connect(world.state_db)
    try:
        return db.execute("SELECT status, started_at, finished_at FROM runs ORDER BY id").fetchall()
    finally:
        db.close()


def concurrent_start(world: CrashWorld, offset: float) -> str:
    """Two engines on one state, the second ``offset`` seconds after the first.

    Returns the outcome: ``refused`` (one worked, the other refused naming it) or
    ``sequential`` (the second started after the first had finished).
    """
    world.edge.run_cycle()
    first, first_log = world.spawn("first")
    time.sleep(offset)
    second, second_log = world.spawn("second")
    codes = (first.wait(timeout=120), second.wait(timeout=120))
    logs = (first_log.read_text(errors="replace"), second_log.read_text(errors="replace"))
    runs = runs_of(world)
    if sorted(codes) == [0, EXIT_BUSY]:
        refused = logs[codes.index(EXIT_BUSY)]
        for words in ("is being run by pid", "@", "last heartbeat", "not started"):
            assert words in refused, refused
        assert len(runs) == 1, f"a refused process recorded a run: {runs}"
        return "refused"
    assert codes == (0, 0), f"exit codes {codes}:\n{logs[0][-2000:]}\n{logs[1][-2000:]}"
    assert len(runs) == 2, runs
    assert runs[0][2] is not None, runs
    assert runs[0][2] <= runs[1][1], f"two runs of one pair overlapped: {runs}"
    return "sequential"


@pytest.mark.slow
@pytest.mark.rule("G-3", "G-5", "G-6")
def test_two_engines_started_together_one_works_the_other_refuses(
    tmp_path: Path, reference: Snapshot
):
    rnd = random.Random(int(os.environ.get("SYNCWRIGHT_LEASE_SEED", "13")))
    outcomes: collections.Counter[str] = collections.Counter()
    for trial in range(TRIALS):
        world = make_world(tmp_path / f"t{trial}")
        try:
            # Mostly inside the first run's start-up and work (about 1.5 s), sometimes after.
            offset = rnd.choice([0.0, rnd.uniform(0.0, 0.3), rnd.uniform(0.0, 2.0)])
            outcome = concurrent_start(world, offset)
            outcomes[outcome] += 1
            differences = settle(world).differences(reference)
            assert differences == [], f"trial {trial} (offset {offset:.2f} s, {outcome}): " + (
                "\n".join(differences)
            )
        finally:
            world.close()
    print(f"\nconcurrent starts: {TRIALS} trials, {dict(outcomes)}")
    assert outcomes["refused"] >= 1, "no trial had both processes start while one ran"


@pytest.mark.slow
@pytest.mark.rule("G-5", "G-6")
def test_a_killed_holder_is_taken_over_at_once_and_its_journal_replayed(
    tmp_path: Path, reference: Snapshot
):
    world = make_world(tmp_path)
    try:
        world.edge.run_cycle()
        killed = False
        for delay in (0.3, 0.15, 0.05, 0.0):
            attempt = world.run_killed_after(delay)
            # A kill that lands after the run recorded its end (a loaded machine) killed
            # nothing that matters here: try again, sooner.
            if attempt.killed and runs_of(world)[-1][0] == "running":
                killed = True
                break
        assert killed, "every run recorded its end before it could be killed"
        store = SQLiteStore(world.state_db)
        try:
            shown = run_states(store, store.runs("store"))
            assert shown[0].status == "interrupted", "a dead run shows as interrupted"
        finally:
            store.close()
        attempt = world.run()  # no TTL to wait out: the holder's process is gone
        assert attempt.returncode == 0, attempt.output[-3000:]
        assert "took over the lease" in attempt.output or "replaying" in attempt.output
        statuses = [status for status, *_ in runs_of(world)]
        assert statuses[-2:] == ["interrupted", "ok"], statuses
        differences = settle(world).differences(reference)
        assert differences == [], "\n".join(differences)
    finally:
        world.close()


@pytest.mark.slow
@pytest.mark.rule("G-5", "G-6")
def test_a_silent_holder_is_taken_over_after_its_ttl_and_then_stops_writing(
    tmp_path: Path, reference: Snapshot
):
    ttl = 4.0
    # One write at a time. With writes in flight the engine reconciles the next chunk (in a
    # transaction) while its writes are on the wire, so a freeze at a write can land inside
    # a transaction, and a process frozen there holds SQLite's write lock: nobody can take
    # over until it wakes (the taker is told "the store is busy"). What is tested here is
    # the lease's TTL, for a holder frozen between transactions.
    world = make_world(tmp_path, engine_config=f"lease_ttl = {ttl}", extra_config="in_flight = 1")
    try:
        world.edge.run_cycle()
        stopped, stopped_log = world.spawn("stopped")
        # Stopped (as a hung process or a frozen machine would be) right after Clientbook
        # carried out one of its writes: between transactions, holding no lock of the store.
        world.switch.arm(2, lambda: stopped.send_signal(signal.SIGSTOP), ("POST",))
        assert world.switch.fired.wait(60), "the run made no second create"
        world.switch.disarm()
        try:
            # Within its TTL (a heartbeat went at most a quarter of it ago), refused; asked
            # from here, so no process start-up eats into the TTL on a loaded machine.
            store = SQLiteStore(world.state_db)
            try:
                with (
                    pytest.raises(LeaseHeld, match="is being run by pid"),
                    pair_lease(store, "store", ttl),
                ):
                    pass
            finally:
                store.close()
            time.sleep(ttl + 0.5)
            taker, taker_log = world.spawn("taker")
            assert taker.wait(timeout=120) == 0, taker_log.read_text()[-3000:]
        finally:
            stopped.send_signal(signal.SIGCONT)
        code = stopped.wait(timeout=60)
        text = stopped_log.read_text(errors="replace")
        assert code == EXIT_BUSY, text[-3000:]
        assert "lease was taken over" in text, text[-3000:]
        statuses = [status for status, *_ in runs_of(world)]
        assert statuses == ["interrupted", "ok"], statuses
        differences = settle(world).differences(reference)
        assert differences == [], "\n".join(differences)
    finally:
        world.close()


@pytest.mark.rule("G-6")
def test_claims_racing_from_many_connections_have_exactly_one_winner(tmp_path: Path):
    path = tmp_path / "state.db"
    SQLiteStore(path).close()

    def claim(store: SQLiteStore, start: threading.Barrier, won: list[bool]) -> None:
        start.wait()
        try:
            with pair_lease(store, "store", 30.0):
                won.append(True)
                start.wait()  # held until every other one has tried
        except LeaseHeld:
            won.append(False)
            start.wait()

    for _ in range(20):
        stores = [SQLiteStore(path) for _ in range(6)]
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


def test_a_fresh_state_file_opened_by_many_processes_at_once_gains_each_column_once(
    tmp_path: Path,
):
    """Two runs started together on a new state file both bring its schema up to date: the
    columns added to older files are checked again under the write lock, not added twice
    (was "duplicate column name: held_reason", exit 70, seen in the concurrent-start test)."""
    for trial in range(15):
        path = tmp_path / f"state-{trial}.db"
        start = threading.Barrier(6)
        errors: list[BaseException] = []

        def open_store(
            path: Path = path, start: threading.Barrier = start, errors: list = errors
        ) -> None:
            start.wait()
            try:
                SQLiteStore(path).close()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=open_store) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == [], errors
        with sqlite3.connect(path) as db:
            columns = [row[1] for row in db.execute("PRAGMA table_info(journal)")]
        db.close()
        assert sorted(c for c in columns if c.startswith("held_")) == [
            "held_kind",
            "held_reason",
            "held_run",
        ]


def test_a_lease_lapses_after_its_ttl_or_when_its_process_is_gone():
    now = time.time()
    mine = Lease("store", "a", os.getpid(), os.uname().nodename, now, now, 10.0)
    assert not lapsed(mine, now + 5)
    assert lapsed(mine, now + 11)
    dead = subprocess.Popen(["true"])
    dead.wait()
    gone = Lease("store", "b", dead.pid, mine.host, now, now, 10.0)
    assert lapsed(gone, now), "a process of this host that ended holds nothing"
    elsewhere = Lease("store", "c", dead.pid, "another-host", now, now, 10.0)
    assert not lapsed(elsewhere, now), "a pid of another host says nothing"


@pytest.mark.slow
def test_wait_waits_for_the_holder_then_runs(tmp_path: Path):
    world = make_world(tmp_path)
    store = SQLiteStore(world.state_db)
    try:
        with pair_lease(store, "store", 30.0):
            waiting, log = world.spawn("waiting", "--wait", "--wait-max", "60")
            deadline = time.monotonic() + 60
            while "waiting (up to 60 s)" not in log.read_text() and time.monotonic() < deadline:
                assert waiting.poll() is None, log.read_text()
                time.sleep(0.05)
            assert "is being run by pid" in log.read_text()
            time.sleep(0.5)
            assert waiting.poll() is None, "it waits while the lease is held"
        assert waiting.wait(timeout=60) == 0, log.read_text()[-3000:]
        with pair_lease(store, "store", 30.0):
            gave_up, log = world.spawn("gave-up", "--wait", "--wait-max", "0.5")
            assert gave_up.wait(timeout=60) == EXIT_BUSY, log.read_text()
        assert "waited" in log.read_text()
    finally:
        store.close()
        world.close()


def test_an_entry_another_process_consumed_is_skipped_not_an_index_error(tmp_path: Path):
    world = World(tmp_path)
    try:
        world.edge.add_customer("Ada", "Lovelace", emails=[("Home", "ada@example.com")])
        world.edge.run_cycle()
        engine = world.engine
        pair = engine.config.pairs["store"]
        ctx = PairContext(
            pair=pair,
            systems={"pos": engine.systems[pair.pos], "platform": engine.systems[pair.platform]},
            store=engine.store,
            hooks=engine.hooks,
            report=RunReport(pair="store", run_id=0),
        )
        assert PairRunner(ctx).reader.read("customer")
        [entry] = engine.store.inbox_batch("store", "customer", 10)
        engine.store.inbox_done([entry.seq])  # reconciled meanwhile, elsewhere
        assert Reconciler(ctx, "customer").reconcile(entry) == set()
    finally:
        world.close()


def test_a_check_before_sending_trusts_a_recent_beat_then_finds_the_lease_taken(tmp_path: Path):
    """``confirm`` (before a unit of writes, outside a transaction) writes nothing while the
    last beat is within an eighth of the TTL (nobody may take over before a whole TTL), and
    checks the store again after that: a lease taken meanwhile is found lost."""
    path = tmp_path / "state.db"
    store = SQLiteStore(path)
    ttl = 8.0
    held = claim(store, "store", ttl)
    try:
        held.fence()  # a beat in a transaction: ours
        with sqlite3.connect(path) as other:  # as a taker would, once the TTL lapsed
            other.execute("UPDATE leases SET holder='taker' WHERE pair='store'")
        other.close()
        held.confirm()  # within ttl/8 of the beat: answered by it, the store not asked
        assert not held.lost.is_set()
        time.sleep(ttl / 8 + 0.1)
        with pytest.raises(LeaseLost, match="taken over"):
            held.confirm()
        assert held.lost.is_set()
        with pytest.raises(LeaseLost):
            held.confirm()  # once lost, always lost, whatever the clock
    finally:
        store.close()
