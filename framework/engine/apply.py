"""Making the journaled writes: intent -> applied, with retries, quarantine and replay.

An intent is durable before its write is sent. When the write succeeds the target's shadow
and the link move and the intent is dropped, in one transaction. A write the system refuses
is quarantined with the request, so ``syncwright problems retry`` can send it again. A
write whose system stays unreachable stays journaled for the next run. Intents found at the
start of a run were left by a run that died: they are replayed, and a create is first
re-matched, so a record the dead run created unrecorded is linked, not duplicated (G-2, G-5).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Collection, Sequence
from typing import Any

from framework.engine.context import PairContext, label, match_keys
from framework.engine.flows import Side, other
from framework.engine.history import write_entries
from framework.engine.in_flight import Lanes, Sent, Unit, units
from framework.engine.projection import Projection
from framework.engine.report import Move
from framework.engine.retry import call_with_retries
from framework.engine.settle_group import Group, Write, disjoint
from framework.errors import (
    ConnectorError,
    FatalError,
    RecordRejected,
    RetryableError,
    RetryBudgetExhausted,
)
from framework.models import ApplyResult, MatchQuery, WriteOp, WriteRequest
from framework.models.base import entity_model
from framework.state.store import HistoryEntry, Intent, Link, Settling, StoredRecord

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
        self._projections: dict[str, Projection] = {}
        self._history: list[HistoryEntry] = []
        """Entries of the writes settled in the transaction in hand (one batch)."""
        self._group = Group()
        """What the group of writes being settled read ahead and writes at its end."""
        self._counting = threading.Lock()  # retries are counted from the lanes' threads
        self._lanes: dict[Side, Lanes] = {}
        self._queued: dict[int, str] = {}
        """Intents queued, in flight or come back, not settled yet: their entities."""
        self.writes_to: Counter[Side] = Counter()
        """Calls that wrote (or tried to) to each side this run."""
        self._settling: list[tuple[Intent, WriteRequest, ApplyResult | ConnectorError]] = []
        self._unsent: list[Intent] = []
        self._stopped: BaseException | None = None

    def _projection(self, entity: str) -> Projection:
        """The merge naming of ``entity``'s flow (to fingerprint a record still on its way)."""
        if entity not in self._projections:

            def resolve(ref: str, side: Side, record_id: str) -> str | None:
                if ref in self._group.settling:  # a created record's link names its real id
                    self._group.write_records(self.store, self.ctx.name)
                link = self.store.link_by_id(self.ctx.name, ref, side, record_id)
                return link.id_on(other(side)) if link is not None else None

            self._projections[entity] = Projection(
                self.ctx.flow(entity), entity_model(entity), resolve
            )
        return self._projections[entity]

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
        self._settle_all(settled)
        for intent, _, _ in settled:
            self._queued.pop(intent.seq, None)

    def _settle_all(self, settled: list[Write]) -> None:
        """Settle writes that came back, in one transaction with the lease's fence.

        Each kind of statement once for the group where it can (``settle_group.py``): the
        links and records read ahead, the records, the journal's rows and the moves
        written at the end. A part of the group touching what an earlier write of it
        touched is settled after that write's part is written.
        """
        if not settled:
            return
        try:
            with self.store.transaction():
                self.ctx.fence()
                start = 0
                while start < len(settled):
                    rest = settled[start:]
                    ids = [i.link_id for i, _, _ in rest if i.link_id is not None]
                    links = self.store.links_with_ids(ids) if ids else {}
                    part = rest[: max(1, disjoint(rest, links))]
                    self._group = Group.read(self.store, self.ctx.name, part, links)
                    self.ctx.settling = self._group  # its problems: ``covered``
                    for intent, request, result in part:
                        self._settle(intent, request, result)
                    self._flush()
                    start += len(part)
        finally:
            self._group, self._history = Group(), []  # a group rolled back leaves nothing
            self.ctx.settling = None

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
        self._settle_all(settled)

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
        self._settle_all(settled)
        if stopped is not None:
            self._attempted(intents[len(settled) :])
            raise Unavailable(str(stopped)) from stopped
        if asked:
            self.ctx.check_stop()

    def _flush(self) -> None:
        """Write what the settled writes left waiting, in the transaction settling them.

        Their records, their journal rows dropped, their moves and their history.
        """
        group = self._group
        group.write_records(self.store, self.ctx.name)
        if group.done:
            self.store.intents_done(group.done)
            group.done = []
        if group.moves:
            self.store.add_moves(self.ctx.report.run_id, group.moves)
            group.moves = []
        self.store.add_history(self._history)
        self._history = []

    def _moved(self, move: Move) -> None:
        """``ctx.moved``, the move logged with the group's others at its end."""
        self.ctx.report.moved(move)
        self._group.moves.append(move.as_row())

    def _link(self, link_id: int | None) -> Link | None:
        """A settling write's link: read ahead with its group's (``settle_group.py``)."""
        if link_id is None:
            return None
        found = self._group.links.pop(link_id, None)
        return found if found is not None else self.store.link(link_id)

    def _record(self, entity: str, side: Side, record_id: str) -> StoredRecord | None:
        """A settling write's record: read ahead with its group's (``settle_group.py``)."""
        key = (entity, side, record_id)
        if key in self._group.records:
            return self._group.records.pop(key)
        return self.store.record(self.ctx.name, entity, side, record_id)

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

    def _settle(
        self, intent: Intent, request: WriteRequest, result: ApplyResult | ConnectorError
    ) -> None:
        """Settle one write, in its group's transaction (:meth:`_settle_all`)."""
        if not isinstance(result, ApplyResult) or request.op is WriteOp.DELETE:
            # Not the common case: what waits is written first, as one by one.
            self._group.write_records(self.store, self.ctx.name)
        if isinstance(result, ApplyResult):
            self._applied(intent, request, result)
        elif isinstance(result, (RecordRejected, FatalError)):
            self._rejected(intent, request, result)
        else:  # still failing after its retries: stays journaled for the next run
            self.store.intent_attempted(intent.seq)
            self.ctx.report.count(intent.entity, "deferred")

    def _rejected(self, intent: Intent, request: WriteRequest, exc: ConnectorError) -> None:
        """Park a write the target refused; what it carried is never silently lost (G-5).

        A refused create unlinks the record (it was never made there) and parks its source
        record; a refused update parks the write and takes the refused fields out of the
        source's shadow, so they count as changed again and go with the record's next
        merge: its next change on either side, or ``problems retry``.
        """
        side: Side = "pos" if intent.side == "pos" else "platform"
        rule = exc.rule if isinstance(exc, RecordRejected) else "G-5"
        reason = f"{self.ctx.systems[side].name} refused the write: {exc}"
        self._group.done.append(intent.seq)
        link = self._link(intent.link_id)
        if request.op is WriteOp.CREATE and link is not None and link.pending_on(side):
            self._refused_create(intent, link, rule, reason)
            return
        label = request.target_id or (intent.source or {}).get("label", "?")
        payload: dict[str, Any] = {
            "intent": {**intent.request},
            "expected": intent.expected,
            "source": intent.source,
            "link_id": intent.link_id,
        }
        if request.op is WriteOp.UPDATE and link is not None:
            payload["origin"] = self._unmerge(link, other(side), request.fields)
        self.ctx.quarantine(intent.entity, side, str(label), rule, reason, payload)

    def _unmerge(self, link: Link, source: Side, fields: list[str]) -> dict[str, str]:
        """Take refused fields out of the source's shadow: they are changes not yet made."""
        source_id = link.id_on(source)
        rec = self.store.record(self.ctx.name, link.entity, source, source_id)
        if rec is not None and rec.data is not None:
            refused = {f.partition(".")[0] for f in fields}
            rec.latest = rec.now  # the record as it is; the shadow lacks what did not go
            rec.data = {k: v for k, v in rec.data.items() if k not in refused}
            self.store.put_record(self.ctx.name, link.entity, rec)
        return {"side": source, "id": source_id}

    def _refused_create(self, intent: Intent, link: Link, rule: str, reason: str) -> None:
        """The record was never made on the target: unlink it and park its source record.

        Parked under the source record, so its next readable change (a fix at the source)
        or ``problems retry`` handles it afresh: match, then create with what the record
        holds then (G-3, G-5).
        """
        source = other("pos" if intent.side == "pos" else "platform")
        source_id = link.id_on(source)
        self.store.drop_link(link.id)
        payload = {"origin": {"side": source, "id": source_id}, "refused": intent.request}
        self.ctx.quarantine(intent.entity, source, source_id, rule, reason, payload)

    def _applied(self, intent: Intent, request: WriteRequest, result: ApplyResult) -> None:
        side: Side = "pos" if intent.side == "pos" else "platform"
        name = intent.entity
        link = self._link(intent.link_id)
        target_id = request.target_id or (link.id_on(side) if link else None)
        if link is not None and link.link_key is None and result.link_key:
            link.link_key = result.link_key  # how the pending record will show itself
            self.store.save_link(link)
        placeholder = None  # a created record's: its row takes the real id as it settles
        if link is not None and link.pending_on(side) and result.id:
            placeholder = link.id_on(side)
            link = with_id(link, side, result.id)
            target_id = result.id
        rules = tuple((intent.source or {}).get("rules", []))
        name_of = label(link.pos_id, link.platform_id) if link else str(target_id)
        self._group.done.append(intent.seq)
        if request.op is WriteOp.DELETE:
            if placeholder is not None:  # a delete of a record still pending: it has its id
                self.store.rename_record(self.ctx.name, name, side, placeholder, str(target_id))
            gone = self.store.record(self.ctx.name, name, side, target_id) if target_id else None
            self._history += write_entries(
                self.ctx.name,
                self.ctx.report.run_id,
                self.ctx.flow(name),
                intent,
                request,
                None,
                (),
                link,
                before=gone.now if gone is not None else None,
            )
            if link is not None:
                # Gone on both sides now: the other side's tombstone, read back, is an echo
                # of this delete and must not be propagated back (G-4).
                link.status = "deleted"
                self.store.save_link(link)
            self._moved(Move(name, name_of, side, "delete", (), rules))
            return
        shadow = (
            result.record.model_dump(mode="json") if result.record is not None else intent.expected
        )
        fields = ("all",) if request.op is WriteOp.CREATE else tuple(request.fields)
        if target_id is not None:
            # A created record's state is written once here: its placeholder's row, renamed
            # to the real id, with the shadow and keys of what was written (not a rename then
            # a rewrite), with the group's others at its end (``settle_records``).
            rec = self._record(name, side, placeholder or target_id)
            if rec is None:
                rec = StoredRecord(side, target_id, None)
            rec.id = target_id
            if result.record is not None and request.op is WriteOp.UPDATE and rec.data:
                fields = _stored(fields, request, rec.data, shadow or {})
            rec.data, rec.latest = shadow, None
            rec.link_id = link.id if link else rec.link_id
            rec.link_key = request.link_key or rec.link_key
            keys: dict[str, list[str]] | None = None
            if shadow is not None:
                known = result.record if result.record is not None else shadow
                keys = match_keys(
                    entity_model(name), known, rec.link_key, self.ctx.flow(name).indexed_keys
                )
                if link is not None and link.pending_on(side) and not link.link_key:
                    # Queued with no id and no shared code to show itself by: it will be
                    # recognised by the fingerprint of what was sent.
                    keys["created"] = [self._projection(name).fingerprint(side, shadow)]
            self._group.settling.setdefault(name, []).append(Settling(rec, keys, placeholder))
            written = None if request.op is WriteOp.CREATE else list(request.fields)
            self.ctx.covered(name, side, target_id, written)
        if not fields:  # the system kept none of it (a field it cannot hold): nothing moved
            self.ctx.report.count(name, f"unchanged.{side}")
            return
        self._history += write_entries(
            self.ctx.name,
            self.ctx.report.run_id,
            self.ctx.flow(name),
            intent,
            request,
            shadow,
            fields,
            link,
        )
        self._moved(Move(name, name_of, side, request.op.value, fields, rules))


