"""Duplicates within one system (SQ-2): found from the key index, merged only when asked.

A duplicate candidate group is records on one side of a pair that share a normalised key
(e-mail, phone: the flow's ``duplicate_keys``, else its ``match_on``), joined transitively.
Nothing here runs during a sync: the report is read by ``syncwright duplicates`` and a merge
happens only through ``syncwright duplicates merge``, which asks the system to merge
(``merge_records``), moves the links, and records what was done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from framework.engine.engine import Engine
from framework.engine.flows import Side, other
from framework.engine.problems import merge_hint
from framework.errors import SyncwrightError
from framework.models import MergeRequest
from framework.models.base import entity_model
from framework.state.store import HistoryEntry, Link, MergeRecord, StateStore, StoredRecord

SIDES: tuple[Side, Side] = ("pos", "platform")


@dataclass
class Candidate:
    """One record of a duplicate group: its id, how it reads, and what it is linked to."""

    id: str
    name: str
    emails: list[str]
    phones: list[str]
    linked_to: str | None = None
    link_status: str | None = None


@dataclass
class DuplicateGroup:
    """Records on one side of a pair sharing at least one key, directly or through others."""

    pair: str
    entity: str
    side: Side
    system: str
    keys: list[tuple[str, str]] = field(default_factory=list)
    records: list[Candidate] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        """The ids of the group's records."""
        return [r.id for r in self.records]


def find_duplicates(
    engine: Engine, pair: str, entity: str | None = None, side: Side | None = None
) -> list[DuplicateGroup]:
    """The duplicate candidate groups of a pair (every flow and side unless narrowed)."""
    spec = engine.config.pairs[pair]
    groups: list[DuplicateGroup] = []
    for name, flow in spec.flows.items():
        if (entity and name != entity) or flow.direction.value == "off":
            continue
        keys = flow.duplicate_keys or flow.match_on
        for s in (side,) if side else SIDES:
            system = spec.pos if s == "pos" else spec.platform
            shared = engine.store.shared_keys(pair, name, s, keys)
            joined = _joined(shared)
            ids = [i for members, _ in joined for i in members]
            recs = engine.store.records_of(pair, name, s, ids)  # one read, not one a record
            links = engine.store.links_of(pair, name, s, ids)
            for members, found in joined:
                records = [_candidate(s, i, recs.get(i), links.get(i)) for i in members]
                groups.append(DuplicateGroup(pair, name, s, system, found, records))
    return groups


