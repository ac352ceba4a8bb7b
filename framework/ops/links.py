"""Links by hand: show a record's link, link two records, unlink them (and keep them apart).

A link made by hand is merged by the next run as a first match is (G-3): both records are
staged again with no shadow, so every field they differ in is settled by the policies. An
unlink stops syncing them; both records stay. Kept apart, they are never matched to each
other again. Each is recorded in history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from framework.engine.flows import Side
from framework.errors import SyncwrightError
from framework.models.base import entity_names
from framework.ops.refs import resolve
from framework.state.store import HistoryEntry, Link, StateStore, StoredRecord

SIDES: tuple[Side, Side] = ("pos", "platform")


@dataclass
class LinkView:
    """What ``link show`` tells: both ids, the link's key and status, each side's shadow."""

    pair: str
    entity: str
    link: Link | None
    record: dict[Side, StoredRecord | None]
    apart: set[str]

    def as_dict(self) -> dict[str, Any]:
        """The view as JSON (``--json``)."""
        link = self.link
        return {
            "pair": self.pair,
            "entity": self.entity,
            "linked": link is not None,
            "link_id": link.id if link else None,
            "pos_id": link.pos_id if link else _id(self.record["pos"]),
            "platform_id": link.platform_id if link else _id(self.record["platform"]),
            "link_key": link.link_key if link else None,
            "status": link.status if link else None,
            "shadow": {s: (r.data if r is not None else None) for s, r in self.record.items()},
            "kept_apart_from": sorted(self.apart),
        }


def _id(rec: StoredRecord | None) -> str | None:
    return rec.id if rec is not None else None


def show(store: StateStore, pair: str, entity: str, text: str) -> LinkView:
    """The link of the record ``text`` names (``syncwright link show``)."""
    ref = resolve(store, pair, entity, text)
    record: dict[Side, StoredRecord | None] = {"pos": None, "platform": None}
    if ref.link is not None:
        for side in SIDES:
            record[side] = store.record(pair, entity, side, ref.link.id_on(side))
    else:
        record[ref.side] = store.record(pair, entity, ref.side, ref.id)
    apart = store.kept_apart(pair, entity, ref.side, ref.id)
    return LinkView(pair, entity, ref.link, record, apart)


def _known(store: StateStore, pair: str, entity: str, side: Side, record_id: str) -> StoredRecord:
    rec = store.record(pair, entity, side, record_id)
    if rec is not None and rec.now is not None and not rec.deleted:
        return rec
    elsewhere = [
        e
        for e in entity_names()
        if e != entity and store.record(pair, e, side, record_id) is not None
    ]
    if elsewhere:
        raise SyncwrightError(
            f"{record_id} on the {side} side is a {elsewhere[0]}, not a {entity}: "
            "only records of one entity are linked"
        )
    raise SyncwrightError(
        f"{entity} {record_id} is not known on the {side} side of pair {pair!r} "
        "(run a sync first, or check the id)"
    )


def link(
    store: StateStore, pair: str, entity: str, pos_id: str, platform_id: str, *, run_id: int | None
) -> Link:
    """Link two existing records an operator knows are the same; the next run merges them.

    Raises:
        SyncwrightError: a record is unknown, of another entity, or linked already.
    """
    ids: dict[Side, str] = {"pos": pos_id, "platform": platform_id}
    recs = {side: _known(store, pair, entity, side, ids[side]) for side in SIDES}
    for side in SIDES:
        found = store.link_by_id(pair, entity, side, ids[side])
        if found is not None:
            raise SyncwrightError(
                f"{entity} {ids[side]} on the {side} side is linked already (to "
                f"{found.id_on('platform' if side == 'pos' else 'pos')}, {found.status}): "
                f"unlink it first (syncwright unlink {ids[side]})"
            )
    if platform_id in store.kept_apart(pair, entity, "pos", pos_id):
        raise SyncwrightError(
            f"{pos_id} and {platform_id} were unlinked and kept apart; they are not linked again"
        )
    with store.transaction():
        made = store.add_link(pair, entity, pos_id, platform_id, None)
        for side in SIDES:
            rec = recs[side]
            # No shadow: the next run merges them as a first match does (G-3).
            rec.latest, rec.data, rec.link_id = rec.now, None, made.id
            store.put_record(pair, entity, rec)
            store.set_held(pair, entity, side, rec.id, None)
            for problem in store.problems_of(pair, entity, side, rec.id):
                store.resolve_problem(problem.id)  # an operator settled what it reported
            change = {
                "entity": entity,
                "id": rec.id,
                "op": "upsert",
                "record": rec.latest,
                "link_key": rec.link_key,
            }
            store.restage(pair, entity, side, change)
        store.add_history(
            [
                HistoryEntry(
                    pair,
                    entity,
                    "link",
                    pos_id,
                    platform_id,
                    made.id,
                    run_id=run_id,
                    toward="both",
                    rule="G-3",
                    note="linked by hand",
                )
            ]
        )
    return made


def unlink(
    store: StateStore,
    pair: str,
    entity: str,
    text: str,
    *,
    keep_apart: bool = False,
    run_id: int | None = None,
) -> Link:
    """Stop syncing a linked record's two sides; both records stay (``syncwright unlink``).

    Raises:
        SyncwrightError: the record is not linked, or writes of its link wait to be made.
    """
    ref = resolve(store, pair, entity, text)
    found = ref.link
    if found is None:
        raise SyncwrightError(f"{entity} {ref.id} on the {ref.side} side is not linked")
    waiting = [
        i
        for i in [*store.intents(pair, entity), *store.held_intents(pair)]
        if i.link_id == found.id
    ]
    if waiting:
        raise SyncwrightError(
            f"{entity} {found.pos_id}={found.platform_id} has {len(waiting)} write(s) waiting "
            "(pending or held): run, approve or reject them first"
        )
    if any(found.pending_on(side) for side in SIDES):
        raise SyncwrightError(
            f"{entity} {found.pos_id}={found.platform_id} is still being created on one side; "
            "unlink it once its id is known"
        )
    with store.transaction():
        store.drop_link(found.id)
        for side in SIDES:
            rec = store.record(pair, entity, side, found.id_on(side))
            if rec is not None:  # a mirror now: no settled hash, re-reads are reconciled
                rec.link_id = None
                store.put_record(pair, entity, rec)
        if keep_apart:
            store.keep_apart(pair, entity, found.pos_id, found.platform_id)
        note = "unlinked by hand" + (", kept apart" if keep_apart else "")
        store.add_history(
            [
                HistoryEntry(
                    pair,
                    entity,
                    "unlink",
                    found.pos_id,
                    found.platform_id,
                    found.id,
                    run_id=run_id,
                    toward="both",
                    note=note,
                )
            ]
        )
    return found