def with_id(link: Link, side: Side, record_id: str) -> Link:
    """``link`` with ``record_id`` on ``side``: ``dataclasses.replace``, a fifth of its cost.

    Once a settled create (13 us a call against 2.5 us, timeit); every field is passed on
    (``test_settle_group.py`` fails when ``Link`` gains one).
    """
    pos_id, platform_id = (
        (record_id, link.platform_id) if side == "pos" else (link.pos_id, record_id)
    )
    return Link(link.id, link.pair, link.entity, pos_id, platform_id, link.link_key, link.status)


def _value(record: dict[str, Any], field: str) -> Any:
    """A field of a canonical record's JSON, ``custom.Key`` for one key of a dict field."""
    head, _, key = field.partition(".")
    value = record.get(head)
    return value.get(key) if key and isinstance(value, dict) else value


def _stored(
    fields: tuple[str, ...], request: WriteRequest, before: dict[str, Any], after: dict[str, Any]
) -> tuple[str, ...]:
    """The fields an update really wrote, by the record the system returned.

    A field the system left as it was, though asked for another value, was not written (a
    one-name F/K program has no first or last name to store, IS-5): the report names only
    what was written.
    """
    asked = request.record.model_dump(mode="json") if request.record is not None else {}
    return tuple(
        f
        for f in fields
        if _value(after, f) != _value(before, f) or _value(after, f) == _value(asked, f)
    )
