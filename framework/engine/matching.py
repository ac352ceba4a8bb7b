"""Match before create (G-3, IS-3): which record on the other side a new record is.

Candidates come from the shared code (IS-3), the fingerprint of a create still on its way,
the key index of records already seen, and the target connector's ``match_record``. A
candidate linked to a record the engine created (a placeholder on our side) is that
record, seen at last: adopted. Every other candidate counts, linked or not: one free
candidate is linked; one already linked to another record, or several, is reported and
nothing is created (a second customer with the same e-mail is never made silently).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from framework.engine.context import label, match_keys
from framework.engine.flows import Side, other
from framework.engine.scope import SIDES, EntityScope
from framework.models import CanonicalRecord, MatchQuery


@dataclass
class Match:
    """What matching found on the target side for one new record.

    ``ids``: the candidates (adopted, or free, or linked); ``linked``: of those, the ones
    already linked to another record, each with the id it is linked to on our side;
    ``records``: contents the connector returned; ``rule``: the rule that matched;
    ``by_code``: found by the shared code (IS-3), so no rival is looked for.
    """

    ids: list[str]
    rule: str
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    linked: dict[str, str] = field(default_factory=dict)
    adopt: bool = False
    by_code: bool = False


class Matcher:
    """Finds the counterpart of a new record (see the module docstring)."""

    def __init__(self, scope: EntityScope):
        self.s = scope
        # Sides holding creates not yet seen (202): only their new records are fingerprinted.
        # Creates made in this pass cannot show up in it: its changes were fetched before.
        self.awaited = {
            side
            for side in SIDES
            if scope.store.has_keys(scope.pair, scope.entity, side, "created")
        }

    def match(self, side: Side, change: dict[str, Any]) -> Match:
        """G-3 / IS-3: the records on the other side this record is, or may be."""
        s = self.s
        target = other(side)
        key = change.get("link_key")
        if key:
            ids = self.find(target, {"link_key": [key]})
            found = self._sorted(target, side, ids, s.flow.match_rule)
            found.by_code = True
            if found.ids:
                return found
        mine = self._created_here(side, change["record"])
        if mine is not None:
            return Match([mine], s.flow.match_rule, adopt=True)
        record = self.record(side, change)
        keys = match_keys(s.model, record, None, s.flow.match_on)
        if not any(keys.values()):
            keys = {}
        local = self.find(target, keys) if keys else []
        here = self._sorted(target, side, local, s.flow.match_rule)
        if here.adopt:
            return here
        query = MatchQuery(
            entity=s.entity,
            record=record,
            keys=keys,
            candidates=[i for i in local if i not in here.linked],
        )
        system = s.ctx.systems[target]
        result = s.ctx.retrying(
            target, "matching on", lambda: s.ctx.hooks.match_record(system, query)
        )
        # The connector answers for the free candidates (it may know one is no match);
        # the linked ones stay candidates: a record already linked is still the same person.
        found = self._sorted(target, side, [*here.linked, *result.ids], s.flow.match_rule)
        found.records = {k: v.model_dump(mode="json") for k, v in result.records.items()}
        return found

    def record(self, side: Side, change: dict[str, Any]) -> CanonicalRecord:
        """The staged change's record, validated."""
        record: CanonicalRecord = self.s.model.model_validate(change["record"])
        return record

    def find(self, target: Side, keys: dict[str, list[str]]) -> list[str]:
        """Ids of records on ``target`` sharing any of ``keys`` (the key index, G-3)."""
        return self.s.store.find_by_keys(self.s.pair, self.s.entity, target, keys)

    def _sorted(self, target: Side, side: Side, ids: list[str], rule: str) -> Match:
        """Candidates sorted out: an adoptable one wins; else every one, linked or free.

        A record whose link is broken, or whose counterpart was deleted or merged away, is
        still the person the new record names: a candidate, reported with that status.
        Only a link gone on both sides (``deleted``) holds nothing left to duplicate.
        """
        adopt = [i for i in dict.fromkeys(ids) if self.adoptable(target, i, side)]
        if adopt:
            return Match(adopt, rule, adopt=True)
        found = Match([], rule)
        for i in dict.fromkeys(ids):
            link = self.s.link_of(target, i)
            if link is None:
                found.ids.append(i)
            elif link.status != "deleted":  # gone on both sides: nothing left to duplicate
                found.ids.append(i)
                mine = "a record being created" if link.pending_on(side) else link.id_on(side)
                found.linked[i] = mine if link.status == "ok" else f"{mine} ({link.status})"
        return found

    def rivals(self, side: Side, record_id: str, found: Match) -> list[str]:
        """G-3 both ways: other unlinked records of ``side`` the one candidate matches too.

        A record matching one record opposite is no sure match when that record matches
        several here (the same person entered twice, SQ-2): linking it to whichever came
        first would be a guess, and the others would then be copied as duplicates.
        """
        s = self.s
        if len(found.ids) != 1 or found.linked or found.by_code or not s.flow.match_on:
            return []
        target = other(side)
        if not self.free(target, found.ids[0]):
            return []  # adopting a record we created (a placeholder's), not matching
        rec = s.record(target, found.ids[0])
        staged = s.store.inbox_for(s.pair, s.entity, target, found.ids[0])
        content = (
            (staged[-1].change.get("record") if staged else None)
            or (rec.now if rec is not None else None)
            or found.records.get(found.ids[0])
        )
        if content is None:
            return []
        keys = match_keys(s.model, content, None, s.flow.match_on)
        if not any(keys.values()):
            return []
        here = s.store.find_by_keys(s.pair, s.entity, side, keys)
        return [i for i in here if i != record_id and self.free(side, i)]

    def _created_here(self, side: Side, record: dict[str, Any]) -> str | None:
        """The record on the other side whose create this is, if the engine made it here.

        A create a system queued (202, no id) is linked to a placeholder until the record
        shows up; it is recognised by the fingerprint of what was sent, which needs no
        match key (G-2, G-6: no duplicate of a record still on its way).
        """
        s = self.s
        if side not in self.awaited:
            return None
        fingerprint = {"created": [s.proj.fingerprint(side, record)]}
        for placeholder in s.store.find_by_keys(s.pair, s.entity, side, fingerprint):
            link = s.link_of(side, placeholder)
            if link is not None and link.status == "ok" and link.pending_on(side):
                return link.id_on(other(side))
        return None

    def taken(self, target: Side, record: dict[str, Any]) -> str | None:
        """A key the target holds one record per that a linked record already holds, if any."""
        s = self.s
        unique = [
            k for k in s.ctx.support(target, s.entity).unique_keys if k in s.flow.indexed_keys
        ]
        if not unique:
            return None
        held = s.expected(target, record)  # what the target would hold: its keys
        for name, values in match_keys(s.model, held, None, unique).items():
            for value in values:
                for other_id in s.store.find_by_keys(s.pair, s.entity, target, {name: [value]}):
                    link = s.link_of(target, other_id)
                    if link is not None and link.status == "ok":
                        return f"{name} ({value} is {label(link.pos_id, link.platform_id)}'s)"
        return None

    def free(self, side: Side, record_id: str) -> bool:
        """Whether a record is linked to nothing."""
        return self.s.link_of(side, record_id) is None

    def adoptable(self, side: Side, record_id: str, pending_side: Side) -> bool:
        """A candidate linked to a placeholder on our side is the record we created, now seen."""
        link = self.s.link_of(side, record_id)
        return link is not None and link.status == "ok" and link.pending_on(pending_side)
