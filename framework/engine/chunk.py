"""What a chunk's records are looked up by, read at once for many records (issue 17).

Reconciling a record starts with the same look-ups every time: its staged changes, its
open problems (a readable change supersedes them), the records it is kept apart from,
its link and its shadow. Almost always there is nothing but its own staged change. Read
one record at a time that is five statements a record; here the first three are read
for the whole chunk (``runner._chunk``, before the first record's savepoint), the link
and shadow for a window of records (up to the runner's next look at the writes in
flight, ``runner.PUMP_EVERY``).

What is read here must be what the store would answer when the record asks. It is, for
these reasons:

- every fact is read outside any record's savepoint: it is the store as it is then;
- every fact is handed out **once** (the first look-up of that record takes it): a later
  look-up of the same record in the chunk (a record deferred and parked, a record staged
  twice) asks the store, and no two callers share one object;
- a write that changes a fact before it is taken **drops** it (the look-up then asks the
  store): a problem added or resolved (``PairContext.quarantine``, ``superseded``,
  ``covered``, ``resolve``: every problem the engine files or resolves goes through them),
  a record's staged changes dropped or added to (``held.Parking``: a child parked, or
  staged again when its parent is linked); every link and shadow when writes are settled
  (``runner``: the only place writes settle while a chunk is reconciled) or a record is
  renamed to a new id (``links.py``, ``reconcile.py``: its link moves, others' may be
  superseded);
- a link or shadow is read for the record's own first look-up only (``Links.find``,
  ``Reconciler._news``): other records reconciled before it in the window write its
  link or shadow only when they take its staged changes with theirs (its counterpart, or
  the match that links it), and then it is consumed and not reconciled in this chunk;
- a fact dropped is never read again until read afresh, so a savepoint rolled back (a
  record that failed, was deferred, or waits for the whole read) cannot leave one saying
  what the store no longer does: a rollback only takes the store back to an earlier
  state, and whatever changed since a fact was read dropped it when it changed;
- nothing else writes them while a chunk is reconciled: staged changes are dropped by the
  runner when the chunk ends (and by parking), and staged by reading, between chunks;
  records are kept apart by operators only (``unlink --keep-apart``).

The links of the parents a chunk's records refer to (a wish's customer) are read for the
chunk too, and answer every look-up: a parent entity's flow runs before its children's,
and all its writes have settled before theirs begin (``runner``, ``apply.py``), so its
links do not change while its children are reconciled (an entity referring to itself is
not read here).
"""

from __future__ import annotations

from framework.state.store import InboxEntry, Link, Problem, StateStore, StoredRecord

Key = tuple[str, str]
"""A record of the chunk's entity: (side, id)."""


