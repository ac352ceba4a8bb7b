"""The engine: the configured systems, the state store, and runs of every pair."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager

import httpx
from pyrate_limiter import Limiter

from framework.config import Config
from framework.engine.context import PairContext
from framework.engine.history import prune
from framework.engine.lease import HeldLease, LeaseLost, pair_lease
from framework.engine.report import Progress, RunReport, no_progress
from framework.engine.retry import RetryPolicy
from framework.engine.runner import PairRunner
from framework.engine.targets import Targets
from framework.facade import Hooks
from framework.http import CallMeter, build_client
from framework.models import HttpSettings, SystemContext
from framework.secrets import redact, register_secret, secrets_in
from framework.state.factory import open_store
from framework.state.store import Lease, StateStore

log = logging.getLogger("syncwright.engine")

# Container allocations between young collections during a run (Python's default is 700).
GC_THRESHOLD = 10_000


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect cyclic garbage less often while a run works, then as before.

    A run allocates many short-lived containers (records, models, JSON) next to many
    long-lived ones (an export file being read): at Python's default threshold the full
    collections, each walking every live object, took 11% of an initial upload (measured:
    10k customers, 1.5 s of 13.3 s; 0.1 s at this threshold). Almost nothing a run makes
    is cyclic, so waiting longer keeps little garbage.

    What lives when the run starts (modules, models, the engine) is frozen for the run: the
    full collections a long run still makes walk only what the run made (measured: the
    bench engine's heap before a run, 84k objects, 53 ms a full collection, 0 frozen; 10k
    customers made one, 0.11-0.15 s). Garbage already there waits for the first full
    collection after the run (peak memory unchanged, 170 MB); a process that froze its
    heap itself (before forking) keeps it frozen.
    """
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], GC_THRESHOLD), *old[1:])
    froze = gc.get_freeze_count() == 0
    if froze:
        gc.freeze()
    try:
        yield
    finally:
        if froze:
            gc.unfreeze()
        gc.set_threshold(*old)


Limiters = Callable[[str, HttpSettings], Limiter | None]
"""The rate limiter of a system (name, settings), ``None``: its own (a fleet shares budgets)."""


def build_systems(
    config: Config,
    meter: CallMeter,
    transports: Mapping[str, httpx.BaseTransport] | None = None,
    limiters: Limiters | None = None,
) -> dict[str, SystemContext]:
    """The configured systems as connectors get them: settings, and an HTTP client if any.

    Their secrets (API keys, tokens, passwords) are registered, so they are never shown.
    """
    transports = transports or {}
    systems: dict[str, SystemContext] = {}
    for name, settings in config.systems.items():
        http = None
        for secret in secrets_in(settings):
            register_secret(secret)
        if isinstance(settings, HttpSettings):
            limiter = limiters(name, settings) if limiters is not None else None
            http = build_client(name, settings, meter, transports.get(name), limiter)
        systems[name] = SystemContext(
            name=name, connector=settings.connector, settings=settings, http=http
        )
    return systems


