"""What every part of one pair's run shares: the pair, its systems, the store, the hooks."""

from __future__ import annotations

import itertools
import logging
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from framework.engine.chunk import ChunkReads
from framework.engine.flows import FlowSpec, PairSpec, Side
from framework.engine.guard import GuardConfig
from framework.engine.report import Move, Progress, RunReport, no_progress
from framework.engine.retry import RetryPolicy, call_with_retries
from framework.engine.settle_group import Group
from framework.engine.targets import Targets
from framework.facade import Hooks
from framework.models import EntitySupport, SystemContext, WriteRequest
from framework.models.base import CanonicalRecord, entity_model
from framework.secrets import redact
from framework.state.store import HistoryEntry, InboxEntry, Link, Problem, StateStore

log = logging.getLogger("syncwright.engine")

# Journaled requests kept for sending at most (``PairContext.journaled``): about two chunks'
# worth of writes queued ahead; past it a write is validated again from the journal.
JOURNALED = 4000
T = TypeVar("T")


class Stopped(Exception):
    """A run stopped on request between two records; what is left stays for the next run."""


@dataclass
class PairContext:
    """One pair's run: its spec, both systems, the store, the hooks and the report."""

    pair: PairSpec
    systems: dict[Side, SystemContext]
    store: StateStore
    hooks: Hooks
    report: RunReport
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    progress: Progress = no_progress
    fence: Callable[[], None] = field(default=lambda: None)
    """Checks, in the caller's transaction, that this run still holds its pair (lease.py)."""
    confirm: Callable[[], None] = field(default=lambda: None)
    """Checks before sending writes, outside a transaction, that this run still holds its
    pair: a recent beat answers it (``HeldLease.confirm``)."""
    stop: threading.Event = field(default_factory=threading.Event)
    """Set to stop the run after the record in hand (SIGTERM); see :class:`Stopped`."""
    guard: GuardConfig | None = None
    """The engine's limits on mass changes (the pair's own are in ``pair.guard``)."""
    targets: Targets | None = None
    """Set for a run a webhook triggered: only these records, read fresh (targets.py)."""
    read_ahead: bool = False
    """Long reads of a connector that allows it go on in a process of their own
    (``read_ahead.py``; the engine's ``read_ahead`` setting)."""
    _associates: dict[str | None, str] = field(default_factory=dict)
    journaled: dict[int, tuple[dict[str, Any], WriteRequest]] = field(default_factory=dict)
    """Requests journaled in this run, by intent: what ``apply.py`` sends, not validated
    again from the journal's JSON (only while that JSON is the same; see ``JOURNALED``)."""
    chunk: ChunkReads | None = None
    """The look-ups of the chunk being reconciled, read at once (``chunk.py``)."""
    settling: Group | None = None
    """What the part of a group of writes being settled read ahead (``settle_group.py``)."""

    def check_stop(self) -> None:
        """Between two records: stop here if asked to.

        Raises:
            Stopped: a stop was asked for.
        """
        if self.stop.is_set():
            raise Stopped(f"{self.name}: stopped on request")

    @property
    def name(self) -> str:
        """The pair's name."""
        return self.pair.name

    def flow(self, entity: str) -> FlowSpec:
        """The flow of ``entity``."""
        return self.pair.flows[entity]

    def support(self, side: Side, entity: str) -> EntitySupport:
        """What the connector of ``side`` can do with ``entity``."""
        info = self.hooks.describe(self.systems[side].connector)
        found = info.entities.get(entity)
        return found or EntitySupport(read=False, create=False, update=False)

    def retrying(self, side: Side, what: str, fn: Callable[[], T]) -> T:
        """Call a hook that talks to ``side``'s system, retrying transient failures (G-5).

        Raises:
            RetryBudgetExhausted: the system kept failing; the caller leaves the work pending.
        """
        system = self.systems[side].name
        return call_with_retries(
            fn,
            self.retry,
            what=f"{what} {system}",
            on_retry=lambda exc: self.report.count("retry", system),
        )

    def associate_for(self, actor: str | None) -> str | None:
        """G-8: the POS associate for a platform user's change (mapped, else the default)."""
        if actor not in self._associates:
            platform = self.systems["platform"]
            mapping = self.retrying(
                "platform",
                "mapping an associate of",
                lambda: self.hooks.map_associate(platform, actor, self.pair.default_associate),
            )
            if mapping is None:
                return None
            self._associates[actor] = mapping.pos_associate
        return self._associates[actor]

    def quarantine(
        self,
        entity: str,
        side: Side,
        record_id: str,
        rule: str,
        reason: str,
        payload: dict[str, Any] | None,
    ) -> None:
        """Park a change with its reason and rule (G-5); the run goes on."""
        reason = redact(reason)  # reasons quote what systems answered: never a secret
        self._problem_written(entity, side, record_id)
        self.store.add_problem(self.name, entity, side, record_id, rule, reason, payload)
        link = self.store.link_by_id(self.name, entity, side, record_id)
        pos_id, platform_id = (record_id, None) if side == "pos" else (None, record_id)
        if link is not None:
            pos_id, platform_id = link.pos_id, link.platform_id
        self.history(
            HistoryEntry(
                self.name,
                entity,
                "quarantine",
                pos_id,
                platform_id,
                link.id if link is not None else None,
                source=side,
                rule=rule,
                note=reason,
            )
        )
        self.report.count(entity, "quarantined")
        system = self.systems[side].name
        log.warning("%s %s on %s quarantined [%s]: %s", entity, record_id, system, rule, reason)

    def superseded(self, entity: str, side: Side, record_id: str) -> None:
        """A readable change of a record arrived: the problems it makes moot are resolved.

        A record that could not be read, or whose creation on the other side was refused,
        is handled afresh with this change (and parked again if it fails again). A refused
        *write* to this record is not: this change does not carry what was refused, so
        that problem stays until it is retried or a later write covers it (G-5).
        """
        for problem in self.open_problems(entity, side, record_id):
            if "intent" not in (problem.payload or {}):
                self.resolve(problem)

    def covered(self, entity: str, side: Side, record_id: str, fields: list[str] | None) -> None:
        """A write to a record succeeded: refused writes of the same fields are moot.

        ``fields`` are the fields written (``None``: the whole record, a create). Fields
        compare by their top-level name: a refused field is merged again as a whole (see
        ``Settler._unmerge``), so a write of it carries every part that still differs.
        """
        written = None if fields is None else {f.partition(".")[0] for f in fields}
        for problem in self.open_problems(entity, side, record_id):
            refused = (problem.payload or {}).get("intent")
            if refused is None:
                continue
            names = {f.partition(".")[0] for f in refused.get("fields") or ()}
            if written is None or names <= written:
                self.resolve(problem)

    def resolve(self, problem: Problem) -> None:
        """Mark a problem resolved (every problem a run resolves goes through here: chunk.py)."""
        self._problem_written(problem.entity, problem.side, problem.record_id)
        self.store.resolve_problem(problem.id)

    def _problem_written(self, entity: str, side: str, record_id: str) -> None:
        """A record's problems change: what was read of them ahead is dropped (asked anew)."""
        if self.chunk is not None:
            self.chunk.problem_written(entity, side, record_id)
        if self.settling is not None:
            self.settling.problem_written(entity, side, record_id)

    # -- look-ups a chunk reads at once (``chunk.py``) ------------------------------------------

    def staged(self, entity: str, side: Side, record_id: str) -> list[InboxEntry]:
        """Every staged change of one record, oldest first."""
        found = self.chunk.staged(entity, side, record_id) if self.chunk is not None else None
        if found is None:
            found = self.store.inbox_for(self.name, entity, side, record_id)
        return found

    def open_problems(self, entity: str, side: Side, record_id: str) -> list[Problem]:
        """One record's open problems, oldest first.

        As read ahead with the group of writes settling (``settle_group.py``) or with the
        chunk (``chunk.py``), else from the store.
        """
        found = None
        if self.settling is not None:
            found = self.settling.problems_of(entity, side, record_id)
        if found is None and self.chunk is not None:
            found = self.chunk.problems(entity, side, record_id)
        if found is None:
            found = self.store.problems_of(self.name, entity, side, record_id)
        return found

    def kept_apart(self, entity: str, side: Side, record_id: str) -> set[str]:
        """Ids on the other side a record of ``side`` is kept apart from."""
        found = self.chunk.apart(entity, side, record_id) if self.chunk is not None else None
        if found is None:
            found = self.store.kept_apart(self.name, entity, side, record_id)
        return found

    def links_changed(self) -> None:
        """Links or shadows changed beyond the record in hand (settled, renamed): ``chunk.py``."""
        if self.chunk is not None:
            self.chunk.links_changed()

    def staging_changed(self, entity: str, side: Side, record_id: str) -> None:
        """A record's staged changes were dropped or added to (parked, staged again)."""
        if self.chunk is not None:
            self.chunk.staging_changed(entity, side, record_id)

    def moved(self, move: Move, link: Link | None = None, note: str | None = None) -> None:
        """Log a move in the report and the store's move log (and ``link``'s history)."""
        self.report.moved(move)
        self.store.add_moves(self.report.run_id, [move.as_row()])
        if link is not None:
            self.history(
                HistoryEntry(
                    self.name,
                    move.entity,
                    move.action,
                    link.pos_id,
                    link.platform_id,
                    link.id,
                    toward=move.toward,
                    rule=",".join(move.rules) or None,
                    note=note,
                )
            )

    def history(self, entry: HistoryEntry) -> None:
        """Record one history entry of this run (in the transaction in hand)."""
        entry.run_id = self.report.run_id
        self.store.add_history([entry])


