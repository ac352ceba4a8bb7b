"""Write while reading: which staged records of a flow may be reconciled before its read ends.

A flow's two sides are read one after the other, the platform first, then the POS page by
page (``runner.py``). Once the platform is read whole, a POS record staged on an early page
can often be decided at once, and its writes go out while later pages are still read: a
rate-limited upload spends its budget from the first seconds instead of after the read.

Reconciling early must decide every record as the whole read would have (the result never
depends on when a page came in). What a POS record's reconciling looks at:

- its own link and its counterpart's staged change: the platform is read whole, so both
  are there; a linked record is merged as it would be later (``_linked``);
- for an unlinked record, the platform's key index and live search (G-3): complete, but a
  platform record it matches was reconciled *before* it in the whole read (platform pages
  come first), and that record's own match looks at the POS records still unread. So a
  record whose keys find anything on the platform waits for the whole read;
- the other unlinked POS records that the one candidate matches too (``Matcher.rivals``,
  SQ-2, G-3 both ways): those may sit on a page not read yet. A record that would need
  that look (a live search found one free candidate) raises :class:`NotYet`, rolled back
  in its savepoint, and waits;
- the records reconciled before it: creates index their placeholders at once, so two POS
  records sharing a key are decided in feed order. A record that waits keeps its id and
  keys here, and every later record sharing one of them waits too: records that can see
  each other are decided in the same order as in the whole read.

Records that wait are reconciled, in feed order, once both sides are read whole; if the
POS cannot be read to its end the flow is not reconciled further (a one-sided merge could
let the wrong side win), and what waits stays staged. Cursors are untouched by all this:
a page is staged with its cursor as before, and a record reconciled early journals its
writes in the same transaction that marks its staged change done.

Memory stays bounded: the writes are bounded by the applier's queue, and what waits is
remembered by id and keys up to :data:`REMEMBER` records; past that, reconciling early
stops for the flow and the rest is reconciled after the read, as before.
"""

from __future__ import annotations

from typing import Any

from framework.engine.context import PairContext, match_keys
from framework.engine.flows import Side, other
from framework.engine.matching import Match, Matcher
from framework.engine.read_ahead import Validated
from framework.engine.reconcile import Reconciler
from framework.models.base import CanonicalRecord, entity_model
from framework.state.store import InboxEntry

REMEMBER = 10_000
"""Records waiting for the whole read that are remembered before reconciling early stops."""

Keys = dict[str, list[str]]


class NotYet(Exception):
    """Deciding this record needs records of the side still being read: it waits."""


class EarlyMatcher(Matcher):
    """A matcher that refuses to look for rivals on the side still being read.

    While ``reading`` is set, a record of that side whose one free candidate would have to be
    checked for rivals among that side's records raises :class:`NotYet` (those records may
    be on a page not read yet). Cleared once the read is whole: then it is the plain
    :class:`Matcher`.
    """

    reading: Side | None = None
    nothing: tuple[str, set[tuple[str, str]]] | None = None
    """Set by :meth:`Early.takes`: the record it takes and the keys it found no record
    opposite sharing (see :meth:`match`)."""
    validated: tuple[str, Validated] | None = None
    """Set by :meth:`Early.takes`: the record it takes, as its page staged it and as its
    connector made it (see :meth:`record`)."""
    _none: set[tuple[str, str]] | None = None

    def match(self, side: Side, change: dict[str, Any]) -> Match:
        """As :meth:`Matcher.match`, not looking again for what ``takes`` found nothing for.

        ``takes`` looked the record's keys up on the other side just before its savepoint
        and found nothing; reconciling an unlinked record writes nothing to that side's key
        index before it is matched (the writes before: problems resolved; a rename only
        when the record is linked, and then it is not matched), and no write settles in
        between (the runner settles between records). So a look-up of keys among those
        finds nothing still. Handed out once, to that record (by id and side), and only
        for keys among those looked up: any other look-up asks the store.
        """
        nothing, self.nothing = self.nothing, None
        if nothing is None or side != self.reading or nothing[0] != change.get("id"):
            return super().match(side, change)
        self._none = nothing[1]
        try:
            return super().match(side, change)
        finally:
            self._none = None

    def record(self, side: Side, change: dict[str, Any]) -> CanonicalRecord:
        """As :meth:`Matcher.record`, without validating the same record twice.

        The record :meth:`Early.takes` took, as its connector made it on the page just read,
        where the staged change is still that record.
        """
        held, self.validated = self.validated, None
        if held is not None and side == self.reading and held[0] == change.get("id"):
            data, record = held[1]
            if data == change["record"]:  # the staged change is the one this page read
                return record
        return super().record(side, change)

    def find(self, target: Side, keys: dict[str, list[str]]) -> list[str]:
        """As :meth:`Matcher.find`; nothing where ``takes`` found nothing (see :meth:`match`)."""
        none = self._none
        if none is not None and all((n, v) in none for n, vs in keys.items() for v in vs):
            return []
        return super().find(target, keys)

    def rivals(self, side: Side, record_id: str, found: Match) -> list[str]:
        """As :meth:`Matcher.rivals`; raises :class:`NotYet` where it would look at ``reading``."""
        s = self.s
        if (
            side == self.reading
            and len(found.ids) == 1
            and not found.linked
            and not found.by_code
            and s.flow.match_on
            and self.free(other(side), found.ids[0])
        ):
            raise NotYet(f"{s.entity} {record_id}: its candidate may match records not read yet")
        return super().rivals(side, record_id, found)


