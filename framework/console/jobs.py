"""Runs started from the console ("Run now", a retry): in a thread, with live progress.

The pair's lease is taken in the request, so a pair another process runs is refused
there and then, in one line; the run itself goes on in a thread with an engine of its own
(its own store connection) and reports progress that the Run now page polls.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from framework.engine.engine import Engine
from framework.engine.lease import HeldLease, claim
from framework.engine.report import RunReport
from framework.secrets import redact

log = logging.getLogger("syncwright.console")


@dataclass
class Job:
    """One run started from the console, and what it has done so far."""

    pair: str
    by: str
    started: float = field(default_factory=time.time)
    progress: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    """``"fetch customer"`` -> (done, total)"""
    report: RunReport | None = None
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event | None = None
    """The run's engine's stop event (set: it stops after the record in hand)."""

    @property
    def state(self) -> str:
        """``running``, ``failed`` or the run's status (``ok``, ``partial``, ``stopped``)."""
        if not self.done.is_set():
            return "running"
        if self.error is not None:
            return "failed"
        return self.report.status if self.report is not None else "failed"

    def __call__(self, phase: str, entity: str, done: int, total: int | None) -> None:
        """The engine's progress events."""
        self.progress[f"{phase} {entity}"] = (done, total)


class Jobs:
    """The runs the console started, the latest per pair."""

    def __init__(self, engines: Callable[[], Engine]):
        self._engines = engines
        self._lock = threading.Lock()
        self.latest: dict[str, Job] = {}
        self._threads: list[threading.Thread] = []

    def start(self, pair: str, by: str) -> Job:
        """Take the pair's lease and start a run of it in a thread.

        Raises:
            LeaseHeld: another process (or another run from here) runs the pair now.
        """
        engine = self._engines()
        try:
            held = claim(engine.store, pair, engine.config.engine.lease_ttl)
        except BaseException:
            engine.close()
            raise
        held.start()
        job = Job(pair, by, stop=engine.stop)
        thread = threading.Thread(
            target=self._run, args=(engine, held, job), name=f"console-run-{pair}", daemon=True
        )
        with self._lock:
            self.latest[pair] = job
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return job

    def _run(self, engine: Engine, held: HeldLease, job: Job) -> None:
        try:
            job.report = engine.run_pair(job.pair, job, lease=held)
        except Exception as exc:  # recorded with the run too; shown on the page
            job.error = redact(f"{type(exc).__name__}: {exc}")
            log.warning("console run of %s failed: %s", job.pair, job.error)
        finally:
            held.release()
            engine.close()
            job.done.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the runs going on after the record in hand (as SIGTERM stops a run)."""
        for job in list(self.latest.values()):
            if job.stop is not None:
                job.stop.set()
        for thread in list(self._threads):
            thread.join(timeout)
