"""A targeted run: the records webhook notifications named, read fresh, and nothing else.

``syncwright serve`` turns a burst of notifications for one pair into one run of that pair
with :class:`Targets`. Such a run replays the journal as any run does, then, for each entity
named, reads each named record again from its system (``fetch_records``; never the
notification's payload) and stages what differs from its shadow, **without** moving the
cursor: the scheduled poll still reads everything from where it stood, so a notification
that was dropped, or a record a targeted run could not read, is caught there. An echo of
our own write reads back equal to its shadow and is not staged: it moves nothing.

Only the notifying side is read: the other side's changes wait for the poll, where the
pair's conflict policy weighs both as always (the shadow is the common base).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from framework.engine.flows import Side
from framework.models import Change

log = logging.getLogger("syncwright.engine")

BATCH = 100  # ids per fetch_records call


@dataclass
class Targets:
    """Records to read again, by side and entity; ``notifications`` for the run report."""

    records: dict[tuple[Side, str], set[str]] = field(default_factory=dict)
    notifications: int = 0

    def add(self, side: Side, entity: str, ids: list[str]) -> None:
        """Name more records."""
        self.records.setdefault((side, entity), set()).update(ids)

    def entities(self) -> set[str]:
        """The entities named."""
        return {entity for _, entity in self.records}

    def of(self, entity: str) -> list[tuple[Side, list[str]]]:
        """The sides and sorted ids named for ``entity``."""
        return [(side, sorted(ids)) for (side, e), ids in self.records.items() if e == entity]

    def __len__(self) -> int:
        return sum(len(ids) for ids in self.records.values())


def batches(ids: list[str]) -> list[list[str]]:
    """``ids`` in slices a connector reads in one call."""
    return [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]


def missing(asked: list[str], changes: list[Change]) -> list[str]:
    """Ids a connector did not answer for (logged; the poll reads them)."""
    answered = {c.id for c in changes} | {s for c in changes for s in c.supersedes}
    return [i for i in asked if i not in answered]