class ChunkReads:
    """The look-ups of one chunk's records, each handed out once (see the module docstring)."""

    def __init__(
        self,
        store: StateStore,
        pair: str,
        entity: str,
        entries: list[InboxEntry],
        refs: dict[str, str] | None = None,
    ):
        self.store, self.pair, self.entity, self.entries = store, pair, entity, entries
        self._parents = self._read_parents(refs or {})
        self._records: dict[Key, StoredRecord | None] = {}
        self._links: dict[Key, Link | None] = {}
        self._window = 0  # entries[:_window] have had their own record and link read
        ids: dict[str, list[str]] = {}
        for entry in entries:
            ids.setdefault(entry.side, []).append(entry.id)
        self._staged: dict[Key, list[InboxEntry]] = {}
        self._problems: dict[Key, list[Problem]] = {}
        self._apart: dict[Key, set[str]] = {}
        for side, of_side in ids.items():
            wanted = list(dict.fromkeys(of_side))
            staged = store.inbox_of(pair, entity, side, wanted)
            problems = store.open_problems_of(pair, entity, side, wanted)
            apart = store.kept_apart_of(pair, entity, side, wanted)
            for record_id in wanted:
                key = (side, record_id)
                self._staged[key] = staged.get(record_id, [])
                self._problems[key] = problems.get(record_id, [])
                self._apart[key] = apart.get(record_id, set())

    def _read_parents(self, refs: dict[str, str]) -> dict[tuple[str, str, str], str | None]:
        """The other side's id of each parent the chunk's records refer to, if linked.

        ``refs``: field -> parent entity. By (parent entity, side, id).
        """
        wanted: dict[tuple[str, str], list[str]] = {}
        for entry in self.entries:
            record = entry.change.get("record") or {}
            for name, parent in refs.items():
                value = record.get(name)
                if parent != self.entity and isinstance(value, str) and value:
                    wanted.setdefault((parent, entry.side), []).append(value)
        found: dict[tuple[str, str, str], str | None] = {}
        for (parent, side), ids in wanted.items():
            unique = list(dict.fromkeys(ids))
            links = self.store.links_of(self.pair, parent, side, unique)
            there = "platform" if side == "pos" else "pos"
            for record_id in unique:
                link = links.get(record_id)
                found[(parent, side, record_id)] = link.id_on(there) if link else None
        return found

    def parent(self, entity: str, side: str, record_id: str) -> tuple[bool, str | None]:
        """The other side's id of a parent record (first: whether it was read here).

        Not handed out once: a parent's link does not change while its children are
        reconciled (its flow came first, and all its writes settled before theirs began).
        """
        key = (entity, side, record_id)
        if entity == self.entity or key not in self._parents:
            return False, None
        return True, self._parents[key]

    # -- a record's own link and shadow, by window ---------------------------------------

    def window(self, at: int, size: int) -> None:
        """Before ``entries[at]``'s savepoint: read the own links and shadows of its window.

        A window is the ``size`` entries from ``at``: the runner looks at the writes in
        flight that often, and settling them changes links and shadows (so
        :meth:`links_changed` drops them, and the next window is read afresh).
        """
        if at < self._window:
            return
        self._records.clear()
        self._links.clear()
        self._window = at + size
        ids: dict[str, list[str]] = {}
        for entry in self.entries[at : self._window]:
            ids.setdefault(entry.side, []).append(entry.id)
        for side, of_side in ids.items():
            wanted = list(dict.fromkeys(of_side))
            records = self.store.records_of(self.pair, self.entity, side, wanted)
            links = self.store.links_of(self.pair, self.entity, side, wanted)
            for record_id in wanted:
                self._records[(side, record_id)] = records.get(record_id)
                self._links[(side, record_id)] = links.get(record_id)

    def links_changed(self) -> None:
        """Writes were settled, or records renamed: links and shadows are read anew."""
        self._records.clear()
        self._links.clear()
        self._window = 0

    def own_record(
        self, entity: str, side: str, record_id: str
    ) -> tuple[bool, StoredRecord | None]:
        """A record's shadow when its reconciling starts (first: whether it was read here)."""
        if entity != self.entity or (side, record_id) not in self._records:
            return False, None
        return True, self._records.pop((side, record_id))

    def own_link(self, entity: str, side: str, record_id: str) -> tuple[bool, Link | None]:
        """A record's link when its reconciling starts (first: whether it was read here)."""
        if entity != self.entity or (side, record_id) not in self._links:
            return False, None
        return True, self._links.pop((side, record_id))

    # -- the chunk's staged changes, problems and records kept apart ---------------------

    def staged(self, entity: str, side: str, record_id: str) -> list[InboxEntry] | None:
        """A record's staged changes, oldest first (``None``: ask the store)."""
        return self._staged.pop((side, record_id), None) if entity == self.entity else None

    def problems(self, entity: str, side: str, record_id: str) -> list[Problem] | None:
        """A record's open problems, oldest first (``None``: ask the store)."""
        return self._problems.pop((side, record_id), None) if entity == self.entity else None

    def apart(self, entity: str, side: str, record_id: str) -> set[str] | None:
        """The ids a record is kept apart from (``None``: ask the store)."""
        return self._apart.pop((side, record_id), None) if entity == self.entity else None

    def problem_written(self, entity: str, side: str, record_id: str) -> None:
        """A problem of this record was added or resolved: its problems are asked anew."""
        if entity == self.entity:
            self._problems.pop((side, record_id), None)

    def staging_changed(self, entity: str, side: str, record_id: str) -> None:
        """A record's staged changes were dropped or added to: they are asked anew."""
        if entity == self.entity:
            self._staged.pop((side, record_id), None)


__all__ = ["ChunkReads"]
