"""What a run did: counts by entity and action, moves with the rule that decided each, calls."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Move:
    """One record that moved: where to, what was done, which fields, under which rule(s)."""

    entity: str
    record: str
    toward: str
    action: str
    fields: tuple[str, ...]
    rules: tuple[str, ...]

    def as_row(self) -> tuple[str, str, str, str, str, str]:
        """The move as a row of the move log."""
        return (
            self.entity,
            self.record,
            self.toward,
            self.action,
            ",".join(self.fields),
            ",".join(self.rules),
        )


class Progress(Protocol):
    """Receives progress while a run works (the CLI draws a bar from it)."""

    def __call__(self, phase: str, entity: str, done: int, total: int | None) -> None:
        """``phase`` is ``fetch`` or ``apply``; ``total`` is ``None`` when unknown."""
        ...


def no_progress(phase: str, entity: str, done: int, total: int | None) -> None:
    """A progress sink that ignores everything."""


@dataclass
class RunReport:
    """The outcome of one run of one pair."""

    pair: str
    run_id: int
    counts: Counter[str] = field(default_factory=Counter)
    calls: dict[str, int] = field(default_factory=dict)
    moves_sample: list[Move] = field(default_factory=list)
    by_rule: dict[tuple[str, str, str, str], list[object]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0
    stopped: bool = False
    held: list[str] = field(default_factory=list)
    """Why writes were held back by the guard (``syncwright approve`` / ``reject``)."""

    SAMPLE = 200

    @property
    def status(self) -> str:
        """``ok``, ``partial`` (a flow could not finish, see ``errors``), ``stopped``, ``held``.

        ``held``: the guard held writes of a mass change (see ``held``) and the rest went.

        ``stopped``: asked to stop (SIGTERM); what is left waits, journaled or staged, for
        the next run.
        """
        if self.stopped:
            return "stopped"
        if self.errors:
            return "partial"
        return "held" if self.held else "ok"

    def count(self, entity: str, action: str, n: int = 1) -> None:
        """Count ``n`` records of ``entity`` under ``action``."""
        self.counts[f"{entity}.{action}"] += n

    def moved(self, move: Move) -> None:
        """Count a move and keep it in the sample shown to people."""
        self.count(move.entity, f"{move.action}.{move.toward}")
        if len(self.moves_sample) < self.SAMPLE:
            self.moves_sample.append(move)
        key = (move.entity, move.action, move.toward, ", ".join(move.rules))
        group = self.by_rule.setdefault(key, [0, move.record])
        group[0] = int(str(group[0])) + 1

    def by_entity(self) -> dict[str, dict[str, int]]:
        """Counts grouped by entity: ``{"customer": {"create.platform": 3, ...}}``."""
        grouped: dict[str, dict[str, int]] = {}
        for key, n in sorted(self.counts.items()):
            entity, _, action = key.partition(".")
            grouped.setdefault(entity, {})[action] = n
        return grouped
