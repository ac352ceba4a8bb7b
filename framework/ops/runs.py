"""Pairs and their runs as people see them: status, the latest runs, one run's report.

``syncwright status``, ``syncwright run`` and the console's Overview, Runs and Run now
call these.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from framework.engine.engine import Engine
from framework.engine.guard import HeldRun, held_groups
from framework.engine.held import REASONS
from framework.engine.lease import describe, holder_now, run_states
from framework.engine.report import Progress, RunReport, no_progress
from framework.state.store import Lease, RunRecord, StateStore

MOVED = ("create", "update", "delete", "link")
FAILING_AFTER = 3
"""A pair whose last this many runs all failed or stopped part-way stands out."""


@dataclass
class PairStatus:
    """One pair now: its systems, runs, what is linked, staged, pending, held back."""

    name: str
    pos: str
    platform: str
    interval_minutes: float
    linked: int
    staged: int
    pending_writes: int
    held: list[tuple[str, str, int]]
    open_problems: int
    runs: list[RunRecord]
    holder: Lease | None = None
    running: str | None = None
    held_runs: list[HeldRun] = field(default_factory=list)

    @property
    def last(self) -> RunRecord | None:
        """The latest run, if any."""
        return self.runs[0] if self.runs else None

    @property
    def next_run(self) -> dt.datetime | None:
        """When a service running every pair on its interval starts this one next."""
        last = self.last
        if last is None or last.finished_at is None:
            return None
        return last.finished_at + dt.timedelta(minutes=self.interval_minutes)

    @property
    def failing(self) -> bool:
        """Whether the latest runs all ended badly (it keeps failing)."""
        recent = [r for r in self.runs if r.status != "running"][:FAILING_AFTER]
        return len(recent) == FAILING_AFTER and all(r.status != "ok" for r in recent)

    @property
    def held_lines(self) -> list[str]:
        """What is held back, one line per entity and reason (as ``syncwright status``)."""
        return [f"{n} {entity} record(s) {REASONS.get(r, r)}" for entity, r, n in self.held]


def pair_status(engine: Engine, name: str, runs: int = 5) -> PairStatus:
    """One pair's status, read from the state store."""
    store = engine.store
    spec = engine.config.pairs[name]
    holder = holder_now(store, name)
    return PairStatus(
        name=name,
        pos=spec.pos,
        platform=spec.platform,
        interval_minutes=spec.interval_minutes,
        linked=store.links_count(name),
        staged=store.inbox_count(name),
        pending_writes=len(store.intents(name)),
        held=store.held_counts(name),
        open_problems=len(store.problems(name)),
        runs=run_states(store, store.runs(name, limit=runs)),
        holder=holder,
        running=describe(holder) if holder is not None else None,
        held_runs=held_groups(store, name),
    )


def latest_runs(store: StateStore, pair: str | None = None, limit: int = 10) -> list[RunRecord]:
    """The latest runs, newest first, a dead ``running`` run shown as ``interrupted``."""
    return run_states(store, store.runs(pair, limit=limit))


def moved(run: RunRecord) -> int:
    """How many records a run moved (created, updated, deleted, linked)."""
    return sum(n for k, n in run.counts.items() if k.split(".")[1:2] and k.split(".")[1] in MOVED)


def calls(run: RunRecord) -> int:
    """How many API calls a run made."""
    return sum(n for k, n in run.calls.items() if k.endswith(".calls"))


@dataclass
class RunDetail:
    """One recorded run as its report page shows it."""

    run: RunRecord
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    by_rule: list[tuple[str, str, str, str, int, str]] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)


def run_detail(store: StateStore, run_id: int) -> RunDetail | None:
    """A recorded run: counts by entity and action, moves grouped by rule, calls made."""
    stored = store.run(run_id)
    if stored is None:
        return None
    [run] = run_states(store, [stored])
    counts: dict[str, dict[str, int]] = {}
    for key, n in sorted(run.counts.items()):
        entity, _, action = key.partition(".")
        counts.setdefault(entity, {})[action] = n
    groups: Counter[tuple[str, str, str, str]] = Counter()
    example: dict[tuple[str, str, str, str], str] = {}
    for entity, record, toward, action, _fields, rule in store.moves(run_id):
        group = (entity, action, toward, rule)
        groups[group] += 1
        example.setdefault(group, record)
    rows = [(*k, n, example[k]) for k, n in groups.most_common()]
    return RunDetail(run, counts, rows, dict(sorted(run.calls.items())))


def run_under_lease(
    engine: Engine,
    name: str,
    progress: Progress = no_progress,
    *,
    wait: float | None = None,
    on_wait: Callable[[Lease | None], None] | None = None,
) -> RunReport:
    """Run one pair once under its lease (waiting up to ``wait`` seconds for a busy pair).

    Raises:
        LeaseHeld: another process runs the pair (after ``wait``, when given).
    """
    with engine.lease(name, wait=wait, on_wait=on_wait) as held:
        return engine.run_pair(name, progress, lease=held)
