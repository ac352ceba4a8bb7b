"""Making the journaled writes: intent -> applied, with retries, quarantine and replay.

An intent is durable before its write is sent. When the write succeeds the target's shadow
and the link move and the intent is dropped, in one transaction. A write the system refuses
is quarantined with the request, so ``syncwright problems retry`` can send it again. A
write whose system stays unreachable stays journaled for the next run. Intents found at the
start of a run were left by a run that died: they are replayed, and a create is first
re-matched, so a record the dead run created unrecorded is linked, not duplicated (G-2, G-5).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from framework.engine.context import PairContext, label, match_keys
from framework.engine.flows import Side
from framework.engine.report import Move
from framework.engine.retry import call_with_retries
from framework.errors import (
    ConnectorError,
    FatalError,
    RecordRejected,
    RetryableError,
    RetryBudgetExhausted,
)
from framework.models import ApplyResult, MatchQuery, WriteOp, WriteRequest
from framework.models.base import entity_model
from framework.state.store import Intent, StoredRecord


class Unavailable(Exception):
    """A target system stayed unreachable: stop writing to it this run."""


class Applier:
    """Sends one pair's journaled writes to the connectors."""

    def __init__(self, ctx: PairContext):
        self.ctx = ctx
        self.store = ctx.store

    def apply(self, entity: str | None = None, *, replay: bool = False) -> None:
        """Apply every pending intent (of ``entity``), in order, batched per target.

        Raises:
            Unavailable: a target stayed unreachable; its intents stay journaled.
        """
        intents = self.store.intents(self.ctx.name, entity)
        done = 0
        for side in ("pos", "platform"):
            mine = [i for i in intents if i.side == side]
            by_entity: dict[str, list[Intent]] = {}
            for intent in mine:
                by_entity.setdefault(intent.entity, []).append(intent)
            for name, group in by_entity.items():
                size = self.ctx.support(side, name).batch_size
                for start in range(0, len(group), size):
                    self._send(side, group[start : start + size], replay)
                    done += len(group[start : start + size])
                    self.ctx.progress("apply", name, done, len(intents))

    def _send(self, side: Side, intents: list[Intent], replay: bool) -> None:
        system = self.ctx.systems[side]
        requests = [self._request(intent, replay) for intent in intents]
        try:
            if len(requests) == 1:
                results: Sequence[ApplyResult | ConnectorError] = [
                    self._retry(
                        lambda: self.ctx.hooks.apply_change(system, requests[0]), system.name
                    )
                ]
            else:
                results = self._retry(
                    lambda: self.ctx.hooks.apply_batch(system, requests), system.name
                )
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
        with self.store.transaction():
            for intent, request, result in settled:
                self._settle(intent, request, result)

    def _retry(self, fn: Any, system: str) -> Any:
        return call_with_retries(
            fn,
            self.ctx.retry,
            what=f"writing to {system}",
            on_retry=lambda exc: self.ctx.report.count("retry", system),
        )

    def _one_more(self, side: Side, request: WriteRequest) -> ApplyResult | ConnectorError:
        """A per-item transient failure inside a batch is retried on its own."""
        system = self.ctx.systems[side]
        try:
            result: ApplyResult = self._retry(
                lambda: self.ctx.hooks.apply_change(system, request), system.name
            )
        except ConnectorError as exc:
            return exc
        return result

    def _request(self, intent: Intent, replay: bool) -> WriteRequest:
        data = dict(intent.request)
        record = data.pop("record", None)
        model = entity_model(intent.entity)
        request = WriteRequest(
            **data, record=model.model_validate(record) if record is not None else None
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
        found = self.ctx.hooks.match_record(
            self.ctx.systems[side],
            MatchQuery(entity=intent.entity, record=request.record, keys=keys, replay=True),
        )
        if len(found.ids) == 1:
            link = self.store.link(intent.link_id) if intent.link_id else None
            if link is not None and link.pending_on(side):
                with self.store.transaction():
                    self.store.rename_record(
                        self.ctx.name, intent.entity, side, link.id_on(side), found.ids[0]
                    )
            request.op = WriteOp.UPDATE
            request.target_id = found.ids[0]
        return request

    def _attempted(self, intents: list[Intent]) -> None:
        with self.store.transaction():
            for intent in intents:
                self.store.intent_attempted(intent.seq)

    def _settle(
        self, intent: Intent, request: WriteRequest, result: ApplyResult | ConnectorError
    ) -> None:
        with self.store.transaction():
            if isinstance(result, ApplyResult):
                self._applied(intent, request, result)
            elif isinstance(result, (RecordRejected, FatalError)):
                self._rejected(intent, request, result)
            else:  # still failing after its retries: stays journaled for the next run
                self.store.intent_attempted(intent.seq)
                self.ctx.report.count(intent.entity, "deferred")

    def _rejected(self, intent: Intent, request: WriteRequest, exc: ConnectorError) -> None:
        side: Side = "pos" if intent.side == "pos" else "platform"
        rule = exc.rule if isinstance(exc, RecordRejected) else "G-5"
        label = request.target_id or (intent.source or {}).get("label", "?")
        payload = {
            "intent": {**intent.request},
            "expected": intent.expected,
            "source": intent.source,
            "link_id": intent.link_id,
        }
        self.ctx.quarantine(
            intent.entity,
            side,
            str(label),
            rule,
            f"{self.ctx.systems[side].name} refused the write: {exc}",
            payload,
        )
        self.store.intent_done(intent.seq)

    def _applied(self, intent: Intent, request: WriteRequest, result: ApplyResult) -> None:
        side: Side = "pos" if intent.side == "pos" else "platform"
        name = intent.entity
        link = self.store.link(intent.link_id) if intent.link_id is not None else None
        target_id = request.target_id or (link.id_on(side) if link else None)
        if link is not None and link.link_key is None and result.link_key:
            link.link_key = result.link_key  # how the pending record will show itself
            self.store.save_link(link)
        if link is not None and link.pending_on(side) and result.id:
            self.store.rename_record(self.ctx.name, name, side, link.id_on(side), result.id)
            link = self.store.link(link.id)
            target_id = result.id
        rules = tuple((intent.source or {}).get("rules", []))
        name_of = label(link.pos_id, link.platform_id) if link else str(target_id)
        self.store.intent_done(intent.seq)
        if request.op is WriteOp.DELETE:
            if link is not None:
                # Gone on both sides now: the other side's tombstone, read back, is an echo
                # of this delete and must not be propagated back (G-4).
                link.status = "deleted"
                self.store.save_link(link)
            self.ctx.moved(Move(name, name_of, side, "delete", (), rules))
            return
        shadow = (
            result.record.model_dump(mode="json") if result.record is not None else intent.expected
        )
        if target_id is not None:
            rec = self.store.record(self.ctx.name, name, side, target_id) or StoredRecord(
                side, target_id, None
            )
            rec.data, rec.latest = shadow, None
            rec.link_id = link.id if link else rec.link_id
            rec.link_key = request.link_key or rec.link_key
            self.store.put_record(self.ctx.name, name, rec)
            if shadow is not None:
                known = result.record if result.record is not None else shadow
                keys = match_keys(
                    entity_model(name), known, rec.link_key, self.ctx.flow(name).indexed_keys
                )
                self.store.index_keys(self.ctx.name, name, side, target_id, keys)
            self.store.resolve_problems(self.ctx.name, name, side, target_id)
        fields = ("all",) if request.op is WriteOp.CREATE else tuple(request.fields)
        self.ctx.moved(Move(name, name_of, side, request.op.value, fields, rules))
