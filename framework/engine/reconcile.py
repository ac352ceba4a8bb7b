"""Reconciling staged changes: link, match, merge, and journal the writes (never make them).

For each staged record the reconciler finds its link (by id, or by the shared code),
detects a broken link (IS-4), applies the flow's scope (CB-1), handles deletes (G-7),
matches before creating (G-3), merges linked records three ways under the policies, and
journals every write it decides as an intent. Writes are made later by ``apply.py``.
"""

from __future__ import annotations

from typing import Any

from framework.engine.context import PairContext, idempotency_key, label, match_keys
from framework.engine.flows import Side, other
from framework.engine.merge import MergeResult, merge
from framework.engine.problems import merge_hint
from framework.engine.projection import Deferred, Projection, apply_values
from framework.engine.report import Move
from framework.models import MatchQuery, WriteOp, WriteRequest
from framework.models.base import CanonicalRecord, entity_model
from framework.state.store import InboxEntry, Link, StoredRecord

Changes = dict[Side, dict[str, Any]]
SIDES: tuple[Side, Side] = ("pos", "platform")
Write = tuple[Side, dict[str, Any], list[str], dict[str, Any], list[str]]


class Reconciler:
    """Turns the staged changes of one entity of one pair into links, shadows and intents."""

    def __init__(self, ctx: PairContext, entity: str):
        self.ctx = ctx
        self.entity = entity
        self.flow = ctx.flow(entity)
        self.model = entity_model(entity)
        self.store = ctx.store
        self.proj = Projection(self.flow, self.model, self._resolve_ref)
        self.single = {s: set(ctx.support(s, entity).single_valued) for s in ("pos", "platform")}
        # Sides holding creates not yet seen (202): only their new records are fingerprinted.
        # Creates made in this pass cannot show up in it: its changes were fetched before.
        self.awaited = {s for s in SIDES if self.store.has_keys(ctx.name, entity, s, "created")}
        self.joint = {s: ctx.support(s, entity).joint_fields for s in ("pos", "platform")}

    # -- entry point ------------------------------------------------------------------------

    def reconcile(self, entry: InboxEntry) -> set[int]:
        """Reconcile one staged record; returns the inbox entries it consumed.

        Raises:
            Deferred: the record cannot be handled yet; its entries stay staged.
        """
        side: Side = "pos" if entry.side == "pos" else "platform"
        entries = self.store.inbox_for(self.ctx.name, self.entity, side, entry.id)
        change = entries[-1].change
        consumed = {e.seq for e in entries}
        if change.get("problem"):
            self.ctx.quarantine(self.entity, side, entry.id, "G-5", change["problem"], change)
            return consumed
        link = self._find_link(side, change)
        # A readable change supersedes the problems this record had (never a refused write:
        # only a write of its fields covers that); if it still has one (an ambiguous
        # match), handling it below reports it again. A re-read of what was already known
        # is no change (a system without a change feed re-reads everything), and a broken
        # link's report stands until the codes agree again (IS-4).
        if self._news(side, change) and (link is None or link.status != "broken"):
            self.ctx.superseded(self.entity, side, entry.id)
        if link is None:
            link = self._superseding(side, change, entries)
        if link is None:
            self._unlinked(side, change, consumed)
        else:
            self._linked(link, {side: change}, consumed)
        return consumed

    def _news(self, side: Side, change: dict[str, Any]) -> bool:
        """Whether a change tells anything the store does not know of that record yet."""
        rec = self.store.record(self.ctx.name, self.entity, side, change["id"])
        return rec is None or (change["record"], change.get("link_key")) != (rec.now, rec.link_key)

    # -- links ------------------------------------------------------------------------------

    def _find_link(self, side: Side, change: dict[str, Any]) -> Link | None:
        link = self.store.link_by_id(self.ctx.name, self.entity, side, change["id"])
        key = change.get("link_key")
        if link is not None or not key:
            return link
        link = self.store.link_by_key(self.ctx.name, self.entity, key)
        if link is not None and link.pending_on(side):
            # The system assigned the id of a record we created earlier (Edge import, 202).
            self.store.rename_record(
                self.ctx.name, self.entity, side, link.id_on(side), change["id"]
            )
            return self.store.link(link.id)
        return None

    def _superseding(
        self, side: Side, change: dict[str, Any], entries: list[InboxEntry]
    ) -> Link | None:
        """A record the system made by merging others takes over their link (no duplicate).

        The first live link among the superseded ids moves to the new id; any other link
        of theirs is marked ``superseded`` and reported (its counterpart on the other side
        is a duplicate there now), never silently dropped.
        """
        old_ids = list(dict.fromkeys(i for e in entries for i in e.change.get("supersedes") or []))
        links = [
            found
            for i in old_ids
            if i != change["id"]
            and (found := self.store.link_by_id(self.ctx.name, self.entity, side, i)) is not None
        ]
        if not links:
            return None
        keep = next((lnk for lnk in links if lnk.status == "ok"), links[0])
        self.store.rename_record(self.ctx.name, self.entity, side, keep.id_on(side), change["id"])
        link = self.store.link(keep.id)
        if link.status == f"deleted_on_{side}":  # that delete was the merge's: undo the unlink
            link.status = "ok"
            self.store.save_link(link)
        there = other(side)
        self.ctx.moved(
            Move(
                self.entity,
                label(link.pos_id, link.platform_id),
                "both",
                "relink",
                (),
                (self.flow.match_rule,),
            )
        )
        for dropped in links:
            if dropped.id == keep.id:
                continue
            dropped.status = "superseded"
            self.store.save_link(dropped)
            reason = (
                f"{self.ctx.systems[side].name} merged {', '.join(old_ids)} into {change['id']}; "
                f"{self.entity} {dropped.id_on(there)} on {self.ctx.systems[there].name} was "
                f"linked to {dropped.id_on(side)} and is no longer synced: it duplicates "
                f"{link.id_on(there)} there ("
                + merge_hint(
                    self.ctx.name, self.entity, there, link.id_on(there), dropped.id_on(there)
                )
                + ")"
            )
            self.ctx.quarantine(self.entity, there, dropped.id_on(there), "G-7", reason, None)
        return link

    def _broken(self, link: Link, changes: Changes) -> bool:
        """IS-4: the shared code changed on one side only -> the link is broken, reported."""
        for side, change in changes.items():
            key = change.get("link_key")
            if not key or link.link_key is None or key == link.link_key:
                continue
            other_now = changes.get(other(side)) or self._stored(other(side), link)
            other_key = other_now.get("link_key") if other_now else None
            if other_key == key:
                link.link_key = key  # changed on both sides alike: still one customer
                self.store.save_link(link)
                continue
            link.status = "broken"
            self.store.save_link(link)
            reason = (
                f"link broken: the shared code of {link.pos_id} / {link.platform_id} changed "
                f"on {self.ctx.systems[side].name} from {link.link_key!r} to {key!r}; "
                "this record is no longer updated until the codes agree again"
            )
            rule = self.flow.link_rule or self.flow.match_rule
            self.ctx.quarantine(self.entity, side, change["id"], rule, reason, change)
            self.ctx.report.count(self.entity, "broken_link")
            return True
        return False

    def _mended(self, link: Link, changes: Changes) -> bool:
        """IS-4: a broken link whose sides share one code again is a link again."""
        if link.status != "broken":
            return False
        keys = set()
        for side in SIDES:
            now = changes.get(side) or self._stored(side, link)
            keys.add(now.get("link_key") if now else None)
        if len(keys) != 1 or None in keys:
            return False
        link.status, link.link_key = "ok", keys.pop()
        self.store.save_link(link)
        for side in SIDES:
            self.ctx.superseded(self.entity, side, link.id_on(side))
        self.ctx.moved(
            Move(
                self.entity,
                label(link.pos_id, link.platform_id),
                "both",
                "relink",
                (),
                (self.flow.link_rule or self.flow.match_rule,),
            )
        )
        return True

    def _stored(self, side: Side, link: Link) -> dict[str, Any] | None:
        rec = self.store.record(self.ctx.name, self.entity, side, link.id_on(side))
        return {"link_key": rec.link_key} if rec else None

    # -- linked records ---------------------------------------------------------------------

    def _linked(self, link: Link, changes: Changes, consumed: set[int]) -> None:
        for side in SIDES:
            if side not in changes and not link.pending_on(side):
                staged = self.store.inbox_for(self.ctx.name, self.entity, side, link.id_on(side))
                if staged:
                    changes[side] = staged[-1].change
                    consumed.update(e.seq for e in staged)
        if link.status != "ok" and not self._mended(link, changes):
            self.ctx.report.count(self.entity, f"skipped_{link.status}")
            return
        if self._broken(link, changes):
            return
        if link.link_key is None:
            link.link_key = next(
                (c["link_key"] for c in changes.values() if c.get("link_key")), None
            )
            if link.link_key:
                self.store.save_link(link)
        recs: dict[Side, StoredRecord | None] = {
            s: self.store.record(self.ctx.name, self.entity, s, link.id_on(s)) for s in SIDES
        }
        for side, change in changes.items():
            if change.get("op") == "delete":
                self._deleted(link, side, change)
                return
        now: dict[Side, dict[str, Any] | None] = {}
        shadow: dict[Side, dict[str, Any] | None] = {}
        for s in SIDES:
            rec = recs[s]
            now[s] = changes[s]["record"] if s in changes else (rec.now if rec else None)
            shadow[s] = rec.data if rec else None
        if not all(self.flow.in_scope(s, now[s] or {}) for s in ("pos", "platform")):
            self._hold(link, changes, recs)
            self.ctx.report.count(self.entity, "out_of_scope")
            return
        result = merge(
            self.flow,
            self.model,
            (self._view("pos", now["pos"]), self.proj.merge_view("pos", shadow["pos"])),
            (
                self._view("platform", now["platform"]),
                self.proj.merge_view("platform", shadow["platform"]),
            ),
            platform_view=self._reduce_platform,
        )
        writes = self._plan_writes(link, result, now)  # may raise Deferred: nothing stored yet
        for target, *_ in writes:
            if link.pending_on(target) and not link.link_key:
                # Created there but not seen yet (queued): nothing can address it until it
                # shows up and is adopted; the change waits, staged.
                raise Deferred(
                    f"{self.entity} {label(link.pos_id, link.platform_id)} is not on "
                    f"{self.ctx.systems[target].name} yet"
                )
        for side, change in changes.items():
            self._keep(
                side, change["id"], change["record"], change.get("link_key"), link.id, recs[side]
            )
        actor = changes.get("platform", {}).get("actor")
        for target, full, fields, expected, rules in writes:
            self._journal(
                link, target, WriteOp.UPDATE, full, fields, expected, rules, actor, base=now[target]
            )
        if not writes:
            unchanged = all(
                changes[s]["record"] == shadow[s] for s in changes if shadow[s] is not None
            )
            self.ctx.report.count(self.entity, "echo" if unchanged else "unchanged")

    def _view(self, side: Side, record: dict[str, Any] | None) -> dict[str, Any]:
        return self.proj.merge_view(side, record) or {}

    def _reduce_platform(self, field: str, value: Any) -> Any:
        """What a platform keeping one element of a list field would store (its preferred)."""
        if field in self.single["platform"] and isinstance(value, list) and len(value) > 1:
            preferred = [v for v in value if isinstance(v, dict) and v.get("preferred")]
            return (preferred or value)[:1]
        return value

    def _expected(self, side: Side, record: dict[str, Any]) -> dict[str, Any]:
        return (
            {k: self._reduce_platform(k, v) for k, v in record.items()}
            if side == "platform"
            else record
        )

    def _plan_writes(
        self, link: Link, result: MergeResult, now: dict[Side, dict[str, Any] | None]
    ) -> list[Write]:
        writes: list[Write] = []
        targets: tuple[Side, Side] = ("platform", "pos")
        for target in targets:
            if not result.writes(target):
                continue
            values = result.to_platform if target == "platform" else result.to_pos
            fields = result.platform_fields if target == "platform" else result.pos_fields
            values, fields = self._joint(target, values, fields, now)
            full = apply_values(now[target] or {}, self.proj.side_view(target, values))
            rules = sorted({d.rule for d in result.decisions if d.toward == target and d.rule})
            writes.append(
                (
                    target,
                    full,
                    self.proj.side_fields(target, fields),
                    self._expected(target, full),
                    rules,
                )
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
        source = other(target)
        view = self._view(source, now[source])
        values, fields = dict(values), list(fields)
        for group in self.joint[target]:
            if not set(group) & set(fields):
                continue
            for name in group:
                if (
                    name not in values
                    and name in self.flow.fields
                    and self.flow.field_direction(name).allows(source)
                ):
                    values[name] = view.get(name)
                    fields.append(name)
        return values, fields

    def _hold(self, link: Link, changes: Changes, recs: dict[Side, StoredRecord | None]) -> None:
        """Out of scope: keep what was seen as ``latest``, leave the shadow alone."""
        for side, change in changes.items():
            rec = recs[side] or StoredRecord(side, change["id"], None, link_id=link.id)
            rec.latest = change["record"]
            rec.link_key = change.get("link_key") or rec.link_key
            self.store.put_record(self.ctx.name, self.entity, rec)

    def _keep(
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
        self.store.put_record(self.ctx.name, self.entity, stored)

    # -- deletes ----------------------------------------------------------------------------

    def _deleted(self, link: Link, side: Side, change: dict[str, Any]) -> None:
        """G-7: a delete propagates only where the flow says; otherwise it unlinks, reported."""
        target = other(side)
        if self.flow.deletes == "propagate" and self.flow.direction.allows(side):
            rules = ["G-7", self.flow.rule] if self.flow.rule else ["G-7"]
            self._journal(link, target, WriteOp.DELETE, None, [], None, rules, change.get("actor"))
            return
        link.status = f"deleted_on_{side}"
        self.store.save_link(link)
        self.ctx.moved(Move(self.entity, link.id_on(side), target, "unlink", (), ("G-7",)))

    # -- unlinked records -------------------------------------------------------------------

    def _unlinked(self, side: Side, change: dict[str, Any], consumed: set[int]) -> None:
        record_id, record = change["id"], change["record"]
        if change.get("op") == "delete" or record is None:
            self._keep(side, record_id, None, change.get("link_key"), None)
            self.ctx.report.count(self.entity, "deleted_unlinked")
            return
        if not self.flow.in_scope(side, record):
            self._keep(side, record_id, record, change.get("link_key"), None)
            self.ctx.report.count(self.entity, "out_of_scope")
            return
        target = other(side)
        ids, records, by_code = self._match(side, change)
        rule = self.flow.match_rule  # the pair's own rule (IS-3 in F/K-IdoSell, G-3 elsewhere)
        rivals = [] if by_code else self._rivals(side, record_id, ids, records)
        if len(ids) > 1 or rivals:
            self._keep(side, record_id, record, change.get("link_key"), None)
            names = ", ".join(ids[:5])
            reason = (
                f"ambiguous match: {self.entity} {record_id} matches {len(ids)} records on "
                f"{self.ctx.systems[target].name} ({names}); not linked, not created"
            )
            if rivals:
                reason = (
                    f"ambiguous match: {self.entity} {record_id} matches {ids[0]} on "
                    f"{self.ctx.systems[target].name}, which matches {len(rivals) + 1} records "
                    f"on {self.ctx.systems[side].name} ({', '.join([record_id, *rivals][:5])}); "
                    "not linked, not created"
                )
            self.ctx.quarantine(self.entity, side, record_id, rule, reason, change)
            self.ctx.report.count(self.entity, "ambiguous")
            return
        if ids:
            self._link_to(side, change, ids[0], records.get(ids[0]), rule, consumed)
            return
        if not self.flow.may_create_on(target):
            self._keep(side, record_id, record, change.get("link_key"), None)
            self.ctx.report.count(self.entity, f"not_created_on_{target}")
            return
        if (taken := self._taken(target, record)) is not None:
            self._keep(side, record_id, record, change.get("link_key"), None)
            system = self.ctx.systems[target].name
            reason = (
                f"{self.entity} {record_id} is not created on {system}: {system} keeps one "
                f"{self.entity} per {taken} and would merge the two into one; give them "
                "different contact details, or merge the duplicates"
            )
            self.ctx.quarantine(self.entity, side, record_id, rule, reason, change)
            self.ctx.report.count(self.entity, "unique_key_taken")
            return
        self._create(side, change)

    def _match(
        self, side: Side, change: dict[str, Any]
    ) -> tuple[list[str], dict[str, dict[str, Any]], bool]:
        """G-3 / IS-3: ids on the other side this record should link to.

        Also says whether they were found by the shared code (no rival check then).
        """
        target = other(side)
        key = change.get("link_key")
        if key:
            ids = self.store.find_by_keys(self.ctx.name, self.entity, target, {"link_key": [key]})
            usable = [i for i in ids if self._free(target, i)]
            if usable:
                return usable, {}, True
        mine = self._created_here(side, change["record"])
        if mine is not None:
            return [mine], {}, False
        record = self.model.model_validate(change["record"])
        keys = match_keys(self.model, record, None, self.flow.match_on)
        if not any(keys.values()):
            keys = {}
        local = self.store.find_by_keys(self.ctx.name, self.entity, target, keys) if keys else []
        adoptable = [i for i in local if self._adoptable(target, i, side)]
        if adoptable:
            return adoptable, {}, False
        candidates = [i for i in local if self._free(target, i)]
        query = MatchQuery(
            entity=self.entity,
            record=record,
            keys=keys,
            candidates=candidates,
        )
        system = self.ctx.systems[target]
        result = self.ctx.retrying(
            target, "matching on", lambda: self.ctx.hooks.match_record(system, query)
        )
        found = {k: v.model_dump(mode="json") for k, v in result.records.items()}
        adopt = [i for i in result.ids if self._adoptable(target, i, side)]
        if adopt:
            return adopt, found, False
        return [i for i in result.ids if self._free(target, i)], found, False

    def _rivals(
        self,
        side: Side,
        record_id: str,
        ids: list[str],
        records: dict[str, dict[str, Any]],
    ) -> list[str]:
        """G-3 both ways: other unlinked records of ``side`` the one candidate matches too.

        A record matching one record opposite is no sure match when that record matches
        several here (the same person entered twice, SQ-2): linking it to whichever came
        first would be a guess, and the others would then be copied as duplicates.
        """
        if len(ids) != 1 or not self.flow.match_on:
            return []
        target = other(side)
        if not self._free(target, ids[0]):
            return []  # adopting a record we created (a placeholder's), not matching
        rec = self.store.record(self.ctx.name, self.entity, target, ids[0])
        staged = self.store.inbox_for(self.ctx.name, self.entity, target, ids[0])
        content = (
            (staged[-1].change.get("record") if staged else None)
            or (rec.now if rec is not None else None)
            or records.get(ids[0])
        )
        if content is None:
            return []
        keys = match_keys(self.model, content, None, self.flow.match_on)
        if not any(keys.values()):
            return []
        found = self.store.find_by_keys(self.ctx.name, self.entity, side, keys)
        return [i for i in found if i != record_id and self._free(side, i)]

    def _created_here(self, side: Side, record: dict[str, Any]) -> str | None:
        """The record on the other side whose create this is, if the engine made it here.

        A create a system queued (202, no id) is linked to a placeholder until the record
        shows up; it is recognised by the fingerprint of what was sent, which needs no
        match key (G-2, G-6: no duplicate of a record still on its way).
        """
        if side not in self.awaited:
            return None
        fingerprint = {"created": [self.proj.fingerprint(side, record)]}
        for placeholder in self.store.find_by_keys(self.ctx.name, self.entity, side, fingerprint):
            link = self.store.link_by_id(self.ctx.name, self.entity, side, placeholder)
            if link is not None and link.status == "ok" and link.pending_on(side):
                return link.id_on(other(side))
        return None

    def _taken(self, target: Side, record: dict[str, Any]) -> str | None:
        """A key the target holds one record per that a linked record already holds, if any."""
        unique = [
            k
            for k in self.ctx.support(target, self.entity).unique_keys
            if k in self.flow.indexed_keys
        ]
        if not unique:
            return None
        held = self._expected(target, record)  # what the target would hold: its keys
        for name, values in match_keys(self.model, held, None, unique).items():
            for value in values:
                for other_id in self.store.find_by_keys(
                    self.ctx.name, self.entity, target, {name: [value]}
                ):
                    link = self.store.link_by_id(self.ctx.name, self.entity, target, other_id)
                    if link is not None and link.status == "ok":
                        return f"{name} ({value} is {label(link.pos_id, link.platform_id)}'s)"
        return None

    def _free(self, side: Side, record_id: str) -> bool:
        return self.store.link_by_id(self.ctx.name, self.entity, side, record_id) is None

    def _adoptable(self, side: Side, record_id: str, pending_side: Side) -> bool:
        """A candidate linked to a placeholder on our side is the record we created, now seen."""
        link = self.store.link_by_id(self.ctx.name, self.entity, side, record_id)
        return link is not None and link.status == "ok" and link.pending_on(pending_side)

    def _link_to(
        self,
        side: Side,
        change: dict[str, Any],
        other_id: str,
        found: dict[str, Any] | None,
        rule: str,
        consumed: set[int],
    ) -> None:
        target = other(side)
        existing = self.store.link_by_id(self.ctx.name, self.entity, target, other_id)
        if existing is not None:  # adopt: our side's id was a placeholder
            self.store.rename_record(
                self.ctx.name, self.entity, side, existing.id_on(side), change["id"]
            )
            self._linked(self.store.link(existing.id), {side: change}, consumed)
            return
        ids = {side: change["id"], target: other_id}
        link = self.store.add_link(
            self.ctx.name, self.entity, ids["pos"], ids["platform"], change.get("link_key")
        )
        theirs = self.store.record(self.ctx.name, self.entity, target, other_id)
        if theirs is None:
            theirs = StoredRecord(target, other_id, None, latest=found)
        else:
            theirs.latest, theirs.data = theirs.now, None  # a mirror, not a shadow: first sync
        theirs.link_id = link.id
        self.store.put_record(self.ctx.name, self.entity, theirs)
        mine = StoredRecord(side, change["id"], None, change.get("link_key"), link.id)
        self.store.put_record(self.ctx.name, self.entity, mine)
        self.ctx.moved(
            Move(self.entity, f"{ids['pos']}={ids['platform']}", "both", "link", (), (rule,))
        )
        if theirs.latest is None:  # found remotely without content: link only, merge on change
            self._keep(side, change["id"], change["record"], change.get("link_key"), link.id)
            return
        self._linked(link, {side: change}, consumed)

    def _create(self, side: Side, change: dict[str, Any]) -> None:
        """Create the record on the other side (journaled), linked through a placeholder id."""
        target = other(side)
        values = self.proj.side_view(target, self.proj.create_values(side, change["record"]))
        values.update(self.flow.on_create_pos if target == "pos" else self.flow.on_create_platform)
        instance = self.model.model_validate(values)  # a record the target cannot hold fails here
        placeholder = "~" + idempotency_key(self.ctx.name, self.entity)
        ids = {side: change["id"], target: placeholder}
        link = self.store.add_link(
            self.ctx.name, self.entity, ids["pos"], ids["platform"], change.get("link_key")
        )
        self._keep(side, change["id"], change["record"], change.get("link_key"), link.id)
        expected = self._expected(target, values)
        self.store.put_record(
            self.ctx.name, self.entity, StoredRecord(target, placeholder, expected, None, link.id)
        )
        # Indexed at once: a record of the same chunk that shares a key sees this one.
        keys = match_keys(self.model, expected, None, self.flow.indexed_keys)
        self.store.index_keys(self.ctx.name, self.entity, target, placeholder, keys)
        rules = [self.flow.create_rules.get(target) or self.flow.rule or "G-1"]
        self._journal(
            link,
            target,
            WriteOp.CREATE,
            instance,
            list(values),
            expected,
            rules,
            change.get("actor"),
        )

    # -- journal ----------------------------------------------------------------------------

    def _journal(
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
    ) -> None:
        associate = self.ctx.associate_for(actor) if target == "pos" else None
        target_id = None if op is WriteOp.CREATE or link.pending_on(target) else link.id_on(target)
        request = WriteRequest(
            entity=self.entity,
            op=op,
            target_id=target_id,
            link_key=link.link_key,
            record=record if not isinstance(record, dict) else self.model.model_validate(record),
            fields=fields,
            associate=associate,
            idempotency_key=idempotency_key(self.ctx.name, self.entity),
            base=self.model.model_validate(base) if base is not None else None,
        )
        source = {"rules": rules, "label": label(link.pos_id, link.platform_id)}
        self.store.add_intent(
            self.ctx.name,
            self.entity,
            target,
            link.id,
            request.model_dump(mode="json"),
            expected,
            source,
        )

    # -- references -------------------------------------------------------------------------

    def _resolve_ref(self, entity: str, side: Side, record_id: str) -> str | None:
        link = self.store.link_by_id(self.ctx.name, entity, side, record_id)
        return link.id_on(other(side)) if link is not None else None


__all__ = ["Deferred", "Reconciler"]