class Engine:
    """Runs the configured pairs against their systems, keeping state in the store.

    ``transports`` replaces the network of named systems (a fake's in-process transport);
    production passes none and every HTTP system talks to its ``base_url``. ``limiters``
    gives systems a rate limiter shared with other processes (a fleet's workers).
    """

    def __init__(
        self,
        config: Config,
        hooks: Hooks,
        *,
        store: StateStore | None = None,
        transports: Mapping[str, httpx.BaseTransport] | None = None,
        limiters: Limiters | None = None,
    ):
        self.config = config
        self.hooks = hooks
        self.store: StateStore = store or open_store(config)
        self.meter = CallMeter()
        self.retry = RetryPolicy(
            config.engine.retry_attempts,
            config.engine.retry_initial_wait,
            config.engine.retry_max_wait,
        )
        self.systems = build_systems(config, self.meter, transports, limiters)
        self.stop = threading.Event()
        """Set it (a SIGTERM handler does) to stop runs after the record in hand."""

    def lease(
        self,
        name: str,
        *,
        wait: float | None = None,
        on_wait: Callable[[Lease | None], None] | None = None,
    ) -> AbstractContextManager[HeldLease]:
        """Hold pair ``name``'s lease: no other process runs it meanwhile (see ``lease.py``).

        Raises:
            LeaseHeld: another process runs the pair (after waiting ``wait`` seconds).
        """
        return pair_lease(
            self.store, name, self.config.engine.lease_ttl, wait=wait, on_wait=on_wait
        )

    def pair_context(
        self,
        name: str,
        report: RunReport,
        lease: HeldLease,
        progress: Progress = no_progress,
        *,
        targets: Targets | None = None,
    ) -> PairContext:
        """What a run of pair ``name`` works with (a run, a plan, an approval)."""
        pair = self.config.pairs[name]
        return PairContext(
            pair=pair,
            systems={"pos": self.systems[pair.pos], "platform": self.systems[pair.platform]},
            store=self.store,
            hooks=self.hooks,
            report=report,
            retry=self.retry,
            progress=progress,
            fence=lease.fence,
            confirm=lease.confirm,
            stop=self.stop,
            guard=self.config.engine.guard,
            targets=targets,
            read_ahead=self.config.engine.read_ahead,
        )

    def run_pair(
        self,
        name: str,
        progress: Progress = no_progress,
        *,
        lease: HeldLease | None = None,
        targets: Targets | None = None,
    ) -> RunReport:
        """Run one pair once and record the run in the store.

        The run holds the pair's lease: the caller's ``lease`` when it took it already
        (to wait for it, or to do more under it), else one taken here without waiting.
        With ``targets`` (a webhook's records) it is a targeted run (``targets.py``).

        Raises:
            LeaseHeld: another process runs the pair now; nothing was done.
            LeaseLost: another process took the pair over during the run; it stopped.
        """
        if lease is None:
            with self.lease(name) as held:
                return self.run_pair(name, progress, lease=held, targets=targets)
        run_id = self.store.start_run(name)
        lease.attach_run(run_id)
        before = self.meter.snapshot()
        report = RunReport(pair=name, run_id=run_id)
        if targets is not None:
            report.count("webhook", "notifications", targets.notifications)
            report.count("webhook", "records", len(targets))
        ctx = self.pair_context(name, report, lease, progress, targets=targets)
        error: str | None = None
        lost = False
        log.info("%s: run %d started%s", name, run_id, " (webhook)" if targets else "")
        pruned = prune(self.store, self.config.engine.history_days)
        if pruned:
            log.info("%s: pruned %d history entries", name, pruned)
        try:
            with fewer_collections():
                PairRunner(ctx).run()
        except BaseException as exc:  # recorded, then re-raised: Ctrl-C and bugs alike
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            lost = isinstance(exc, LeaseLost)
            report.errors.append(error)
            raise
        finally:
            report.errors = [redact(e) for e in report.errors]
            after = self.meter.snapshot()
            report.calls = {
                k: after.get(k, 0) - before.get(k, 0)
                for k in after
                if after.get(k, 0) != before.get(k, 0)
            }
            status = "failed" if error else report.status
            if lost:
                status = "interrupted"
            self.store.finish_run(
                run_id, status, dict(report.counts), report.calls, "; ".join(report.errors) or None
            )
            moved = ", ".join(f"{k} {n}" for k, n in sorted(report.counts.items()) if n)
            log.info("%s: run %d %s: %s", name, run_id, status, moved or "nothing moved")
        return report

    def run_once(self, progress: Progress = no_progress) -> list[RunReport]:
        """Run every pair once."""
        return [self.run_pair(name, progress) for name in self.config.pairs]

    def close(self) -> None:
        """Close the systems (HTTP clients, what connectors hold open) and the store."""
        for system in self.systems.values():
            system.close()
        self.store.close()
