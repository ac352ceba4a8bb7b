"""When the server runs each pair: on its poll schedule, and after a burst of notifications.

One thread (the server's main thread) runs every run, one at a time, as ``syncwright run``
does: the engine, its store connection and its HTTP clients are never shared between runs.

- **Debounce**: the first notification for an idle pair opens a window of
  ``serve.debounce_seconds``; every notification until the window closes joins it; when it
  closes, one targeted run reads the records all of them named. A notification that comes
  during that run opens the next window. So a pair has at most one run per window.
- **Poll**: every pair also runs in full on its interval (the reconciliation that catches
  what a webhook missed: dropped, or sent while the server was down); the first poll runs
  at start, as ``run`` does. A pair whose platform sends webhooks is polled less often
  (``serve.webhook_poll_minutes``).
- Kept notifications survive a restart: at start, a pair with some waiting gets a run.
- A pair another process runs (the lease) is tried again after ``BUSY_RETRY`` seconds; its
  notifications stay kept meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from framework.engine.engine import Engine
from framework.engine.flows import Side
from framework.engine.lease import LeaseHeld
from framework.engine.report import RunReport
from framework.engine.targets import Targets
from framework.serve.trigger import Trigger, trigger_run
from framework.state.store import StoredNotification

log = logging.getLogger("syncwright.serve")

RunKind = Literal["poll", "webhook", "poll+webhook"]

# Events of these kinds are answered with a poll run of the pair: a merge's history (which
# records the new one replaces) is read from the platform's feed, not from one record.
POLL_KINDS = frozenset({"merged"})
BUSY_RETRY = 10.0
TICK = 0.25  # how soon a stop request is noticed while waiting


@dataclass
class Schedule:
    """What is due when (monotonic seconds), and what the dispatcher did so far."""

    webhook_due: dict[str, float] = field(default_factory=dict)
    poll_due: dict[str, float] = field(default_factory=dict)
    force_poll: set[str] = field(default_factory=set)
    windows: int = 0
    runs: dict[str, int] = field(default_factory=dict)


class Dispatcher:
    """Runs the pairs of one engine on their schedule and after their notifications."""

    def __init__(
        self,
        engine: Engine,
        pairs: list[str],
        poll_seconds: dict[str, float],
        *,
        debounce: float,
        trigger: Trigger = trigger_run,
        on_report: Callable[[str, RunReport], None] | None = None,
    ):
        self.engine = engine
        self.pairs = pairs
        self.poll_seconds = poll_seconds
        self.debounce = debounce
        self.trigger = trigger
        self.on_report = on_report
        self.schedule = Schedule(poll_due=dict.fromkeys(pairs, time.monotonic()))
        self.cond = threading.Condition()

    def poke(self, pair: str, poll: bool = False, records: list[str] | None = None) -> None:
        """A pair has new notifications (``poll``: answer them with a poll run).

        ``records`` (what they named) is not needed: the run reads them from the store.
        """
        with self.cond:
            if poll:
                self.schedule.force_poll.add(pair)
            if pair not in self.schedule.webhook_due:
                self.schedule.webhook_due[pair] = time.monotonic() + self.debounce
                self.schedule.windows += 1
            self.cond.notify()

    def run_forever(self) -> None:
        """Run what is due until the engine's stop event is set (SIGTERM)."""
        for pair in self.pairs:
            if self.engine.store.pending_notifications(pair, limit=1):
                log.info("%s: notifications kept from before; running it", pair)
                self.poke(pair)
        while not self.engine.stop.is_set():
            job = self._next()
            if job is not None:
                self._run(*job)

    def _next(self) -> tuple[str, RunKind] | None:
        """The next due (pair, ``webhook`` or ``poll``), or ``None`` after a short wait."""
        with self.cond:
            due: list[tuple[float, str, RunKind]] = [
                (t, p, "webhook") for p, t in self.schedule.webhook_due.items()
            ]
            due += [(t, p, "poll") for p, t in self.schedule.poll_due.items()]
            if not due:
                self.cond.wait(TICK)
                return None
            when, pair, kind = min(due)
            wait = when - time.monotonic()
            if wait > 0:
                self.cond.wait(min(wait, TICK))
                return None
            if kind == "webhook":
                del self.schedule.webhook_due[pair]
                if pair in self.schedule.force_poll:
                    self.schedule.force_poll.discard(pair)
                    kind = "poll+webhook"
            return pair, kind

    def _run(self, pair: str, kind: RunKind) -> None:
        try:
            report = run_kind(self.engine, pair, kind, self.trigger)
        except LeaseHeld as exc:
            log.warning("%s; tried again in %g s", exc, BUSY_RETRY)
            with self.cond:
                table = self.schedule.poll_due if kind == "poll" else self.schedule.webhook_due
                table[pair] = time.monotonic() + BUSY_RETRY
            return
        except Exception as exc:  # one line; the next poll reads what this run missed
            log.error("%s: %s run failed: %s", pair, kind, exc)
        else:
            if report is None:  # a webhook window whose events an earlier run consumed
                return
            if self.on_report is not None:
                self.on_report(kind, report)
        self.schedule.runs[kind] = self.schedule.runs.get(kind, 0) + 1
        if kind.startswith("poll"):
            with self.cond:
                self.schedule.poll_due[pair] = time.monotonic() + self.poll_seconds[pair]


