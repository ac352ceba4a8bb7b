"""Reconciling staged changes: one record's walk from the inbox to journaled writes.

For each staged record the reconciler finds its link (by id, by shared code, or through
a merge made inside a system: ``links.py``), keeps a broken link broken and visible
(IS-4), applies the flow's scope (CB-1), handles deletes (G-7), matches before creating
(G-3: ``matching.py``), merges linked records three ways under the policies
(``merge.py``), and journals every write it decides as an intent (``journal.py``).
Writes are made later by ``apply.py``. Children whose parent is not synced are parked
where people see them (``held.py``). This module holds the walk, top to bottom.
"""

from __future__ import annotations

from typing import Any

from framework.engine.context import PairContext, match_keys
from framework.engine.flows import Side, other
from framework.engine.held import Parking
from framework.engine.journal import Journal
from framework.engine.links import Links
from framework.engine.matching import Match, Matcher
from framework.engine.merge import merge
from framework.engine.problems import merge_hint
from framework.engine.projection import Deferred
from framework.engine.report import Move
from framework.engine.scope import SIDES, Changes, EntityScope
from framework.models import WriteOp
from framework.state.store import InboxEntry, Link, StoredRecord


class Reconciler:
    """Turns the staged changes of one entity of one pair into links, shadows and intents."""

    def __init__(self, ctx: PairContext, entity: str):
        self.s = EntityScope(ctx, entity)
        self.ctx, self.entity, self.flow, self.store = ctx, entity, self.s.flow, ctx.store
        self.links = Links(self.s)
        self.matcher = Matcher(self.s)
        self.journal = Journal(self.s)
        self.parking = Parking(self.s)

    # -- entry point ------------------------------------------------------------------------

    def reconcile(self, entry: InboxEntry) -> set[int]:
        """Reconcile one staged record; returns the inbox entries it consumed.

        Raises:
            Deferred: the record cannot be handled yet; its entries stay staged.
        """
        side: Side = "pos" if entry.side == "pos" else "platform"
        entries = self.ctx.staged(self.entity, side, entry.id)
        if not entries:  # reconciled already (with its linked counterpart's change)
            return set()
        change = entries[-1].change
        consumed = {e.seq for e in entries}
        if change.get("problem"):
            self.ctx.quarantine(self.entity, side, entry.id, "G-5", change["problem"], change)
            return consumed
        link = self.links.find(side, change)
        # A readable change supersedes the problems this record had (never a refused write:
        # only a write of its fields covers that); if it still has one (an ambiguous
        # match), handling it below reports it again. A re-read of what was already known
        # is no change (a system without a change feed re-reads everything), and a broken
        # link's report stands until the codes agree again (IS-4).
        if self._news(side, change) and (link is None or link.status != "broken"):
            self.ctx.superseded(self.entity, side, entry.id)
        if link is None:
            link = self.links.superseding(side, change, entries)
        if link is None:
            self._unlinked(side, change, consumed)
        else:
            self._linked(link, {side: change}, consumed)
        return consumed

    def park(self, entry: InboxEntry, deferred: Deferred) -> str | None:
        """A deferred child whose parent is not linked at all is parked; returns why."""
        if deferred.parent is None:
            return None
        with self.store.savepoint():
            return self.parking.park(entry, deferred.parent)

    def _news(self, side: Side, change: dict[str, Any]) -> bool:
        """Whether a change tells anything the store does not know of that record yet."""
        rec = self.s.own_record(side, change["id"])
        return rec is None or (change["record"], change.get("link_key")) != (rec.now, rec.link_key)

    # -- linked records ---------------------------------------------------------------------

    def _linked(
        self, link: Link, changes: Changes, consumed: set[int], arrival: Side | None = None
    ) -> None:
        """Merge a linked record's sides; ``arrival``: the side a match just linked."""
        for side in SIDES:
            if side not in changes and not link.pending_on(side):
                staged = self.ctx.staged(self.entity, side, link.id_on(side))
                if staged:
                    changes[side] = staged[-1].change
                    consumed.update(e.seq for e in staged)
        if link.status != "ok" and not self.links.mended(link, changes):
            if link.status == "broken":  # IS-4: held back, counted on its open problem
                self.links.held_back(link, changes)
            else:
                self.s.count(f"skipped_{link.status}")
            return
        if self.links.broken(link, changes):
            return
        if link.link_key is None:
            link.link_key = next(
                (c["link_key"] for c in changes.values() if c.get("link_key")), None
            )
            if link.link_key:
                self.store.save_link(link)
        recs: dict[Side, StoredRecord | None] = {s: self.s.record(s, link.id_on(s)) for s in SIDES}
        for side, change in changes.items():
            if change.get("op") == "delete":
                self.journal.deleted(link, side, change)
                return
        now: dict[Side, dict[str, Any] | None] = {}
        shadow: dict[Side, dict[str, Any] | None] = {}
        for s in SIDES:
            rec = recs[s]
            now[s] = changes[s]["record"] if s in changes else (rec.now if rec else None)
            shadow[s] = rec.data if rec else None
        flags = self.journal.arrival_values(arrival, now[arrival]) if arrival else {}
        if not all(
            self.flow.in_scope(s, {**(now[s] or {}), **(flags if s == arrival else {})})
            for s in SIDES
        ):
            self.s.hold(link, changes, recs)
            self.s.count("out_of_scope")
            return
        for s in SIDES:
            rec = recs[s]
            if rec is not None and rec.latest is not None:  # held back before: no longer
                self.store.set_held(self.ctx.name, self.entity, s, rec.id, None)
        result = merge(
            self.flow,
            self.s.model,
            (self.s.view("pos", now["pos"]), self.s.proj.merge_view("pos", shadow["pos"])),
            (
                self.s.view("platform", now["platform"]),
                self.s.proj.merge_view("platform", shadow["platform"]),
            ),
            platform_view=self.s.reduce_platform,
        )
        writes = self.journal.plan(link, result, now)  # may raise Deferred: nothing stored yet
        if arrival and flags:  # CB-2: a record linked by a match is flagged for sync
            writes = self.journal.arrive(arrival, now[arrival], writes, flags)
        for target, *_ in writes:
            if link.pending_on(target) and not link.link_key:
                # Created there but not seen yet (queued): nothing can address it until it
                # shows up and is adopted; the change waits, staged.
                raise Deferred(
                    f"{self.entity} {link.pos_id}={link.platform_id} is not on "
                    f"{self.s.system(target)} yet"
                )
        for side, change in changes.items():
            self.s.keep(
                side, change["id"], change["record"], change.get("link_key"), link.id, recs[side]
            )
        actor = changes.get("platform", {}).get("actor")
        for target, full, fields, expected, rules in writes:
            why = {
                name: [d.policy, d.rule]
                for d in result.decisions
                if d.toward == target
                for name in self.s.proj.side_fields(target, [d.field])
            }
            self.journal.add(
                link,
                target,
                WriteOp.UPDATE,
                full,
                fields,
                expected,
                rules,
                actor,
                base=now[target],
                why=why,
                prior=(shadow[other(target)], now[other(target)]),
            )
        if not writes:
            unchanged = all(
                changes[s]["record"] == shadow[s] for s in changes if shadow[s] is not None
            )
            self.s.count("echo" if unchanged else "unchanged")

    def _matched_by(self, side: Side, change: dict[str, Any], other_id: str) -> str:
        """Which key a match linked by (``matched by email``), for history and plans."""
        target = other(side)
        key = change.get("link_key")
        if key and other_id in self.store.find_by_keys(
            self.ctx.name, self.entity, target, {"link_key": [key]}
        ):
            return "matched by link_key"
        keys = match_keys(self.s.model, change["record"], None, self.flow.match_on)
        for name, values in keys.items():
            if values and other_id in self.store.find_by_keys(
                self.ctx.name, self.entity, target, {name: values}
            ):
                return f"matched by {name}"
        return "matched by the connector"

    # -- unlinked records -------------------------------------------------------------------

    def _unlinked(self, side: Side, change: dict[str, Any], consumed: set[int]) -> None:
        record_id, record = change["id"], change["record"]
        if change.get("op") == "delete" or record is None:
            self.s.keep(side, record_id, None, change.get("link_key"), None)
            self.s.count("deleted_unlinked")
            return
        if not self.flow.in_scope(side, record):
            self.s.keep(side, record_id, record, change.get("link_key"), None)
            self.s.count("out_of_scope")
            return
        target = other(side)
        found = self.matcher.match(side, change)
        if apart := self.ctx.kept_apart(self.entity, side, record_id):
            # Unlinked by hand and kept apart: never matched to each other again.
            found.ids = [i for i in found.ids if i not in apart]
            found.linked = {i: v for i, v in found.linked.items() if i not in apart}
        rivals = self.matcher.rivals(side, record_id, found)
        if len(found.ids) > 1 or rivals:
            self._not_created(
                side, change, found.rule, self._ambiguous(side, change, found, rivals)
            )
            self.s.count("ambiguous")
            return
        if found.ids and not found.linked:
            self._link_to(
                side, change, found.ids[0], found.records.get(found.ids[0]), found.rule, consumed
            )
            return
        if not found.ids and not self.flow.may_create_on(target):
            self.s.keep(side, record_id, record, change.get("link_key"), None)
            self.s.count(f"not_created_on_{target}")
            return
        if (taken := self.matcher.taken(target, record)) is not None:
            system = self.s.system(target)
            reason = (
                f"{self.entity} {record_id} is not created on {system}: {system} keeps one "
                f"{self.entity} per {taken} and would merge the two into one; give them "
                "different contact details, or merge the duplicates"
            )
            self._not_created(side, change, found.rule, reason)
            self.s.count("unique_key_taken")
            return
        if found.linked:  # G-3: the same person as a record already synced: a duplicate here
            self._not_created(side, change, found.rule, self._already_linked(side, change, found))
            self.s.count("matches_linked")
            return
        link = self.journal.create(side, change)
        self.parking.release({side: change["id"], target: link.id_on(target)})

    def _not_created(self, side: Side, change: dict[str, Any], rule: str, reason: str) -> None:
        """Keep the record unlinked and report why it was neither linked nor created."""
        self.s.keep(side, change["id"], change["record"], change.get("link_key"), None)
        self.ctx.quarantine(self.entity, side, change["id"], rule, reason, change)

    def _ambiguous(
        self, side: Side, change: dict[str, Any], found: Match, rivals: list[str]
    ) -> str:
        target, record_id = other(side), change["id"]
        if rivals:
            return (
                f"ambiguous match: {self.entity} {record_id} matches {found.ids[0]} on "
                f"{self.s.system(target)}, which matches {len(rivals) + 1} records "
                f"on {self.s.system(side)} ({', '.join([record_id, *rivals][:5])}); "
                "not linked, not created"
            )
        names = ", ".join(
            f"{i} (linked to {found.linked[i]})" if i in found.linked else i for i in found.ids[:5]
        )
        return (
            f"ambiguous match: {self.entity} {record_id} matches {len(found.ids)} records on "
            f"{self.s.system(target)} ({names}); not linked, not created"
        )

    def _already_linked(self, side: Side, change: dict[str, Any], found: Match) -> str:
        target, theirs = other(side), found.ids[0]
        shown = "a record still being created" if theirs.startswith("~") else theirs
        link = self.s.link_of(target, theirs)
        survivor = link.id_on(side) if link is not None else None
        if survivor and not survivor.startswith("~"):
            how = merge_hint(self.s.pair, self.entity, side, survivor, change["id"])
        else:
            how = "merge the duplicates"
        return (
            f"{self.entity} {change['id']} matches {shown} on {self.s.system(target)}, "
            f"already linked to {found.linked[theirs]} on {self.s.system(side)}: a duplicate "
            f"on {self.s.system(side)}; not linked, not created ({how}, or give them "
            "different contact details)"
        )

    def _link_to(
        self,
        side: Side,
        change: dict[str, Any],
        other_id: str,
        found: dict[str, Any] | None,
        rule: str,
        consumed: set[int],
    ) -> None:
        """Link a new record to its match (or adopt the record we created as that match)."""
        target = other(side)
        existing = self.s.link_of(target, other_id)
        if existing is not None:  # adopt: our side's id was a placeholder
            self.ctx.links_changed()
            self.store.rename_record(
                self.ctx.name, self.entity, side, existing.id_on(side), change["id"]
            )
            self._linked(self.store.link(existing.id), {side: change}, consumed)
            return
        ids = {side: change["id"], target: other_id}
        link = self.store.add_link(
            self.ctx.name, self.entity, ids["pos"], ids["platform"], change.get("link_key")
        )
        theirs = self.s.record(target, other_id)
        if theirs is None:
            theirs = StoredRecord(target, other_id, None, latest=found)
        else:
            theirs.latest, theirs.data = theirs.now, None  # a mirror, not a shadow: first sync
        theirs.link_id = link.id
        self.store.put_record(self.ctx.name, self.entity, theirs)
        mine = StoredRecord(side, change["id"], None, change.get("link_key"), link.id)
        self.store.put_record(self.ctx.name, self.entity, mine)
        self.ctx.moved(
            Move(self.entity, f"{ids['pos']}={ids['platform']}", "both", "link", (), (rule,)),
            link,
            note=self._matched_by(side, change, other_id),
        )
        self.parking.release(ids)
        staged = self.ctx.staged(self.entity, target, other_id)
        if theirs.latest is None and not staged:
            # Found remotely without content: link only, merge on its next change.
            self.s.keep(side, change["id"], change["record"], change.get("link_key"), link.id)
            return
        # Merged now with what its side holds (stored, or staged and taken with it here).
        self._linked(link, {side: change}, consumed, arrival=target)


__all__ = ["Deferred", "Reconciler"]
