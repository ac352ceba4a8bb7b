"""Records as people look them up (SQ-3) and merge them (SQ-2): find, both sides, a merge.

``syncwright find``, ``syncwright duplicates merge`` and the console's Records and
Duplicates pages call these.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from framework.engine.duplicates import merge_duplicates
from framework.engine.engine import Engine
from framework.engine.flows import Side, other
from framework.engine.lookup import Found, find_records
from framework.errors import SyncwrightError
from framework.state.store import Link, MergeRecord, Problem, StoredRecord

SIDES: tuple[Side, Side] = ("pos", "platform")


def choose_pair(engine: Engine, pair: str | None) -> str:
    """The pair named, or the only one.

    Raises:
        SyncwrightError: no such pair, or several and none named.
    """
    if pair is not None:
        if pair not in engine.config.pairs:
            raise SyncwrightError(f"no pair named {pair!r} in {engine.config.source}")
        return pair
    if len(engine.config.pairs) != 1:
        raise SyncwrightError(
            f"{engine.config.source} has {len(engine.config.pairs)} pairs: say which (--pair)"
        )
    return next(iter(engine.config.pairs))


def choose_side(side: str | None) -> Side | None:
    """``pos``, ``platform`` or ``None`` (both).

    Raises:
        SyncwrightError: anything else.
    """
    if side in (None, "pos", "platform"):
        return side  # type: ignore[return-value]
    raise SyncwrightError(f"--side must be pos or platform, not {side!r}")


def find(
    engine: Engine, pair: str, entity: str, text: str, limit: int | None = None
) -> list[Found]:
    """Records of ``entity`` on either side matching ``text`` (phone, e-mail, name; SQ-3)."""
    if entity not in engine.config.pairs[pair].flows:
        raise SyncwrightError(f"pair {pair!r} has no {entity} flow")
    return find_records(engine.store, pair, entity, text, limit=limit)


@dataclass
class RecordView:
    """One record with its counterpart: both sides' last known state, the link, problems."""

    pair: str
    entity: str
    side: Side
    id: str
    systems: dict[str, str]
    records: dict[str, StoredRecord | None]
    link: Link | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def fields(self) -> list[tuple[str, Any, Any, bool]]:
        """Every field on either side: (name, POS value, platform value, differ)."""
        data = {s: ((r.now if r is not None else None) or {}) for s, r in self.records.items()}
        names = sorted(set(data["pos"]) | set(data["platform"]))
        return [
            (
                n,
                data["pos"].get(n),
                data["platform"].get(n),
                data["pos"].get(n) != data["platform"].get(n),
            )
            for n in names
        ]


def record_view(engine: Engine, pair: str, entity: str, side: Side, record_id: str) -> RecordView:
    """A record and its counterpart on the other side of ``pair``.

    Raises:
        SyncwrightError: the record is not known on that side.
    """
    store = engine.store
    rec = store.record(pair, entity, side, record_id)
    if rec is None:
        raise SyncwrightError(f"{entity} {record_id} is not known on the {side} side of {pair!r}")
    link = store.link_by_id(pair, entity, side, record_id)
    records: dict[str, StoredRecord | None] = {side: rec, other(side): None}
    if link is not None and not link.pending_on(other(side)):
        records[other(side)] = store.record(pair, entity, other(side), link.id_on(other(side)))
    problems = [
        p
        for s, r in records.items()
        if r is not None
        for p in store.problems_of(pair, entity, s, r.id)
    ]
    spec = engine.config.pairs[pair]
    systems = {"pos": spec.pos, "platform": spec.platform}
    return RecordView(pair, entity, side, record_id, systems, records, link, problems)


def fingerprint(engine: Engine, pair: str, entity: str, side: Side, ids: list[str]) -> str:
    """A digest of records as known now: a form carries it, a merge checks it is unchanged."""
    digest = hashlib.blake2b(digest_size=12)
    for record_id in ids:
        rec = engine.store.record(pair, entity, side, record_id)
        body = [record_id, rec.now if rec else None, rec.deleted if rec else None]
        digest.update(orjson.dumps(body, option=orjson.OPT_SORT_KEYS))
    return digest.hexdigest()


@dataclass
class MergePreview:
    """What the survivor holds, and what each other record brings that it lacks (SQ-2)."""

    survivor: RecordView
    others: list[RecordView]
    added: list[tuple[str, str, str]]
    """(what, value, from which record): values the survivor does not hold yet."""
    fingerprint: str


def merge_preview(
    engine: Engine, pair: str, entity: str, side: Side, survivor: str, others: list[str]
) -> MergePreview:
    """The survivor of a merge and what the others bring: nothing is lost (SQ-2).

    Raises:
        SyncwrightError: a record is unknown, or the survivor is among the others.
    """
    others = list(dict.fromkeys(others))
    if not others or survivor in others:
        raise SyncwrightError("SQ-2: name the survivor and at least one other, each once")
    kept = record_view(engine, pair, entity, side, survivor)
    views = [record_view(engine, pair, entity, side, o) for o in others]
    mine = kept.records[side]
    held = _values((mine.now if mine is not None else None) or {})
    added = []
    for view in views:
        rec = view.records[side]
        for what, value in _values((rec.now if rec else None) or {}):
            if (what, value) not in held:
                added.append((what, value, view.id))
                held.add((what, value))
    mark = fingerprint(engine, pair, entity, side, [survivor, *others])
    return MergePreview(kept, views, added, mark)


def _values(data: dict[str, Any]) -> set[tuple[str, str]]:
    """A record's values as (field, text): contact methods one by one, the rest whole."""
    values: set[tuple[str, str]] = set()
    for name, value in data.items():
        if value in (None, "", [], {}):
            continue
        if isinstance(value, list):
            for item in value:
                shown = (
                    item.get("address") or item.get("number") if isinstance(item, dict) else None
                )
                values.add((name, str(shown or orjson.dumps(item).decode())))
        else:
            values.add((name, value if isinstance(value, str) else orjson.dumps(value).decode()))
    return values


def merge(
    engine: Engine,
    pair: str,
    entity: str,
    side: Side,
    survivor: str,
    others: list[str],
    expected: str | None = None,
) -> MergeRecord:
    """Merge ``others`` into ``survivor`` under the pair's lease (SQ-2).

    ``expected`` is the fingerprint of the records the person saw: when they changed
    since, nothing is merged.

    Raises:
        LeaseHeld: a run of the pair is going on.
        SyncwrightError: the records changed since the preview, or the merge is malformed.
    """
    with engine.lease(pair):  # never beside a run of the pair (it moves links)
        if expected is not None:
            now = fingerprint(engine, pair, entity, side, [survivor, *others])
            if now != expected:
                raise SyncwrightError(
                    "SQ-2: the records changed since the preview (a run or another person "
                    "changed them); nothing was merged: look at the preview again"
                )
        return merge_duplicates(engine, pair, entity, side, survivor, others)
