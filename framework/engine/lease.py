"""One run of a pair at a time: a lease per pair, held in the state store, kept by heartbeats.

Two processes running the same pair on one state (a ``syncwright run`` service and an
operator's ``run --once``, two cron entries, a worker and the webhook server) would read
the same inbox and replay each other's journal: duplicates and records linked to ids
never made (G-3, G-5, G-6). So every run of a pair first takes the pair's lease:

- taking it is one write transaction in the store, so two processes racing never both win;
- a holder keeps it alive from a background thread with its own connection, every quarter
  of the TTL, so a run waiting out retries or a slow page is never taken over;
- a lease whose heartbeat is older than its TTL, or whose process is gone (same host, the
  pid no longer runs), is taken over: the taker replays the dead run's journal as after
  any kill, and the dead run is recorded as ``interrupted``;
- a holder that finds its lease taken over (it was stopped past the TTL) stops writing:
  every chunk it commits and every batch of writes it settles first checks, in the same
  transaction, that the lease is still its own (:meth:`HeldLease.fence`).

:func:`pair_lease` is what the CLI, the scheduler and workers call around a run; the
engine takes it itself when a caller does not (``Engine.run_pair``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from framework.errors import SyncwrightError
from framework.state.store import Lease, RunRecord, StateStore

log = logging.getLogger("syncwright.engine")

# The exit code of a run refused because another process holds its pair (sysexits'
# EX_TEMPFAIL: try again later), and of a run that lost its lease and stopped.
EXIT_BUSY = 75
HOST = socket.gethostname()


class LeaseHeld(SyncwrightError):
    """Another process runs the pair now."""

    def __init__(self, holder: Lease | None, pair: str, waited: float | None = None):
        self.holder = holder
        self.pair = pair
        who = describe(holder) if holder is not None else "another process (the store is busy)"
        after = f" (waited {waited:.0f} s)" if waited else ""
        super().__init__(
            f"pair {pair!r} is being run by {who}{after}; not started (use --wait to wait for it)"
        )


class LeaseLost(SyncwrightError):
    """This run's lease was taken over (it stopped heartbeating past its TTL): stop writing."""


