"""Two systems and the real engine between them: where the two-way checks run.

A :class:`World` configures a pair exactly as a store would (``parse_config`` with a
``[pairs.NAME]`` table), builds the real :class:`~framework.engine.engine.Engine` with the
fakes' transports, and runs it. The checks put the subject on one side and a memory
reference system on the other (:func:`paired_with_memory`); scenarios may name any two
subjects.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

from conformance import memory
from conformance.driver import Driver
from conformance.subject import FakeSystem, Role, Subject
from conformance.systems import base_config, hooks_for, system_table
from framework.config import parse_config
from framework.engine.engine import Engine
from framework.engine.report import RunReport
from framework.state.store import Link, Problem

PAIR = "conformance"
DEFAULT_ASSOCIATE = "1"
WRITES = ("create", "update", "delete")


class World:
    """A configured pair of two fake systems and the engine; ``sync()`` runs it once."""

    def __init__(
        self,
        subjects: dict[Role, Subject],
        tmp: Path,
        pair: dict[str, Any],
        fakes: dict[Role, FakeSystem] | None = None,
    ):
        self.subjects = subjects
        made = fakes or {}
        roles: tuple[Role, Role] = ("pos", "platform")
        self.fakes = {r: made.get(r) or subjects[r].fake(tmp / r) for r in roles}
        systems = {r: system_table(subjects[r], self.fakes[r].settings) for r in self.fakes}
        table = {
            "pos": "pos",
            "platform": "platform",
            "default_associate": DEFAULT_ASSOCIATE,
            **pair,
        }
        config = {**base_config(tmp), "systems": systems, "pairs": {PAIR: table}}
        hooks = hooks_for(*subjects.values())
        parsed, _ = parse_config(config, source="conformance", base_dir=tmp, hooks=hooks)
        transports: dict[str, httpx.BaseTransport] = {
            r: f.transport for r, f in self.fakes.items() if f.transport is not None
        }
        self.engine = Engine(parsed, hooks, transports=transports)
        self.reports: list[RunReport] = []

    def driver(self, role: Role) -> Driver:
        """The driver of one side's fake."""
        return self.fakes[role].driver

    # -- running ----------------------------------------------------------------------------

    def sync(self, times: int = 1) -> list[RunReport]:
        """Run the pair ``times`` times (each side's ``before_sync`` first)."""
        reports = []
        for _ in range(times):
            for fake in self.fakes.values():
                fake.driver.before_sync()
            reports.append(self.engine.run_pair(PAIR))
        self.reports.extend(reports)
        return reports

    def settle(self) -> list[RunReport]:
        """Enough runs for writes to land and be read back on systems that take a cycle."""
        return self.sync(3)

    # -- looking ----------------------------------------------------------------------------

    def link(self, entity: str, role: Role, record_id: str) -> Link | None:
        """The link of a record, if it has one."""
        return self.engine.store.link_by_id(PAIR, entity, role, record_id)

    def counterpart(self, entity: str, role: Role, record_id: str) -> str | None:
        """The id of the linked record on the other side (``None``: not linked or pending)."""
        link = self.link(entity, role, record_id)
        other: Role = "platform" if role == "pos" else "pos"
        if link is None or link.status != "ok" or link.pending_on(other):
            return None
        return link.id_on(other)

    def problems(self) -> list[Problem]:
        """Open problems (quarantine)."""
        return self.engine.store.problems(PAIR)

    def close(self) -> None:
        """Close the engine."""
        self.engine.close()


def writes(reports: Iterable[RunReport], entity: str) -> Counter[str]:
    """Writes the runs made, by ``action.side`` (``create.pos``, ``update.platform``…)."""
    found: Counter[str] = Counter()
    for report in reports:
        for key, n in report.counts.items():
            name, _, rest = key.partition(".")
            if name == entity and rest.split(".")[0] in WRITES and n:
                found[rest] += n
    return found


class Paired(World):
    """A world with the subject on one side and a memory reference system on the other."""

    def __init__(
        self,
        subject: Subject,
        role: Role,
        tmp: Path,
        pair: dict[str, Any],
        fake: FakeSystem | None = None,
    ):
        self.role: Role = role
        self.ref_role: Role = "platform" if role == "pos" else "pos"
        subjects: dict[Role, Subject] = {role: subject, self.ref_role: memory.subject}
        super().__init__(subjects, tmp, pair, {role: fake} if fake is not None else None)

    @property
    def subject(self) -> Driver:
        """The subject's driver."""
        return self.driver(self.role)

    @property
    def reference(self) -> Driver:
        """The reference system's driver."""
        return self.driver(self.ref_role)
