"""What the parts of reconciling one entity of one pair share: flow, model, store, naming.

``reconcile.py`` walks a staged record through links (``links.py``), matching
(``matching.py``), the merge and the journal (``journal.py``), and children waiting for
a parent (``held.py``); each gets this scope instead of a copy of the same attributes.
"""

from __future__ import annotations

from typing import Any

from framework.engine.context import PairContext
from framework.engine.flows import Side, other
from framework.engine.projection import Projection
from framework.models.base import entity_model
from framework.state.store import Link, StoredRecord

Changes = dict[Side, dict[str, Any]]
SIDES: tuple[Side, Side] = ("pos", "platform")


class EntityScope:
    """One entity's flow in one pair's run: what every part of reconciling it needs."""

    def __init__(self, ctx: PairContext, entity: str):
        self.ctx = ctx
        self.entity = entity
        self.pair = ctx.name
        self.flow = ctx.flow(entity)
        self.model = entity_model(entity)
        self.store = ctx.store
        self.proj = Projection(self.flow, self.model, self.resolve_ref)
        self.single = {s: set(ctx.support(s, entity).single_valued) for s in SIDES}
        self.joint = {s: ctx.support(s, entity).joint_fields for s in SIDES}

    def system(self, side: Side) -> str:
        """The configured name of ``side``'s system."""
        return self.ctx.systems[side].name

    def record(self, side: Side, record_id: str) -> StoredRecord | None:
        """What the store knows of one record of this entity."""
        return self.store.record(self.pair, self.entity, side, record_id)

    def link_of(self, side: Side, record_id: str) -> Link | None:
        """The link of one record of this entity, if any."""
        return self.store.link_by_id(self.pair, self.entity, side, record_id)

    def own_record(self, side: Side, record_id: str) -> StoredRecord | None:
        """What the store knows of the record being reconciled, as its reconciling starts."""
        if self.ctx.chunk is not None:
            read, rec = self.ctx.chunk.own_record(self.entity, side, record_id)
            if read:
                return rec
        return self.record(side, record_id)

    def own_link(self, side: Side, record_id: str) -> Link | None:
        """The link of the record being reconciled, as its reconciling starts."""
        if self.ctx.chunk is not None:
            read, link = self.ctx.chunk.own_link(self.entity, side, record_id)
            if read:
                return link
        return self.link_of(side, record_id)

    def count(self, action: str, n: int = 1) -> None:
        """Count records of this entity in the run report."""
        self.ctx.report.count(self.entity, action, n)

    # -- naming -----------------------------------------------------------------------------

    def view(self, side: Side, record: dict[str, Any] | None) -> dict[str, Any]:
        """A record in merge naming (``{}`` for none)."""
        return self.proj.merge_view(side, record) or {}

    def reduce_platform(self, field: str, value: Any) -> Any:
        """What a platform keeping one element of a list field would store (its preferred)."""
        if field in self.single["platform"] and isinstance(value, list) and len(value) > 1:
            preferred = [v for v in value if isinstance(v, dict) and v.get("preferred")]
            return (preferred or value)[:1]
        return value

    def expected(self, side: Side, record: dict[str, Any]) -> dict[str, Any]:
        """What ``side`` will hold once ``record`` is written there."""
        return (
            {k: self.reduce_platform(k, v) for k, v in record.items()}
            if side == "platform"
            else record
        )

    def resolve_ref(self, entity: str, side: Side, record_id: str) -> str | None:
        """The id on the other side of a record ``record_id`` of ``side`` (linked only)."""
        if self.ctx.chunk is not None:  # a parent of the chunk's records: read with it
            read, other_id = self.ctx.chunk.parent(entity, side, record_id)
            if read:
                return other_id
        link = self.store.link_by_id(self.pair, entity, side, record_id)
        return link.id_on(other(side)) if link is not None else None

    # -- shadows ----------------------------------------------------------------------------

    def keep(
        self,
        side: Side,
        record_id: str,
        data: dict[str, Any] | None,
        link_key: str | None,
        link_id: int | None,
        rec: StoredRecord | None = None,
    ) -> None:
        """Store what a side now holds as its shadow (the change has been merged)."""
        stored = rec or StoredRecord(side, record_id, None)
        stored.data, stored.latest = data, None
        stored.link_key = link_key or stored.link_key
        stored.link_id = link_id
        self.store.put_record(self.pair, self.entity, stored)

    def hold(self, link: Link, changes: Changes, recs: dict[Side, StoredRecord | None]) -> None:
        """Out of scope: keep what was seen as ``latest``, leave the shadow alone (counted)."""
        for side, change in changes.items():
            rec = recs[side] or StoredRecord(side, change["id"], None, link_id=link.id)
            rec.latest = change["record"]
            rec.link_key = change.get("link_key") or rec.link_key
            self.store.put_record(self.pair, self.entity, rec)
            self.store.set_held(self.pair, self.entity, side, change["id"], "out_of_scope")