def describe(lease: Lease) -> str:
    """``pid 4242@shop-server since 10:02:11 UTC, last heartbeat 3 s ago``."""
    since = dt.datetime.fromtimestamp(lease.started_at, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    ago = max(0.0, time.time() - lease.heartbeat_at)
    run = f" (run {lease.run_id})" if lease.run_id is not None else ""
    return f"pid {lease.pid}@{lease.host}{run} since {since} UTC, last heartbeat {ago:.0f} s ago"


def pid_alive(pid: int) -> bool:
    """Whether a process of this host runs under ``pid`` (a zombie does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def lapsed(lease: Lease, now: float | None = None) -> bool:
    """Whether a lease's holder is gone: no heartbeat within its TTL, or its process ended.

    The process check applies on the holder's own host only (a pid means nothing elsewhere);
    it lets a run started right after a kill or a crash take over at once instead of after
    the TTL. A pid reused by another program only delays that to the TTL.
    """
    now = time.time() if now is None else now
    if now - lease.heartbeat_at > lease.ttl:
        return True
    return lease.host == HOST and not pid_alive(lease.pid)


class HeldLease:
    """A lease this process holds: its heartbeat thread, and the check before each commit."""

    def __init__(self, store: StateStore, lease: Lease, taken_from: Lease | None):
        self.store = store
        self.lease = lease
        self.taken_from = taken_from
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._confirmed = 0.0
        """When a beat last found the lease ours (``time.time()``, as the store's clock)."""

    @property
    def pair(self) -> str:
        """The pair this lease is for."""
        return self.lease.pair

    def start(self) -> None:
        """Heartbeat from a thread with its own connection (never the engine's)."""
        other = self.store.reopen()
        if other is None:  # an in-memory store: no other process can share it
            return
        self._thread = threading.Thread(
            target=self._beat, args=(other,), name=f"lease-{self.pair}", daemon=True
        )
        self._thread.start()

    def _beat(self, store: StateStore) -> None:
        every = self.lease.ttl / 4
        try:
            while not self._stop.wait(every):
                try:
                    ours = store.beat_lease(self.pair, self.lease.holder)
                except Exception as exc:  # busy (SQLite) or a dropped connection: try again
                    log.debug("lease heartbeat of %s postponed: %s", self.pair, exc)
                    continue
                if ours:
                    self._confirmed = time.time()
                else:
                    self.lost.set()
                    log.error(
                        "%s: this run's lease was taken over by another process; stopping",
                        self.pair,
                    )
                    return
        finally:
            store.close()

    def attach_run(self, run_id: int) -> None:
        """Record which run holds the lease (``status`` tells a dead run from a live one)."""
        self.lease.run_id = run_id
        if not self.store.beat_lease(self.pair, self.lease.holder, run_id):
            self._lost()

    def fence(self) -> None:
        """Check, in the caller's transaction, that the lease is still ours (and beat it).

        Raises:
            LeaseLost: another process took the pair over; what the caller was about to
                commit is rolled back and this run must stop.
        """
        now = time.time()
        if self.lost.is_set() or not self.store.beat_lease(self.pair, self.lease.holder):
            self._lost()
        self._confirmed = now

    def confirm(self) -> None:
        """Check, before sending writes (outside any transaction), that the lease is ours.

        Nothing is committed with this check, so a beat confirmed within an eighth of the
        TTL answers it: nobody may take a lease over before its heartbeat is a whole TTL old
        (:func:`lapsed`; a live holder's pid keeps it), so the lease is still ours now. A
        holder frozen past that (SIGSTOP, a suspended machine) beats again, and finds it
        lost. This spares a write transaction per unit of writes (about 3,000 at 10k).

        Raises:
            LeaseLost: as :meth:`fence`.
        """
        if self.lost.is_set():
            self._lost()
        if time.time() - self._confirmed >= self.lease.ttl / 8:
            self.fence()

    def _lost(self) -> None:
        self.lost.set()
        raise LeaseLost(
            f"pair {self.pair!r}: this run's lease was taken over by another process "
            "(it had stopped heartbeating for longer than its TTL); stopped, nothing more "
            "written (the other run replays what was journaled)"
        )

    def release(self) -> None:
        """Stop the heartbeat and give the lease up."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            self.store.release_lease(self.pair, self.lease.holder)
        except Exception as exc:  # the store is closing, busy or gone: it lapses by itself
            log.warning("%s: lease not released (%s); it lapses after its TTL", self.pair, exc)


def claim(store: StateStore, pair: str, ttl: float) -> HeldLease:
    """Take a pair's lease once, without waiting.

    Raises:
        LeaseHeld: a live holder has it (or the store stayed locked by another writer).
    """
    mine = Lease(pair, uuid.uuid4().hex, os.getpid(), HOST, 0.0, 0.0, ttl)
    try:
        won, other = store.claim_lease(mine, lapsed)
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        raise LeaseHeld(None, pair) from None
    if not won:
        raise LeaseHeld(other, pair)
    if other is not None:
        log.warning(
            "%s: took over the lease of %s, which is gone; its journal is replayed",
            pair,
            describe(other),
        )
    return HeldLease(store, mine, other)


@contextmanager
def pair_lease(
    store: StateStore,
    pair: str,
    ttl: float,
    *,
    wait: float | None = None,
    on_wait: Callable[[Lease | None], None] | None = None,
) -> Iterator[HeldLease]:
    """Hold a pair's lease for the ``with`` block: the one way into a run of a pair.

    ``wait`` (seconds) waits that long for a busy pair, telling ``on_wait`` who holds it
    once; ``None`` refuses at once.

    Raises:
        LeaseHeld: another process holds the pair (after ``wait``, when given).
    """
    started = time.monotonic()
    told = False
    while True:
        try:
            held = claim(store, pair, ttl)
            break
        except LeaseHeld as exc:
            waited = time.monotonic() - started
            if wait is None or waited >= wait:
                if wait is not None:
                    raise LeaseHeld(exc.holder, pair, waited) from None
                raise
            if not told and on_wait is not None:
                on_wait(exc.holder)
                told = True
            pause = (exc.holder.ttl if exc.holder else ttl) / 8
            time.sleep(max(0.05, min(pause, 2.0, wait - waited)))
    held.start()
    try:
        yield held
    finally:
        held.release()


def run_states(store: StateStore, runs: list[RunRecord]) -> list[RunRecord]:
    """Runs as people should read them: a ``running`` run nobody runs is ``interrupted``.

    A run is running only while its pair's lease is live and held for it; a run whose
    process died (killed, crashed, power lost) is shown as interrupted at once, before any
    later run takes over (which records it so).
    """
    leases: dict[str, Lease | None] = {}
    shown = []
    for run in runs:
        if run.status == "running":
            if run.pair not in leases:
                leases[run.pair] = store.lease(run.pair)
            lease = leases[run.pair]
            if lease is None or lease.run_id != run.id or lapsed(lease):
                run = replace(run, status="interrupted")
        shown.append(run)
    return shown


def holder_now(store: StateStore, pair: str) -> Lease | None:
    """The live holder of a pair's lease, if a run of it is going on now."""
    lease = store.lease(pair)
    return lease if lease is not None and not lapsed(lease) else None
