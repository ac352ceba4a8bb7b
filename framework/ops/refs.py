"""Which record an operator means: an id on either side, or anything ``find`` accepts."""

from __future__ import annotations

from dataclasses import dataclass

from framework.engine.flows import Side
from framework.engine.lookup import find_records
from framework.errors import SyncwrightError
from framework.state.store import Link, StateStore


@dataclass
class RecordRef:
    """One record of one pair: its entity, the side it was named on, its id, its link."""

    pair: str
    entity: str
    side: Side
    id: str
    link: Link | None

    def ids(self) -> list[str]:
        """Every id the record has had on either side (both, when linked)."""
        if self.link is None:
            return [self.id]
        return list(dict.fromkeys([self.link.pos_id, self.link.platform_id]))


def resolve(store: StateStore, pair: str, entity: str, text: str) -> RecordRef:
    """The one record ``text`` names (an id on either side, an e-mail, a phone, a name).

    Raises:
        SyncwrightError: nothing, or more than one record, answers to ``text``.
    """
    sides: tuple[Side, Side] = ("pos", "platform")
    for side in sides:
        link = store.link_by_id(pair, entity, side, text)
        if link is not None or store.record(pair, entity, side, text) is not None:
            return RecordRef(pair, entity, side, text, link)
    found = find_records(store, pair, entity, text)
    seen: dict[object, RecordRef] = {}
    for f in found:
        side = "pos" if f.side == "pos" else "platform"
        link = store.link_by_id(pair, entity, side, f.id)
        seen.setdefault(
            link.id if link else (side, f.id), RecordRef(pair, entity, side, f.id, link)
        )
    if not seen:
        raise SyncwrightError(
            f"no {entity} {text!r} is known on either side of pair {pair!r} "
            "(an id, an e-mail, a phone or a name; see `syncwright find`)"
        )
    if len(seen) > 1:
        names = ", ".join(f"{r.id} ({r.side})" for r in list(seen.values())[:5])
        raise SyncwrightError(
            f"{text!r} names {len(seen)} {entity} records of pair {pair!r} ({names}); give an id"
        )
    return next(iter(seen.values()))
