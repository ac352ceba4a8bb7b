"""Making the journaled writes: intent -> applied, with retries, quarantine and replay.

An intent is durable before its write is sent. When the write succeeds the target's shadow
and the link move and the intent is dropped, in one transaction. A write the system refuses
is quarantined with the request, so ``syncwright problems retry`` can send it again. A
write whose system stays unreachable stays journaled for the next run. Intents found at the
start of a run were left by a run that died: they are replayed, and a create is first
re-matched, so a record the dead run created unrecorded is linked, not duplicated (G-2, G-5).
Here the sending (one at a time, in batches, or in lanes with writes in flight); what each
write that came back does to the state is ``settle.py``'s.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Collection, Sequence
from typing import Any

from framework.engine.context import PairContext, match_keys
from framework.engine.flows import Side
from framework.engine.in_flight import Lanes, Sent, Unit, units
from framework.engine.retry import call_with_retries
from framework.engine.settle import Settler
from framework.errors import (
    ConnectorError,
    FatalError,
    RecordRejected,
    RetryableError,
    RetryBudgetExhausted,
)
from framework.models import ApplyResult, MatchQuery, WriteOp, WriteRequest
from framework.models.base import entity_model
from framework.state.store import Intent

log = logging.getLogger("syncwright.engine")

# Writes to a system without a batch endpoint go one by one, but settle in groups of this
# many, one transaction a group: a transaction a write (its commit, the WAL checkpoints)
# cost about as much as the write. A run killed inside a group replays the group's writes
# that had not settled, and replays are idempotent (G-6).
SETTLE_GROUP = 50

# Writes queued or in flight, at most, before ``apply`` waits for some to settle: four
# chunks' worth; memory stays bounded however far reconciling runs ahead of the platform.
QUEUE_LIMIT = 2000


class Unavailable(Exception):
    """A target system stayed unreachable: stop writing to it this run."""


class Applier:
    """Sends one pair's journaled writes to the connectors."""

    def __init__(self, ctx: PairContext):
        self.ctx = ctx
        self.store = ctx.store
        self._settler = Settler(ctx)
        self._counting = threading.Lock()  # retries are counted from the lanes' threads
        self._lanes: dict[Side, Lanes] = {}
        self._queued: dict[int, str] = {}
        """Intents queued, in flight or come back, not settled yet: their entities."""
        self.writes_to: Counter[Side] = Counter()
        """Calls that wrote (or tried to) to each side this run."""
        self._settling: list[tuple[Intent, WriteRequest, ApplyResult | ConnectorError]] = []
        self._unsent: list[Intent] = []
        self._stopped: BaseException | None = None

    def apply(self, entity: str | None = None, *, replay: bool = False) -> None:
        """Apply every pending intent (of ``entity``), in order, batched per target.

        To a system with several writes in flight the writes are queued for its lanes and
        this returns before they all settle (:meth:`pump`, :meth:`finish`).

        Writes awaiting the guard's count, or held by it, are not pending (``guard.py``).

        Raises:
            Unavailable: a target stayed unreachable; its intents stay journaled.
        """
        intents = self.store.intents_but(self.ctx.name, entity, self._queued)
        done = 0
        for side in ("pos", "platform"):
            mine = [i for i in intents if i.side == side]
            by_entity: dict[str, list[Intent]] = {}
            for intent in mine:
                by_entity.setdefault(intent.entity, []).append(intent)
            for name, group in by_entity.items():
                size = self.ctx.support(side, name).batch_size
                lanes = 1 if replay else self.lanes(side)  # a replay re-matches: one by one
                if lanes > 1:
                    self._queue(side, group, size, lanes)
                    continue
                send = self._send if size > 1 else self._send_each
                size = size if size > 1 else SETTLE_GROUP
                for start in range(0, len(group), size):
                    self.ctx.check_stop()  # the rest stays journaled, replayed next run
                    send(side, group[start : start + size], replay)
                    done += len(group[start : start + size])
                    self.ctx.progress("apply", name, done, len(intents))
        # A bounded pipeline: the caller reconciles more while these are in flight, but
        # never gets more than QUEUE_LIMIT writes ahead of what has settled.
        self.pump()
        while len(self._queued) > QUEUE_LIMIT:
            self.pump(block=True)

    @property
    def queued(self) -> int:
        """Writes queued or in flight, not settled yet."""
        return len(self._queued)

    def lanes(self, side: Side) -> int:
        """How many writes may be in flight to ``side``'s system (its ``in_flight``)."""
        system = self.ctx.systems[side]
        if system.http is None:  # files, databases: one at a time, as their connectors expect
            return 1
        return max(1, int(getattr(system.settings, "in_flight", 1)))

    def _queue(self, side: Side, intents: list[Intent], size: int, lanes: int) -> None:
        """Queue writes for the lanes of ``side`` (``in_flight.py``).

        :meth:`pump` starts them and settles what came back, :meth:`finish` waits for all.
        """
        system = self.ctx.systems[side]
        requests = {intent.seq: self._request(intent, False) for intent in intents}
        if side not in self._lanes:
            self._lanes[side] = Lanes(lanes, self._before)

        def send(unit: Unit) -> Sent:  # in a lane: sending only, never the store
            out = Sent()
            for n, call in enumerate(unit):
                batch = [requests[intent.seq] for intent in call]
                try:
                    results = self._call(side, system, batch)
                except (RetryBudgetExhausted, FatalError) as exc:
                    out.stopped = exc
                    out.unsent = [intent for rest in unit[n:] for intent in rest]
                    return out
                out.done += zip(call, batch, results, strict=True)
            return out

        for unit in units(intents, size):
            self._lanes[side].add(unit, send)
        self._queued.update((intent.seq, intent.entity) for intent in intents)

    def _before(self) -> bool:
        """Before a unit of writes starts (in this thread): not if a stop was asked for."""
        if self.ctx.stop.is_set():
            return False  # what waits stays journaled, replayed next run
        self.ctx.confirm()  # a run taken over sends nothing more
        return True

    def pump(self, block: bool = False) -> None:
        """Start queued writes in free lanes and settle the ones that came back.

        Called between records too, so the lanes stay busy while the next records are
        reconciled; results settle in groups of :data:`SETTLE_GROUP` (one transaction each,
        joining the caller's when it has one), and what is left once nothing is in flight.

        ``block``: wait until a write in flight comes back (if any is). Waiting for the
        last ones (:meth:`finish`, a queue over :data:`QUEUE_LIMIT`) settles them in groups
        too, not one transaction a unit as each comes back: the tail of a flow of children
        (a note a call) made one group of 1 to 5 writes a unit, 85% of the groups of a 10k
        upload.

        Raises:
            Unavailable: a write found its system unreachable (or refusing us as a whole):
                nothing more is started there, the writes in flight are settled, the rest
                stays journaled.
        """
        for lanes in self._lanes.values():
            self._took(lanes.pump(block))
            if self._stopped is not None:
                self._took(lanes.drain())
                lanes.halted = False  # a later flow tries that system again, as before
        flying = any(lanes.running for lanes in self._lanes.values())
        full = len(self._settling) >= SETTLE_GROUP
        if full or self._stopped is not None or (block and not flying):
            self._settle_group(self._settling)
            self._settling = []
        if self._stopped is not None:
            stopped, self._stopped = self._stopped, None
            unsent, self._unsent = self._unsent, []
            self._attempted(unsent)
            raise Unavailable(str(stopped)) from stopped

    def finish(self, entities: Collection[str] | None = None) -> None:
        """Wait for every queued write (of ``entities``) and settle it.

        A flow's children are reconciled once their parents' writes have settled (their
        links name the real ids); other flows need not wait (``runner.py``).

        Raises:
            Unavailable: as :meth:`pump`.
        """
        if entities is not None:
            while waiting := self._waiting_on(entities):
                back = {intent.seq for intent, _, _ in self._settling}
                if waiting <= back or all(lanes.idle for lanes in self._lanes.values()):
                    # Came back (a group not full while others fly): settled now.
                    settling, self._settling = self._settling, []
                    self._settle_group(settling)
                    if self._waiting_on(entities):
                        break  # never sent (a stop): stays journaled, replayed next run
                    continue
                self.pump(block=True)
            return
        while any(not lanes.idle for lanes in self._lanes.values()):
            self.pump(block=True)
        self.pump(block=True)
        self._unsent = []  # not started because a stop was asked for: stays journaled

    def _waiting_on(self, entities: Collection[str]) -> set[int]:
        """The writes of ``entities`` queued, in flight or come back, not settled yet."""
        return {seq for seq, entity in self._queued.items() if entity in entities}

    def close(self) -> None:
        """End the lanes at the end of a run: nothing more starts, what is in flight settles.

        Only a run ended by an exception finds writes here (a stop between two batches of
        a system without lanes, a lease lost): they are settled if the store still lets us,
        else they stay journaled and are replayed next run, like a kill's.
        """
        out: list[Sent] = []
        for lanes in self._lanes.values():
            lanes.halt(out)
            out += lanes.drain()
            lanes.close()
        self._lanes.clear()
        self._took(out)
        settling, self._settling = self._settling, []
        try:
            self._settle_group(settling)
        except Exception as exc:  # the run is ending on another error already
            left = len(settling)
            log.warning("%s: %d writes in flight left journaled (%s)", self.ctx.name, left, exc)

    def _took(self, outcomes: list[Sent]) -> None:
        for sent in outcomes:
            self._settling += sent.done
            self._unsent += sent.unsent
            # A write that came back stays "queued" until it is settled (its intent done in
            # the store): an apply() in between must not read it as pending and send it again.
            for intent in sent.unsent:
                self._queued.pop(intent.seq, None)
            self._stopped = self._stopped or sent.stopped

    def _call(
        self, side: Side, system: Any, requests: list[WriteRequest]
    ) -> Sequence[ApplyResult | ConnectorError]:
        """One call (a single write or a batch) with its retries; a refusal is a result."""
        try:
            if len(requests) == 1:
                return [self._retry(side, lambda: self.ctx.hooks.apply_change(system, requests[0]))]
            results = self._retry(side, lambda: self.ctx.hooks.apply_batch(system, requests))
        except RecordRejected as exc:
            return [exc] * len(requests)
        return [
            self._one_more(side, r) if isinstance(res, RetryableError) else res
            for r, res in zip(requests, results, strict=True)
        ]

    def _settle_group(
        self, settled: list[tuple[Intent, WriteRequest, ApplyResult | ConnectorError]]
    ) -> None:
        """Settle writes that came back, in one transaction (see :data:`SETTLE_GROUP`)."""
        self._settler.settle_all(settled)
        for intent, _, _ in settled:
            self._queued.pop(intent.seq, None)

    def _send(self, side: Side, intents: list[Intent], replay: bool) -> None:
        system = self.ctx.systems[side]
        self.ctx.confirm()  # a run taken over sends nothing more
        try:
            requests = [self._request(intent, replay) for intent in intents]
        except (RetryBudgetExhausted, FatalError) as exc:  # re-matching could not search
            self._attempted(intents)
            raise Unavailable(str(exc)) from exc
        try:
            if len(requests) == 1:
                results: Sequence[ApplyResult | ConnectorError] = [
                    self._retry(side, lambda: self.ctx.hooks.apply_change(system, requests[0]))
                ]
            else:
                results = self._retry(side, lambda: self.ctx.hooks.apply_batch(system, requests))
        except (RetryBudgetExhausted, FatalError) as exc:
            # The system is unreachable or refuses us as a whole (credentials): stop writing
            # to it this run; the intents stay journaled.
            self._attempted(intents)
            raise Unavailable(str(exc)) from exc
        except RecordRejected as exc:
            results = [exc] * len(requests)
        settled = [
            (i, r, self._one_more(side, r) if isinstance(res, RetryableError) else res)
            for i, r, res in zip(intents, requests, results, strict=True)
        ]
        # One transaction for the batch: if the process dies before it commits, the writes
        # are replayed next run, and replays are idempotent (G-6).
        self._settler.settle_all(settled)

    def _send_each(self, side: Side, intents: list[Intent], replay: bool) -> None:
        """Writes one by one, each with its retries; their results settle in one transaction.

        Raises:
            Unavailable: a write found the system unreachable (or refusing us as a whole);
                the writes made before it are settled, it and the rest stay journaled.
        """
        system = self.ctx.systems[side]
        settled: list[tuple[Intent, WriteRequest, ApplyResult | ConnectorError]] = []
        stopped: ConnectorError | None = None
        self.ctx.confirm()  # a run taken over sends nothing more
        asked = False
        for intent in intents:
            if self.ctx.stop.is_set():  # after the write in hand; the rest stays journaled
                asked = True
                break
            if settled:
                self.ctx.confirm()  # taken over meanwhile: not one write more
            try:
                request = self._request(intent, replay)
                result: ApplyResult | ConnectorError = self._retry(
                    side, lambda r=request: self.ctx.hooks.apply_change(system, r)
                )
            except (RetryBudgetExhausted, FatalError) as exc:
                stopped = exc
                break
            except RecordRejected as exc:
                result = exc
            settled.append((intent, request, result))
        self._settler.settle_all(settled)
        if stopped is not None:
            self._attempted(intents[len(settled) :])
            raise Unavailable(str(stopped)) from stopped
        if asked:
            self.ctx.check_stop()

    def _retry(self, side: Side, fn: Any) -> Any:
        """``ctx.retrying`` for writes, safe in a lane's thread (G-5)."""
        system = self.ctx.systems[side].name
        self.writes_to[side] += 1  # a read ahead of it is no longer current (read_ahead.py)

        def count(exc: RetryableError) -> None:
            with self._counting:
                self.ctx.report.count("retry", system)

        return call_with_retries(fn, self.ctx.retry, what=f"writing to {system}", on_retry=count)

    def _one_more(self, side: Side, request: WriteRequest) -> ApplyResult | ConnectorError:
        """A per-item transient failure inside a batch is retried on its own."""
        system = self.ctx.systems[side]
        try:
            result: ApplyResult = self._retry(
                side, lambda: self.ctx.hooks.apply_change(system, request)
            )
        except ConnectorError as exc:
            return exc
        return result

    def _request(self, intent: Intent, replay: bool) -> WriteRequest:
        journaled = self.ctx.journaled.pop(intent.seq, None)
        if not replay and journaled is not None and journaled[0] == intent.request:
            return journaled[1]  # built by this run's journal from the same JSON
        data = dict(intent.request)
        record, base = data.pop("record", None), data.pop("base", None)
        model = entity_model(intent.entity)
        request = WriteRequest(
            **data,
            record=model.model_validate(record) if record is not None else None,
            base=model.model_validate(base) if base is not None else None,
        )
        if not replay:
            return request
        request.replay = True
        if request.op is WriteOp.CREATE and request.record is not None:
            return self._rematch(intent, request)
        return request

    def _rematch(self, intent: Intent, request: WriteRequest) -> WriteRequest:
        """Before replaying a create, look for the record a dead run may have created."""
        assert request.record is not None
        side: Side = "pos" if intent.side == "pos" else "platform"
        flow = self.ctx.flow(intent.entity)
        keys = match_keys(
            type(request.record),
            request.record.model_dump(mode="json"),
            request.link_key,
            flow.match_on,
        )
        query = MatchQuery(entity=intent.entity, record=request.record, keys=keys, replay=True)
        system = self.ctx.systems[side]
        found = self.ctx.retrying(
            side, "re-matching on", lambda: self.ctx.hooks.match_record(system, query)
        )
        # A record linked to another one is never the one the dead run created (two people
        # may share an e-mail): taking it over would merge two customers.
        ids = [i for i in found.ids if self._takeable(intent, side, i)]
        if len(ids) == 1:
            link = self.store.link(intent.link_id) if intent.link_id else None
            if link is not None and link.pending_on(side):
                with self.store.transaction():
                    self.store.rename_record(
                        self.ctx.name, intent.entity, side, link.id_on(side), ids[0]
                    )
            request.op = WriteOp.UPDATE
            request.target_id = ids[0]
        return request

    def _takeable(self, intent: Intent, side: Side, record_id: str) -> bool:
        link = self.store.link_by_id(self.ctx.name, intent.entity, side, record_id)
        return link is None or link.id == intent.link_id

    def _attempted(self, intents: list[Intent]) -> None:
        with self.store.transaction():
            for intent in intents:
                self.store.intent_attempted(intent.seq)
