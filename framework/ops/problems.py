"""Problems (G-5) as people handle them: listed in groups, retried one or a group, resolved.

``syncwright problems`` and the console's Problems page call these; the retry itself is
:func:`framework.engine.problems.requeue`, under the pair's lease.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from framework.engine.engine import Engine
from framework.engine.problems import requeue
from framework.errors import SyncwrightError
from framework.state.store import Problem, StateStore

# What makes one reason differ from another of the same kind: ids, quoted values, numbers.
_SPECIFIC = re.compile(r"'[^']*'|\"[^\"]*\"|\b[\w.+-]*\d[\w.+@-]*\b")


def reason_kind(reason: str) -> str:
    """A reason with its record-specific parts (ids, quoted values, numbers) as ``…``.

    Problems whose reasons differ only there are of one kind and listed together.
    """
    kind = _SPECIFIC.sub("…", reason)
    return kind if len(kind) <= 120 else kind[:119] + "…"


@dataclass
class ProblemGroup:
    """Open problems of one pair, entity, side and rule whose reasons are of one kind."""

    pair: str
    entity: str
    side: str
    rule: str
    kind: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def key(self) -> str:
        """A stable name of the group (a form names the group it retries by it)."""
        return "|".join((self.pair, self.entity, self.side, self.rule, self.kind))


def grouped(problems: Iterable[Problem]) -> list[ProblemGroup]:
    """Problems grouped by pair, rule, entity, side and kind of reason; largest first."""
    groups: dict[tuple[str, ...], ProblemGroup] = {}
    for p in problems:
        kind = reason_kind(p.reason)
        key = (p.pair, p.entity, p.side, p.rule, kind)
        groups.setdefault(key, ProblemGroup(*key)).problems.append(p)
    return sorted(groups.values(), key=lambda g: (-len(g.problems), g.key))


def open_problems(store: StateStore, ids: Iterable[int] | None = None) -> list[Problem]:
    """The open problems with these ids (every open one when ``ids`` is empty or ``None``).

    Raises:
        SyncwrightError: an id names no open problem (already retried or resolved).
    """
    wanted = list(ids or [])
    found = [p for p in store.problems() if not wanted or p.id in wanted]
    missing = sorted(set(wanted) - {p.id for p in found})
    if missing:
        raise SyncwrightError(
            f"problem {missing[0]} is not open (already retried or resolved, or no such id)"
        )
    return found


@dataclass
class Requeued:
    """What retrying one problem did (``done``: a line for people)."""

    problem: Problem
    done: str


def requeue_problems(engine: Engine, problems: list[Problem]) -> dict[str, list[Requeued]]:
    """Queue problems' changes again, each pair under its lease; by pair.

    A pair the configuration does not name is requeued without its lease (a configuration
    with it runs it). Running the pairs afterwards is the caller's: the CLI runs them at
    once, the console in the background.

    Raises:
        LeaseHeld: a run of one of the pairs is going on (nothing of that pair requeued).
    """
    done: dict[str, list[Requeued]] = {}
    for name in sorted({p.pair for p in problems}):
        mine = [p for p in problems if p.pair == name]
        if name not in engine.config.pairs:
            done[name] = [Requeued(p, requeue(engine.store, p)) for p in mine]
            continue
        with engine.lease(name):  # never under a run of the pair going on
            done[name] = [Requeued(p, requeue(engine.store, p)) for p in mine]
    return done


def resolve(store: StateStore, problem_id: int) -> Problem:
    """Mark an open problem resolved by hand (the change it holds is given up on).

    Raises:
        SyncwrightError: no open problem has this id.
    """
    [problem] = open_problems(store, [problem_id])
    store.resolve_problem(problem.id)
    return problem
