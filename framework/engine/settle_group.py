"""A group of settling writes: what it reads once and writes once (``settle.py``).

Writes that came back settle in groups, one transaction a group (``SETTLE_GROUP``). Settled
one by one, each write cost about ten statements: its link and record read, its journal row
dropped, its placeholder's row, link and keys renamed, its record and keys written, its move
logged. Here a group reads its links and records in one statement each, and writes its
records (``settle_records``), drops its journal rows (``intents_done``) and logs its moves
in one statement each, at its end, in its transaction: a kill before the commit leaves every
write of the group journaled, replayed next run (G-6), as before.

A group also reads the open problems of the records its applied writes settle (one statement
an entity and side): a write that succeeds makes the refused writes of the same fields moot
(``PairContext.covered``), and almost no record has any. They are handed out once, to that
write's ``covered``, and dropped when a problem of the record is added or resolved before
(``PairContext.quarantine``, ``resolve``: every problem a run files or resolves goes through
them), as ``chunk.py`` does: ``covered`` then asks the store.

Reading ahead and writing behind are right only while no write of the group reads what
another one changes: each write touches its own link and that link's records, so a group
is cut before a write whose link or record ids an earlier write of it touches (a record's
create and its update coming back together); the part after the cut reads afresh.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from framework.models import ApplyResult, WriteOp, WriteRequest
from framework.state.store import Intent, Link, Problem, Settling, StateStore, StoredRecord

Write = tuple[Intent, WriteRequest, Any]
"""A write that came back: its intent, its request, its result (or the error it met)."""


def side_of(intent: Intent) -> str:
    """The side a journaled write goes to."""
    return "pos" if intent.side == "pos" else "platform"


def footprint(write: Write, link: Link | None) -> set[Hashable]:
    """What settling ``write`` may read or change: its link, and its records' ids."""
    intent, request, result = write
    side = side_of(intent)
    out: set[Hashable] = set()
    if intent.link_id is not None:
        out.add(("link", intent.link_id))
    if link is not None:
        out.add((intent.entity, "pos", link.pos_id))
        out.add((intent.entity, "platform", link.platform_id))
    if request.target_id:
        out.add((intent.entity, side, request.target_id))
    if isinstance(result, ApplyResult) and result.id:
        out.add((intent.entity, side, result.id))
    return out


def disjoint(writes: Sequence[Write], links: dict[int, Link]) -> int:
    """How many of ``writes``, from the first, touch nothing an earlier one touches."""
    seen: set[Hashable] = set()
    for n, write in enumerate(writes):
        link_id = write[0].link_id
        mine = footprint(write, links.get(link_id) if link_id is not None else None)
        if mine & seen:
            return n
        seen |= mine
    return len(writes)


def record_id(write: Write, link: Link | None) -> str | None:
    """The id under which an applied create or update finds its record's row.

    A created record's row is its placeholder's until it settles; ``None`` for a write that
    reads no row as it settles (a delete, a refused or failed write).
    """
    intent, request, result = write
    if not isinstance(result, ApplyResult) or request.op is WriteOp.DELETE:
        return None
    side = side_of(intent)
    if link is not None and link.pending_on(side) and result.id:
        return link.id_on(side)
    return request.target_id or (link.id_on(side) if link is not None else None)


def covered_id(write: Write, link: Link | None) -> str | None:
    """The id whose refused writes an applied create or update may make moot (``covered``).

    The record's id once settled (a created record's real id); ``None`` for a write that
    covers nothing (a delete, a refused or failed write). As ``Settler._applied`` finds it
    (``settle.py``).
    """
    intent, request, result = write
    if not isinstance(result, ApplyResult) or request.op is WriteOp.DELETE:
        return None
    side = side_of(intent)
    if link is not None and link.pending_on(side) and result.id:
        return result.id
    return request.target_id or (link.id_on(side) if link is not None else None)


@dataclass
class Group:
    """What a part of a group read ahead, and what it writes at its end."""

    links: dict[int, Link] = field(default_factory=dict)
    records: dict[tuple[str, str, str], StoredRecord | None] = field(default_factory=dict)
    settling: dict[str, list[Settling]] = field(default_factory=dict)
    """Records to settle, by entity (``settle_records``)."""
    done: list[int] = field(default_factory=list)
    """Journal rows of the writes settled or quarantined (``intents_done``)."""
    moves: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    problems: dict[tuple[str, str, str], list[Problem]] = field(default_factory=dict)
    """Open problems of the records the applied writes settle, each handed out once."""

    @classmethod
    def read(
        cls, store: StateStore, pair: str, writes: Sequence[Write], links: dict[int, Link]
    ) -> Group:
        """Read ahead the records the applied creates and updates of ``writes`` settle."""
        wanted: dict[tuple[str, str], list[str]] = {}
        covering: dict[tuple[str, str], list[str]] = {}
        for write in writes:
            link = links.get(write[0].link_id) if write[0].link_id is not None else None
            where = (write[0].entity, side_of(write[0]))
            found = record_id(write, link)
            if found is not None:
                wanted.setdefault(where, []).append(found)
            covers = covered_id(write, link)
            if covers is not None:
                covering.setdefault(where, []).append(covers)
        records: dict[tuple[str, str, str], StoredRecord | None] = {}
        for (entity, side), ids in wanted.items():
            known = store.records_of(pair, entity, side, ids)
            for one in ids:
                records[(entity, side, one)] = known.get(one)
        problems: dict[tuple[str, str, str], list[Problem]] = {}
        for (entity, side), ids in covering.items():
            unique = list(dict.fromkeys(ids))
            open_ = store.open_problems_of(pair, entity, side, unique)
            for one in unique:
                problems[(entity, side, one)] = open_.get(one, [])
        return cls(links=dict(links), records=records, problems=problems)

    def problems_of(self, entity: str, side: str, record_id: str) -> list[Problem] | None:
        """A settled record's open problems, read with the group (``None``: ask the store)."""
        return self.problems.pop((entity, side, record_id), None)

    def problem_written(self, entity: str, side: str, record_id: str) -> None:
        """A problem of this record was added or resolved: its problems are asked anew."""
        self.problems.pop((entity, side, record_id), None)

    def write_records(self, store: StateStore, pair: str) -> None:
        """Settle the records waiting (one ``settle_records`` an entity)."""
        settling, self.settling = self.settling, {}
        for entity, items in settling.items():
            store.settle_records(pair, entity, items)
