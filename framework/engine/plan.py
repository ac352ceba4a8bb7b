"""A plan: what a run would do, by the run itself, without doing it.

The plan is the real engine run against a throwaway copy of the state store (SQLite's
online backup into memory) with every write to a system intercepted: ``apply_change``
answers as if the system had taken the write (a created record has no id yet: "ids
later"), and nothing is sent. Plan and run share every code path (read, match, merge,
policies, the guard), so a run after the plan does what the plan said. Nothing is written
to either system, and no cursor of the real store moves.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from framework.engine.context import PairContext
from framework.engine.report import RunReport
from framework.engine.runner import PairRunner
from framework.errors import ConnectorError
from framework.facade import Hooks
from framework.models import ApplyResult, SystemContext, WriteOp, WriteRequest
from framework.state.store import HistoryEntry, StateStore

if TYPE_CHECKING:
    from framework.engine.engine import Engine


MOVE_FIELDS = ("entity", "record", "toward", "action", "fields", "rules")


class PlanHooks(Hooks):
    """The connectors' hooks with every write answered, never sent."""

    def __init__(self, inner: Hooks):
        super().__init__(inner.pm)
        self._info = inner._info
        self.writes = 0
        """How many writes were answered (not kept: a plan of 100k creates holds none)."""
        self._counting = threading.Lock()  # writes in flight answer from several lanes

    def apply_change(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """Record the write; answer as the system would (a new record's id is made up).

        A system that queues creates (``creates_later``) answers with no id, as it does;
        another gets ``(new)N``: the id it will assign, known only once the run makes it.
        """
        with self._counting:
            self.writes += 1
            n = self.writes
        if request.op is not WriteOp.CREATE:
            return ApplyResult()
        support = self.describe(system.connector).entities.get(request.entity)
        if support is not None and support.creates_later:
            return ApplyResult(pending=True, link_key=request.link_key)
        return ApplyResult(id=f"(new){n}")

    def apply_batch(
        self, system: SystemContext, requests: list[WriteRequest]
    ) -> list[ApplyResult | ConnectorError]:
        """Record every write of a batch."""
        return [self.apply_change(system, r) for r in requests]


@dataclass
class Plan:
    """What a run of one pair would do: moves, field changes, held writes, problems."""

    pair: str
    report: RunReport
    moves: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    changes: list[HistoryEntry] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    held_before: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, dict[str, int]]:
        """Counts by ``entity`` and ``action toward side``, with quarantines and held writes."""
        out: dict[str, Counter[str]] = {}
        for entity, _, toward, action, _, _ in self.moves:
            out.setdefault(entity, Counter())[f"{action}.{toward}"] += 1
        for key, n in self.report.counts.items():
            entity, _, what = key.partition(".")
            if what in ("quarantined", "ambiguous", "matches_linked") or what.startswith("held."):
                out.setdefault(entity, Counter())[what] += n
        return {e: dict(sorted(c.items())) for e, c in sorted(out.items())}

    def as_dict(self, details: bool = False) -> dict[str, Any]:
        """For ``--json``."""
        doc: dict[str, Any] = {
            "pair": self.pair,
            "summary": self.summary(),
            "held": self.held,
            "held_before": self.held_before,
            "errors": self.report.errors,
        }
        if details:
            doc["moves"] = [dict(zip(MOVE_FIELDS, m, strict=True)) for m in self.moves]
            doc["changes"] = [
                {
                    "entity": e.entity,
                    "pos_id": e.pos_id,
                    "platform_id": e.platform_id,
                    "action": e.action,
                    "field": e.field,
                    "old": e.old,
                    "new": e.new,
                    "toward": e.toward,
                    "policy": e.policy,
                    "rule": e.rule,
                    "note": e.note,
                }
                for e in self.changes
            ]
            doc["problems"] = self.problems
        return doc


def plan_pair(engine: Engine, name: str) -> Plan:
    """Run pair ``name`` against a copy of the state with writes intercepted; say what it did."""
    real: StateStore = engine.store
    scratch = real.scratch()
    try:
        return _plan(engine, name, scratch)
    finally:
        scratch.close()


def _plan(engine: Engine, name: str, scratch: StateStore) -> Plan:
    known = {p.id for p in scratch.problems(name)}
    changes: list[HistoryEntry] = []
    record = scratch.add_history

    def capture(entries: list[HistoryEntry]) -> None:
        changes.extend(entries)
        record(entries)

    scratch.add_history = capture  # type: ignore[method-assign]
    held_before = [
        {"run_id": w.run_id, "entity": w.entity, "side": w.side, "reason": w.reason}
        for w in scratch.held_intents(name)
    ]
    run_id = scratch.start_run(name)
    report = RunReport(pair=name, run_id=run_id)
    pair = engine.config.pairs[name]
    ctx = PairContext(
        pair=pair,
        systems={"pos": engine.systems[pair.pos], "platform": engine.systems[pair.platform]},
        store=scratch,
        hooks=PlanHooks(engine.hooks),
        report=report,
        retry=engine.retry,
        stop=threading.Event(),
        guard=engine.config.engine.guard,
    )
    PairRunner(ctx).run()
    problems = [
        {
            "entity": p.entity,
            "side": p.side,
            "record_id": p.record_id,
            "rule": p.rule,
            "reason": p.reason,
        }
        for p in scratch.problems(name)
        if p.id not in known
    ]
    return Plan(
        name,
        report,
        list(scratch.moves(run_id)),
        [c for c in changes if c.run_id == run_id],
        problems,
        list(report.held),
        held_before,
    )
