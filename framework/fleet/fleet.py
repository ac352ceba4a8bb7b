"""The fleet's work, whatever queue carries it: which pairs are due, and running one.

:class:`Fleet` is what ``syncwright worker``'s jobs call, what the tick calls, and what
``serve`` calls for a webhook (:meth:`Fleet.enqueue_run`): one function per act, so the
CLI, the console and workers never hold a copy of it. A run goes through the same engine,
the same pair lease and the same journal as ``syncwright run``; only its store comes from
the fleet (PostgreSQL, under the store's name).
"""

from __future__ import annotations

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
from framework.state.factory import open_store

log = logging.getLogger("syncwright.fleet")

WORKER = f"{socket.gethostname()}:{os.getpid()}"


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

    # -- enqueueing -------------------------------------------------------------------------

    def enqueue_run(self, pair: str, records: list[str] | None = None) -> bool:
        """Queue a run of ``store/pair`` now (a webhook said it changed): the seam of ``serve``.

        ``records`` names what changed, for the log; the run reads every change anyway.
        Returns ``False`` when a run of the pair already waits (it will see the change).
        """
        store, name = split_key(pair)
        if name not in self.config.store(store)[0].pairs:  # an unknown store: one line too
            raise SyncwrightError(f"store {store!r} has no pair named {name!r}")
        if self.queue is None:
            raise RuntimeError("this fleet has no queue to enqueue on")
        return self.queue.enqueue(store, name, time.time(), records)

    def due(self) -> list[tuple[str, str, float]]:
        """Pairs due now: (store, pair, due time); a new store's pairs are due at once.

        Only stores the schedule does not know yet are read (validated) here: a tick of a
        fleet of thousands reads one table, not thousands of files. A store that does not
        validate is skipped with one line in the log, the others go on.
        """
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
        """Enqueue every due pair and push it an interval ahead; how many were enqueued."""
        assert self.queue is not None
        due = self.due()
        queued = sum(self.queue.enqueue(store, pair, at) for store, pair, at in due)
        self.schedule.push([(store, pair) for store, pair, _ in due])
        return queued

    # -- running ----------------------------------------------------------------------------

    def run(self, store: str, pair: str, due_at: float, worker: str = WORKER) -> str:
        """Run one store's pair once (a job of a worker); returns the run's status.

        A pair another process holds (an operator's ``syncwright run``, or a dead worker's
        lease on another host, until its TTL) is not run now: it comes due again soon.
        """
        config, hooks = self.config.store(store)
        spec = config.pairs.get(pair)
        if spec is None:  # the store's configuration no longer has it
            self.schedule.forget(store, pair)
            return "gone"
        start = self.schedule.started(store, pair, due_at, worker, spec.interval_minutes * 60)
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
                with engine.lease(pair) as held:
                    report = engine.run_pair(pair, lease=held)
            except LeaseHeld as exc:
                log.warning("%s/%s: %s", store, pair, exc)
                self.schedule.push([(store, pair)], min(spec.interval_minutes * 60, 15.0))
                status = "busy"
                return status
            run_id, status = report.run_id, report.status
            return status
        finally:
            self.schedule.finished(start, run_id, status)
            if engine is not None:
                engine.close()
