"""Deciding writes and journaling them as intents (intent before action; ``apply.py`` sends).

The merge's result becomes one write per target side (in that side's naming, with the
whole group of a field the target keeps as one value); a new record becomes a create
linked through a placeholder id; a delete propagates or unlinks (G-7).
"""

from __future__ import annotations

from typing import Any

from framework.engine.context import JOURNALED, idempotency_key, label, match_keys
from framework.engine.flows import Side, other
from framework.engine.guard import Guard, change_kind, unlink
from framework.engine.merge import MergeResult
from framework.engine.projection import apply_values
from framework.engine.scope import EntityScope
from framework.models import WriteOp, WriteRequest
from framework.models.base import CanonicalRecord
from framework.state.store import Link, StoredRecord

# target, the record as it will be there, changed fields, expected shadow, rules
Write = tuple[Side, dict[str, Any], list[str], dict[str, Any], list[str]]


class Journal:
    """Turns decisions into journaled writes."""

    def __init__(self, scope: EntityScope):
        self.s = scope

    def plan(
        self, link: Link, result: MergeResult, now: dict[Side, dict[str, Any] | None]
    ) -> list[Write]:
        """The writes a merge asks for, one per target side.

        Raises:
            Deferred: a referenced record is not on the target yet (nothing is stored).
        """
        s = self.s
        writes: list[Write] = []
        targets: tuple[Side, Side] = ("platform", "pos")
        for target in targets:
            if not result.writes(target):
                continue
            values = result.to_platform if target == "platform" else result.to_pos
            fields = result.platform_fields if target == "platform" else result.pos_fields
            values, fields = self._joint(target, values, fields, now)
            full = apply_values(now[target] or {}, s.proj.side_view(target, values))
            rules = sorted({d.rule for d in result.decisions if d.toward == target and d.rule})
            writes.append(
                (target, full, s.proj.side_fields(target, fields), s.expected(target, full), rules)
            )
        return writes

    def _joint(
        self,
        target: Side,
        values: dict[str, Any],
        fields: list[str],
        now: dict[Side, dict[str, Any] | None],
    ) -> tuple[dict[str, Any], list[str]]:
        """A target keeping fields as one value gets the whole group from the writing side."""
        s = self.s
        source = other(target)
        view = s.view(source, now[source])
        values, fields = dict(values), list(fields)
        for group in s.joint[target]:
            if not set(group) & set(fields):
                continue
            for name in group:
                if (
                    name not in values
                    and name in s.flow.fields
                    and s.flow.field_direction(name).allows(source)
                ):
                    values[name] = view.get(name)
                    fields.append(name)
        return values, fields

    def arrival_values(self, target: Side, now: dict[str, Any] | None) -> dict[str, Any]:
        """The on-create values a record a match just linked takes too (none: as it is).

        Only when it is out of its side's scope and those values bring it in: CB-2's
        customers "that arrive this way are flagged for sync", and a match is such an
        arrival; else its later changes would be held back, unseen, for ever.
        """
        s = self.s
        values = s.flow.on_create_pos if target == "pos" else s.flow.on_create_platform
        record = now or {}
        if not values or s.flow.in_scope(target, record):
            return {}
        return dict(values) if s.flow.in_scope(target, {**record, **values}) else {}

    def arrive(
        self,
        target: Side,
        now: dict[str, Any] | None,
        writes: list[Write],
        values: dict[str, Any],
    ) -> list[Write]:
        """``writes`` with ``values`` written to ``target`` too (with its write, or alone)."""
        s = self.s
        rule = s.flow.create_rules.get(target) or s.flow.rule or "G-3"
        out: list[Write] = []
        for write in writes:
            if write[0] != target:
                out.append(write)
                continue
            full = {**write[1], **values}
            fields = list(dict.fromkeys([*write[2], *values]))
            out.append((target, full, fields, s.expected(target, full), [*write[4], rule]))
        if not any(w[0] == target for w in writes):
            full = {**(now or {}), **values}
            out.append((target, full, list(values), s.expected(target, full), [rule]))
        return out

    def create(self, side: Side, change: dict[str, Any]) -> Link:
        """Create the record on the other side (journaled), linked through a placeholder id."""
        s = self.s
        target = other(side)
        values = s.proj.side_view(target, s.proj.create_values(side, change["record"]))
        values.update(s.flow.on_create_pos if target == "pos" else s.flow.on_create_platform)
        instance = s.model.model_validate(values)  # a record the target cannot hold fails here
        placeholder = "~" + idempotency_key(s.pair, s.entity)
        ids = {side: change["id"], target: placeholder}
        link = s.store.add_link(
            s.pair, s.entity, ids["pos"], ids["platform"], change.get("link_key")
        )
        s.keep(side, change["id"], change["record"], change.get("link_key"), link.id)
        expected = s.expected(target, values)
        s.store.put_record(
            s.pair, s.entity, StoredRecord(target, placeholder, expected, None, link.id)
        )
        # Indexed at once: a record of the same chunk that shares a key sees this one.
        keys = match_keys(
            s.model, instance if expected == values else expected, None, s.flow.indexed_keys
        )
        s.store.index_new_keys(s.pair, s.entity, target, placeholder, keys)  # a fresh id
        rules = [s.flow.create_rules.get(target) or s.flow.rule or "G-1"]
        self.add(
            link,
            target,
            WriteOp.CREATE,
            instance,
            list(values),
            expected,
            rules,
            change.get("actor"),
        )
        return link

    def deleted(self, link: Link, side: Side, change: dict[str, Any]) -> None:
        """G-7: a delete propagates only where the flow says; otherwise it unlinks, reported."""
        s = self.s
        target = other(side)
        if s.flow.deletes == "propagate" and s.flow.direction.allows(side):
            rules = ["G-7", s.flow.rule] if s.flow.rule else ["G-7"]
            self.add(link, target, WriteOp.DELETE, None, [], None, rules, change.get("actor"))
            return
        guard = Guard(s.ctx)
        if guard.limit(s.entity, "unlink").share:  # counted with the entity's other unlinks
            guard.await_unlink(link, side)
            return
        unlink(s.ctx, link, side)

    def add(
        self,
        link: Link,
        target: Side,
        op: WriteOp,
        record: dict[str, Any] | CanonicalRecord | None,
        fields: list[str],
        expected: dict[str, Any] | None,
        rules: list[str],
        actor: str | None,
        base: dict[str, Any] | None = None,
        why: dict[str, list[str | None]] | None = None,
        prior: tuple[dict[str, Any] | None, dict[str, Any] | None] | None = None,
    ) -> None:
        """Journal one write: durable before it is sent, replayed if the run dies.

        ``why``: the policy and rule behind each field (for history); ``prior``: the
        source's shadow before this merge and its record now, kept with a write the guard
        may hold: approving it checks the source is still so, rejecting it puts the shadow
        back so the record is merged again (``framework/engine/guard.py``).
        """
        s = self.s
        associate = s.ctx.associate_for(actor) if target == "pos" else None
        target_id = None if op is WriteOp.CREATE or link.pending_on(target) else link.id_on(target)
        request = WriteRequest(
            entity=s.entity,
            op=op,
            target_id=target_id,
            link_key=link.link_key,
            record=record if not isinstance(record, dict) else s.model.model_validate(record),
            fields=fields,
            associate=associate,
            idempotency_key=idempotency_key(s.pair, s.entity),
            base=s.model.model_validate(base) if base is not None else None,
        )
        source: dict[str, Any] = {"rules": rules, "label": label(link.pos_id, link.platform_id)}
        if why:
            source["why"] = why
        kind = change_kind(op, base, request.record, fields)
        if kind is not None:  # a mass change of this kind is held (guard.py)
            source["kind"] = kind
            if prior is not None:
                source["prior"] = {
                    "side": other(target),
                    "id": link.id_on(other(target)),
                    "data": prior[0],
                    "now": prior[1],
                }
        body = request.model_dump(mode="json")
        seq = s.store.add_intent(s.pair, s.entity, target, link.id, body, expected, source)
        if kind is not None:
            Guard(s.ctx).await_count(seq, source, s.entity)
        elif len(s.ctx.journaled) < JOURNALED:
            s.ctx.journaled[seq] = (body, request)  # sent as it is (apply.py)
