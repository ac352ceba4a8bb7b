"""Children whose parent is not synced: parked where people see them, released with it.

A wish, note or sale refers to its customer; it is written only once the customer is on
the target (``Deferred``). While the customer's create is on its way, the child waits in
the inbox, staged, and goes with a later run. When the customer is not linked at all
(out of scope under "selected customers", CB-1; quarantined; not created by a switch),
it may never come: the child is then **parked**, out of the inbox, counted by reason in
the run report (``parked.<reason>``) and in ``syncwright status`` (``held back``), and
staged again the moment its customer gets linked. Nothing waits in the inbox forever.
"""

from __future__ import annotations

from typing import Any

from framework.engine.flows import Side
from framework.engine.scope import SIDES, EntityScope
from framework.models.base import entity_model
from framework.state.store import InboxEntry, StateStore, StoredRecord

REASONS = {
    "out_of_scope": "linked, changed, out of scope now (the flow's filter holds them)",
    "broken_link": "behind a broken link (IS-4, see problems)",
    "parent_out_of_scope": "waiting for a parent out of scope (CB-1: not selected)",
    "parent_has_problem": "waiting for a parent that is quarantined (see problems)",
    "parent_not_synced": "waiting for a parent not synced (not created, or unknown)",
}
"""Why a record is held back, as ``syncwright status`` says it."""


def held_back(store: StateStore, pair: str) -> list[str]:
    """What a pair holds back now, one line per entity and reason (``syncwright status``)."""
    return [
        f"{n} {entity} record(s) {REASONS.get(reason, reason)}"
        for entity, reason, n in store.held_counts(pair)
    ]


def waits_for(parent_entity: str, parent_id: str) -> str:
    """The key a child parked for a parent is found by when that parent is linked."""
    return f"{parent_entity}:{parent_id}"


class Parking:
    """Parks children whose parent is not linked, and releases them when it is."""

    def __init__(self, scope: EntityScope):
        self.s = scope
        self._waiting: set[tuple[str, Side]] | None = None

    def _children_waiting(self) -> set[tuple[str, Side]]:
        """The child entities and sides holding any parked record (looked up once a run).

        Children's flows run after their parents', so none is parked for this entity
        while it is reconciled: one look-up per run spares one per record linked.
        """
        if self._waiting is None:
            s = self.s
            self._waiting = {
                (child, side)
                for child in s.ctx.pair.flows
                if s.entity in entity_model(child).ref_fields().values()
                for side in SIDES
                if s.store.has_keys(s.pair, child, side, "waits_for")
            }
        return self._waiting

    def park(self, entry: InboxEntry, parent: tuple[str, Side, str]) -> str | None:
        """Park a deferred child whose parent is not linked; returns why (``None``: it waits).

        A parent with staged changes is on its way (reconciled later this run or next):
        the child stays staged.
        """
        s = self.s
        entity, side, parent_id = parent
        if s.store.inbox_for(s.pair, entity, side, parent_id):
            return None
        reason = self._why(entity, side, parent_id)
        child_side: Side = "pos" if entry.side == "pos" else "platform"
        entries = s.store.inbox_for(s.pair, s.entity, child_side, entry.id)
        change = entries[-1].change if entries else entry.change
        rec = s.record(child_side, entry.id) or StoredRecord(child_side, entry.id, None)
        rec.latest = change.get("record")
        rec.link_key = change.get("link_key") or rec.link_key
        s.store.put_record(s.pair, s.entity, rec)
        s.store.set_held(
            s.pair, s.entity, child_side, entry.id, reason, waits_for(entity, parent_id)
        )
        s.ctx.staging_changed(s.entity, child_side, entry.id)
        s.store.inbox_done([e.seq for e in entries])
        s.count(f"parked.{reason}")
        return reason

    def _why(self, entity: str, side: Side, parent_id: str) -> str:
        s = self.s
        if s.store.problems_of(s.pair, entity, side, parent_id):
            return "parent_has_problem"
        rec = s.store.record(s.pair, entity, side, parent_id)
        flow = s.ctx.pair.flows.get(entity)
        if rec is not None and rec.now is not None and flow and not flow.in_scope(side, rec.now):
            return "parent_out_of_scope"
        return "parent_not_synced"

    def release(self, ids: dict[Side, str]) -> int:
        """Stage again the children parked for a record of this entity just linked.

        They are reconciled with their flow, later in this run (children's flows run after
        their parents'). Returns how many were staged.
        """
        s = self.s
        staged = 0
        for child, side in self._children_waiting():
            record_id = ids.get(side)
            if record_id is None or record_id.startswith("~"):
                continue
            for child_id in s.store.held_for(s.pair, child, side, waits_for(s.entity, record_id)):
                rec = s.store.record(s.pair, child, side, child_id)
                if rec is None or rec.latest is None:
                    continue
                change: dict[str, Any] = {
                    "entity": child,
                    "id": child_id,
                    "op": "upsert",
                    "record": rec.latest,
                    "link_key": rec.link_key,
                }
                s.store.set_held(s.pair, child, side, child_id, None)
                s.ctx.staging_changed(child, side, child_id)
                s.store.restage(s.pair, child, side, change)
                s.ctx.report.count(child, "released")
                staged += 1
        return staged