def _joined(
    shared: list[tuple[str, str, list[str]]],
) -> list[tuple[list[str], list[tuple[str, str]]]]:
    """Join key-sharing sets that have a record in common (union-find)."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _, _, ids in shared:
        for i in ids[1:]:
            parent[root(i)] = root(ids[0])
    members: dict[str, list[str]] = {}
    for i in parent:
        members.setdefault(root(i), []).append(i)
    keys: dict[str, list[tuple[str, str]]] = {}
    for name, value, ids in shared:
        keys.setdefault(root(ids[0]), []).append((name, value))
    return [(sorted(m), keys.get(r, [])) for r, m in sorted(members.items())]


def _candidate(
    side: Side, record_id: str, rec: StoredRecord | None, link: Link | None
) -> Candidate:
    data = (rec.now if rec else None) or {}
    name = " ".join(str(data[k]) for k in ("first_name", "last_name", "company") if data.get(k))
    emails = [e.get("address", "") for e in data.get("emails") or [] if isinstance(e, dict)]
    phones = [p.get("number", "") for p in data.get("phones") or [] if isinstance(p, dict)]
    linked = link.id_on(other(side)) if link is not None else None
    return Candidate(
        record_id, name or "?", emails, phones, linked, link.status if link is not None else None
    )


def merge_duplicates(
    engine: Engine, pair: str, entity: str, side: Side, survivor: str, others: list[str]
) -> MergeRecord:
    """Merge ``others`` into ``survivor`` on one side of a pair, because a user asked (SQ-2).

    The system merges (keeping every contact method and note, moving what points at the
    others) and says where each value went (``kept``, recorded with the merge); then the
    links move: when the survivor has no link, the first linked other's link
    moves to it; any other link is marked ``merged`` and reported, because its counterpart
    on the other side is now a duplicate there. The merge is recorded with what was done.

    Raises:
        SyncwrightError: the request names unknown records or the survivor twice.
        ConnectorError: the system refused or could not be reached; nothing was recorded.
    """
    store = engine.store
    spec = engine.config.pairs[pair]
    others = list(dict.fromkeys(others))
    if not others or survivor in others:
        raise SyncwrightError("SQ-2: name the survivor and at least one other, each once")
    model = entity_model(entity)
    records: dict[str, Any] = {}
    for record_id in (survivor, *others):
        rec = store.record(pair, entity, side, record_id)
        if rec is None or rec.now is None:
            raise SyncwrightError(
                f"SQ-2: {entity} {record_id} is not known on the {side} side of pair {pair!r} "
                "(run a sync first, or check the id)"
            )
        records[record_id] = model.model_validate(rec.now)
    links = {i: store.link_by_id(pair, entity, side, i) for i in (survivor, *others)}
    moved = None
    if links[survivor] is None:
        moved = next((links[o] for o in others if _live(links[o])), None)
    system = engine.systems[spec.pos if side == "pos" else spec.platform]
    request = MergeRequest(
        entity=entity,
        survivor=survivor,
        others=others,
        records=records,
        link_key=moved.link_key if moved is not None else None,
    )
    outcome = engine.hooks.merge_records(system, request)
    details: dict[str, Any] = {
        "system": system.name,
        "done": outcome.details,
        "kept": [k.model_dump() for k in outcome.kept],
        "links": {},
    }
    with store.transaction():
        if moved is not None:
            store.rename_record(pair, entity, side, moved.id_on(side), survivor)
            details["links"][moved.id_on(side)] = f"moved to {survivor}"
        for record_id in others:
            link = links[record_id]
            if link is not None and link is not moved:
                _drop(store, link, side, survivor, details)
            _forget(store, pair, entity, side, record_id)
        store.add_history(_merge_history(store, pair, entity, side, survivor, others))
        return _recorded(store, pair, entity, side, survivor, others, details)


def _merge_history(
    store: StateStore, pair: str, entity: str, side: Side, survivor: str, others: list[str]
) -> list[HistoryEntry]:
    """SQ-2 in history: the survivor took in the others (an entry for each record)."""
    link = store.link_by_id(pair, entity, side, survivor)
    entries = []
    for record_id in (survivor, *others):
        own = link if record_id == survivor else store.link_by_id(pair, entity, side, record_id)
        pos_id, platform_id = (record_id, None) if side == "pos" else (None, record_id)
        if own is not None:
            pos_id, platform_id = own.pos_id, own.platform_id
        note = (
            f"merged {', '.join(others)} into it"
            if record_id == survivor
            else f"merged into {survivor}"
        )
        entries.append(
            HistoryEntry(
                pair,
                entity,
                "merge",
                pos_id,
                platform_id,
                own.id if own is not None else None,
                toward=side,
                rule="SQ-2",
                note=note,
            )
        )
    return entries


def _live(link: Link | None) -> bool:
    return link is not None and link.status == "ok"


def _drop(
    store: StateStore, link: Link, side: Side, survivor: str, details: dict[str, Any]
) -> None:
    there = other(side)
    link.status = "merged"
    store.save_link(link)
    details["links"][link.id_on(side)] = f"merged; {link.id_on(there)} on the {there} side kept"
    kept = store.link_by_id(link.pair, link.entity, side, survivor)
    twin = kept.id_on(there) if kept is not None else None
    store.add_problem(
        link.pair,
        link.entity,
        there,
        link.id_on(there),
        "SQ-2",
        f"{link.entity} {link.id_on(side)} was merged into {survivor} on the {side} side; "
        f"{link.id_on(there)} was linked to it and is no longer synced: it duplicates "
        + (
            f"{twin} there ({merge_hint(link.pair, link.entity, there, twin, link.id_on(there))})"
            if twin
            else f"the record linked to {survivor} there (merge the two: syncwright duplicates)"
        ),
        None,
    )


def _forget(store: StateStore, pair: str, entity: str, side: Side, record_id: str) -> None:
    """A merged-away record: no keys (it is no duplicate any more), marked deleted.

    Its problems are moot (a G-3 report of it as a duplicate of a linked record, G-5).
    """
    store.index_keys(pair, entity, side, record_id, {})
    for problem in store.problems_of(pair, entity, side, record_id):
        store.resolve_problem(problem.id)
    rec = store.record(pair, entity, side, record_id)
    if rec is not None:
        rec.deleted = True
        store.put_record(pair, entity, rec)


def _recorded(
    store: StateStore,
    pair: str,
    entity: str,
    side: Side,
    survivor: str,
    others: list[str],
    details: dict[str, Any],
) -> MergeRecord:
    merge_id = store.add_merge(pair, entity, side, survivor, others, details)
    return next(m for m in store.merges(pair) if m.id == merge_id)