class Early:
    """What of one flow is reconciled while its ``reading`` side is still being read."""

    def __init__(self, ctx: PairContext, entity: str, reading: Side = "pos"):
        self.ctx, self.entity, self.reading = ctx, entity, reading
        self.reconciler = Reconciler(ctx, entity)
        self.matcher = EarlyMatcher(self.reconciler.s)
        self.matcher.reading = reading
        self.reconciler.matcher = self.matcher
        self.open = True
        """Whether records are still reconciled early (off once too much waits, or a stop)."""
        self.gave_up = False
        """A system stayed unreachable while reconciling early: the flow stops this run."""
        self.after = 0
        """The highest sequence number of this flow's changes left staged by the walk."""
        self.reconciled = 0
        """Records reconciled early."""
        self.written = 0
        """``reconciled`` when their writes were last started."""
        self.page_keys: dict[str, Keys] = {}
        """The keys of the page staged last, by record id (computed when staging it)."""
        self.page_records: dict[str, Validated] = {}
        """The records of the page staged last as its connector made them, by id."""
        self._ids: set[str] = set()
        self._keys: set[tuple[str, str]] = set()
        self.tried: set[int] = set()
        """Staged changes tried early and left staged (deferred): not tried again this run."""

    def takes(self, entry: InboxEntry) -> bool:
        """Whether ``entry`` is reconciled now; if not, it waits for the whole read."""
        self.matcher.nothing = None  # only ever for the record taken last
        self.matcher.validated = None
        if not self.open or entry.side != self.reading:
            return False
        keys = self.page_keys.get(entry.id)
        if keys is None:  # staged by an earlier run: decided with the rest, in feed order
            self.wait(entry)
            return False
        pairs = {(name, value) for name, values in keys.items() for value in values}
        if entry.id in self._ids or pairs & self._keys:
            self._remember(entry.id, pairs)  # sees a record that waits: waits behind it
            return False
        if (held := self.page_records.get(entry.id)) is not None:
            self.matcher.validated = (entry.id, held)
        store, pair = self.ctx.store, self.ctx.name
        if not pairs or not store.find_by_keys(pair, self.entity, other(self.reading), keys):
            # Nothing opposite shares a key (an upload: one query a record): its match
            # need not look these keys up again (``EarlyMatcher.match``).
            self.matcher.nothing = (entry.id, pairs)
            return True
        if store.link_by_id(pair, self.entity, self.reading, entry.id) is not None:
            return True  # linked: merged with its counterpart, no match made
        self._remember(entry.id, pairs)
        return False

    def wait(self, entry: InboxEntry) -> None:
        """``entry`` waits for the whole read, and so does every record sharing a key with it."""
        self._remember(entry.id, {(n, v) for n, vs in self._keys_of(entry).items() for v in vs})

    def tried_early(self, seq: int) -> None:
        """A change tried early stayed staged (deferred): the whole pass leaves it."""
        self.tried.add(seq)
        self._check()

    def whole(self) -> Reconciler:
        """The read is whole: the same reconciler, with the plain matcher, for the rest."""
        self.matcher.reading = None
        self.matcher.nothing = self.matcher.validated = None
        self.open = False
        self.page_keys, self.page_records = {}, {}
        return self.reconciler

    def _remember(self, record_id: str, pairs: set[tuple[str, str]]) -> None:
        self._ids.add(record_id)
        self._keys |= pairs
        self._check()

    def _check(self) -> None:
        if len(self._ids) + len(self.tried) > REMEMBER:
            self.open = False  # the rest is reconciled after the read, as before

    def _keys_of(self, entry: InboxEntry) -> Keys:
        change: dict[str, Any] = entry.change
        link_key = change.get("link_key")
        if change.get("record") is None or change.get("problem"):
            return {"link_key": [link_key]} if link_key else {}
        try:
            return match_keys(
                entity_model(self.entity),
                change["record"],
                link_key,
                self.ctx.flow(self.entity).indexed_keys,
            )
        except ValueError:  # reported when it is reconciled; waits meanwhile
            return {"link_key": [link_key]} if link_key else {}


__all__ = ["REMEMBER", "Early", "EarlyMatcher", "NotYet"]
