"""What a chunk's records are looked up by, read once for the whole chunk (issue 17).

Reconciling a record starts with the same look-ups every time: its staged changes, its
open problems (a readable change supersedes them), the records it is kept apart from.
Almost always there is nothing but its own staged change. Read one record at a time that
is three statements a record; read for the chunk's records at once (``runner._chunk``,
before the first record's savepoint) it is three a chunk.

What is read here must be what the store would answer when the record asks. It is, for
these reasons:

- every fact is read once, when the chunk starts, outside any record's savepoint: it is
  the store as it is then;
- every fact is handed out **once** (the first look-up of that record takes it): a later
  look-up of the same record in the chunk (a record deferred and parked, a record staged
  twice) asks the store, and no two callers share one object;
- a write that changes a fact before it is taken **drops** it (the look-up then asks the
  store): a problem added or resolved (``PairContext.quarantine``, ``superseded``,
  ``covered``, ``resolve``: every problem the engine files or resolves goes through them),
  a record's staged changes dropped or added to (``held.Parking``: a child parked, or
  staged again when its parent is linked);
- a fact dropped is never read again in this chunk, so a savepoint rolled back (a record
  that failed, was deferred, or waits for the whole read) cannot leave one saying what
  the store no longer does: a rollback only takes the store back to an earlier state, and
  whatever changed since the chunk started was dropped when it changed;
- nothing else writes them while a chunk is reconciled: staged changes are dropped by the
  runner when the chunk ends (and by parking), and staged by reading, between chunks;
  records are kept apart by operators only (``unlink --keep-apart``).
"""

from __future__ import annotations

from framework.state.store import InboxEntry, Problem, StateStore

Key = tuple[str, str]
"""A record of the chunk's entity: (side, id)."""


class ChunkReads:
    """The look-ups of one chunk's records, each handed out once (see the module docstring)."""

    def __init__(self, store: StateStore, pair: str, entity: str, entries: list[InboxEntry]):
        self.entity = entity
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