def label(pos_id: str, platform_id: str) -> str:
    """How a linked record is named to people: ``001-00042=cl_000042``, new ids as ``(new)``."""
    return "=".join("(new)" if i.startswith("~") else i for i in (pos_id, platform_id))


class _Keys:
    """Unique key bodies: 20 random hex digits drawn once per process, then a counter.

    A ``uuid4`` a key asked the system for random bytes twice per created record (its
    placeholder id and its write's key); as unique this way, 32 hex digits as before. A
    forked child draws its own prefix.
    """

    def __init__(self) -> None:
        self.reset()
        os.register_at_fork(after_in_child=self.reset)

    def reset(self) -> None:
        self.prefix = uuid.uuid4().hex[:20]
        self.count = itertools.count()

    def next(self) -> str:
        return f"{self.prefix}{next(self.count):012x}"


_KEYS = _Keys()


def idempotency_key(pair: str, entity: str) -> str:
    """A fresh key for one write, stable across its replays (it is journaled with it)."""
    return f"sw-{pair}-{entity}-{_KEYS.next()}"


def match_keys(
    model: type[CanonicalRecord],
    record: dict[str, Any] | CanonicalRecord,
    link_key: str | None,
    names: list[str],
) -> dict[str, list[str]]:
    """The normalised keys to index a record under: the flow's match keys and the shared code."""
    keys: dict[str, list[str]] = {}
    if names:
        instance = record if isinstance(record, CanonicalRecord) else model.model_validate(record)
        all_keys = instance.match_keys()
        keys = {name: all_keys.get(name, []) for name in names}
    if link_key:
        keys["link_key"] = [link_key]
    return keys


def model_for(entity: str) -> type[CanonicalRecord]:
    """The canonical model of ``entity``."""
    return entity_model(entity)