def run_kind(
    engine: Engine, pair: str, kind: RunKind, trigger: Trigger = trigger_run
) -> RunReport | None:
    """One run of ``pair`` as ``kind`` says, consuming its kept notifications.

    The one place a kept notification becomes a run: ``serve``'s dispatcher and a fleet
    worker's job (``framework/fleet/fleet.py``) both call it.

    - ``webhook``: a targeted run of the records the pair's pending notifications name
      (``None``, no run, when none is pending: an earlier run consumed them);
    - ``poll``: a full run; the pending notifications stay for their targeted run;
    - ``poll+webhook``: a full run that consumes them (a merge's history is read from the
      platform's feed, not from one record).

    The notifications are marked consumed by the run even when it fails (the next poll
    reads what it missed); a poll prunes consumed ones older than ``serve.keep_hours``.

    Raises:
        LeaseHeld: another process runs the pair; the notifications stay kept.
        Exception: whatever the run raised, once its notifications are marked.
    """
    store = engine.store
    notes = store.pending_notifications(pair) if kind != "poll" else []
    if kind == "webhook" and not notes:
        return None
    targets = targets_of(engine, pair, notes) if kind == "webhook" else None
    try:
        report = trigger(engine, pair, targets)
    except LeaseHeld:
        raise
    except Exception:
        _consumed(engine, notes, None)
        raise
    _consumed(engine, notes, report.run_id)
    if kind.startswith("poll"):
        store.prune_notifications(time.time() - engine.config.serve.keep_hours * 3600)
    return report


def _consumed(engine: Engine, notes: list[StoredNotification], run_id: int | None) -> None:
    if notes:
        engine.store.notifications_done([n.id for n in notes], run_id)
        for system in sorted({n.system for n in notes}):
            engine.store.count_webhook(system, "runs")


def webhook_kind(notes: list[StoredNotification]) -> RunKind:
    """How kept notifications are answered: a targeted run, or a poll for a merge's."""
    return "poll+webhook" if any(n.kind in POLL_KINDS for n in notes) else "webhook"


def targets_of(engine: Engine, pair: str, notes: list[StoredNotification]) -> Targets:
    """The records kept notifications of ``pair`` named, by side and entity."""
    spec = engine.config.pairs[pair]
    targets = Targets(notifications=len(notes))
    for note in notes:
        side: Side = "platform" if note.system == spec.platform else "pos"
        if note.entity in spec.flows:
            targets.add(side, note.entity, note.record_ids)
    return targets
