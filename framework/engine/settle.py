"""Settling the writes that came back: what each outcome does to the state.

A write applied moves the target's shadow and the link (a created record's placeholder
takes its real id), logs its move and history, and drops its intent; a refused one is
quarantined with what it carried (G-5); one still failing after its retries stays
journaled. All of a group's in one transaction with the lease's fence, each kind of
statement once for the group where it can (``settle_group.py``). The sending is
``apply.py``'s.
"""

from __future__ import annotations

from typing import Any

from framework.engine.context import PairContext, label, match_keys
from framework.engine.flows import Side, other
from framework.engine.history import write_entries
from framework.engine.projection import Projection
from framework.engine.report import Move
from framework.engine.settle_group import Group, Write, disjoint
from framework.errors import ConnectorError, FatalError, RecordRejected
from framework.models import ApplyResult, WriteOp, WriteRequest
from framework.models.base import entity_model
from framework.state.store import HistoryEntry, Intent, Link, Settling, StoredRecord


class Settler:
    """Settles one pair's writes that came back, a group at a time."""

    def __init__(self, ctx: PairContext):
        self.ctx = ctx
        self.store = ctx.store
        self._projections: dict[str, Projection] = {}
        self._history: list[HistoryEntry] = []
        """Entries of the writes settled in the transaction in hand (one batch)."""
        self._group = Group()
        """What the group of writes being settled read ahead and writes at its end."""

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

    def settle_all(self, settled: list[Write]) -> None:
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

    def _settle(
        self, intent: Intent, request: WriteRequest, result: ApplyResult | ConnectorError
    ) -> None:
        """Settle one write, in its group's transaction (:meth:`settle_all`)."""
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
            self._wrote(intent, request, None, (), link, gone.now if gone is not None else None)
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
        self._wrote(intent, request, shadow, fields, link)
        self._moved(Move(name, name_of, side, request.op.value, fields, rules))

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

    def _wrote(
        self,
        intent: Intent,
        request: WriteRequest,
        after: dict[str, Any] | None,
        fields: tuple[str, ...],
        link: Link | None,
        before: dict[str, Any] | None = None,
    ) -> None:
        """A settled write's history, written with the group's others at its end."""
        pair, run, flow = self.ctx.name, self.ctx.report.run_id, self.ctx.flow(intent.entity)
        self._history += write_entries(
            pair, run, flow, intent, request, after, fields, link, before
        )

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
