"""The fleet's work, whatever queue carries it: which pairs are due, and running one.

:class:`Fleet` is what ``syncwright worker``'s jobs call, what the tick calls, and what
``serve`` calls for a webhook (:meth:`Fleet.enqueue_run`): one function per act, so the
CLI, the console and workers never hold a copy of it. A run goes through the same engine,
the same pair lease and the same journal as ``syncwright run``; only its store comes from
the fleet (PostgreSQL, under the store's name).
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import time
from collections.abc import Callable, Mapping

import httpx

from framework.engine.engine import Engine
from framework.engine.lease import LeaseHeld
from framework.errors import SyncwrightError
from framework.fleet.budgets import shared_limiters
from framework.fleet.config import FleetConfig
from framework.fleet.queue import RunQueue, split_key
from framework.fleet.schedule import Schedule
from framework.serve.dispatch import run_kind, webhook_kind
from framework.serve.trigger import trigger_run
from framework.state.factory import open_store

log = logging.getLogger("syncwright.fleet")

WORKER = f"{socket.gethostname()}:{os.getpid()}"

# A pair whose run another process holds, or whose enqueue found a run of it waiting,
# comes due again this soon (or after its interval, if shorter).
RETRY_SECONDS = 15.0

# A worker's run does not wait for a pair another process holds: it comes due again soon.
run_now = functools.partial(trigger_run, wait=None)


class Fleet:
    """Many stores' pairs, run by workers through ``queue``.

    ``transports`` (tests, benchmarks) replaces the network of named systems of every
    store, as :class:`~framework.engine.engine.Engine` takes it.
    """

    def __init__(
        self,
        config: FleetConfig,
        queue: RunQueue | None = None,
        *,
        transports: Callable[[str], Mapping[str, httpx.BaseTransport]] | None = None,
    ):
        self.config = config
        self.queue = queue
        self.transports = transports
        self.schedule = Schedule(config.url, config.state.schema_name)
        self._known: set[str] = set()
        self._generation = config.generation

    # -- enqueueing -------------------------------------------------------------------------

    def enqueue_run(self, pair: str, records: list[str] | None = None) -> bool:
        """Queue a run of ``store/pair`` now (a webhook said it changed): the seam of ``serve``.

        The notification is already kept in the store's state; the job is a targeted run
        of every notification kept for the pair (:meth:`run` with ``webhook``), started
        ``[serve] debounce_seconds`` from now, so a burst is one run as with one store's
        ``serve``. ``records`` names what changed, for the log. Returns ``False`` when a
        run of the pair already waits (it consumes the kept notifications too).
        """
        store, name = split_key(pair)
        if name not in self.config.store(store)[0].pairs:  # an unknown store: one line too
            raise SyncwrightError(f"store {store!r} has no pair named {name!r}")
        if self.queue is None:
            raise RuntimeError("this fleet has no queue to enqueue on")
        return self.queue.enqueue(
            store, name, time.time(), list(records or []), after=self.config.serve.debounce_seconds
        )

    def due(self) -> list[tuple[str, str, float]]:
        """Pairs due now: (store, pair, due time); a new store's pairs are due at once.

        Only stores the schedule does not know yet are read (validated) here: a tick of a
        fleet of thousands reads one table, not thousands of files. A store that does not
        validate is skipped with one line in the log, the others go on. The fleet file is
        read again when it changed: stores added since are due at once, removed ones not.
        """
        self.config.refresh()
        if self._generation != self.config.generation:  # stores added, removed, re-added
            self._generation = self.config.generation
            self._known = set()
        stores = self.config.stores
        if not self._known >= set(stores):
            self._known |= self.schedule.stores()
            rows = []
            for store in (s for s in stores if s not in self._known):
                try:
                    pairs = self.config.store(store)[0].pairs
                except SyncwrightError as exc:
                    log.error("store %s is not run: %s", store, exc)
                    continue
                rows += [(store, name, spec.interval_minutes * 60) for name, spec in pairs.items()]
                self._known.add(store)
            self.schedule.add(rows)
        return [
            (store, pair, due_at.timestamp())
            for store, pair, due_at in self.schedule.due()
            if store in stores  # else it left the fleet
        ]

    def tick(self) -> int:
        """Enqueue every due pair and push it ahead (:meth:`queued`); how many were enqueued."""
        assert self.queue is not None
        due = self.due()
        queued = [self.queue.enqueue(store, pair, at) for store, pair, at in due]
        self.queued(due, queued)
        return sum(queued)

    def queued(self, due: list[tuple[str, str, float]], queued: list[bool]) -> None:
        """After a tick: pairs enqueued are next due an interval ahead; others sooner.

        A pair whose enqueue found a run of it waiting comes due again in
        ``RETRY_SECONDS``: the waiting run may be a webhook's (a targeted run, not the
        poll that is due), and a due run pushes its pair an interval ahead when it starts.
        """
        pairs = [(store, pair) for store, pair, _ in due]
        self.schedule.push([p for p, q in zip(pairs, queued, strict=True) if q])
        self.schedule.push([p for p, q in zip(pairs, queued, strict=True) if not q], RETRY_SECONDS)

    # -- running ----------------------------------------------------------------------------

    def run(
        self, store: str, pair: str, due_at: float, worker: str = WORKER, *, webhook: bool = False
    ) -> str:
        """Run one store's pair once (a job of a worker); returns the run's status.

        A due run (``webhook`` false) is a poll run; a webhook's (``enqueue_run``) is the
        targeted run ``serve`` makes of the pair's kept notifications, through the same
        function (:func:`~framework.serve.dispatch.run_kind`). Notifications kept when a due
        run ends (their own run's enqueue found this one waiting) get their targeted run in
        the same job. A pair another process holds (an operator's ``syncwright run``, or a
        dead worker's lease on another host, until its TTL) is not run now: it comes due
        again soon, and its notifications stay kept for that run.
        """
        config, hooks = self.config.store(store)
        spec = config.pairs.get(pair)
        if spec is None:  # the store's configuration no longer has it
            self.schedule.forget(store, pair)
            return "gone"
        interval = spec.interval_minutes * 60
        start = None if webhook else self.schedule.started(store, pair, due_at, worker, interval)
        run_id, status = None, "failed"
        engine: Engine | None = None
        try:
            engine = Engine(
                config,
                hooks,
                store=open_store(config),
                transports=self.transports(store) if self.transports else None,
                limiters=shared_limiters(self.config),
            )
            try:
                if not webhook:
                    report = run_kind(engine, pair, "poll", run_now)
                    assert report is not None
                    run_id, status = report.run_id, report.status
                kept = engine.store.pending_notifications(pair)
                if kept:
                    report = run_kind(engine, pair, webhook_kind(kept), run_now)
                    if webhook and report is not None:
                        run_id, status = report.run_id, report.status
                elif webhook:
                    status = "idle"  # a run before this one consumed them
            except LeaseHeld as exc:
                log.warning("%s/%s: %s", store, pair, exc)
                self.schedule.push([(store, pair)], min(interval, RETRY_SECONDS))
                status = "busy"
                return status
            return status
        finally:
            if start is not None:
                self.schedule.finished(start, run_id, status)
            if engine is not None:
                engine.close()
