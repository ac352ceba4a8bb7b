"""What a running check has: its subject and variant, a temporary folder, probes and worlds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.checks import Case
from conformance.probe import Probe
from conformance.samples import SAMPLES, differences, given_fields
from conformance.subject import Role
from conformance.world import Paired
from framework.models.base import CanonicalRecord


class CheckFailed(AssertionError):
    """A check found the subject breaking a rule; the message starts with the rule IDs."""


class NotApplicable(Exception):
    """The check cannot run on this subject (its system lacks what the check needs)."""


class Ctx:
    """The context of one case: build probes and paired worlds, compare, fail clearly."""

    def __init__(self, case: Case, tmp: Path):
        self.case = case
        self.target = case.target
        self.tmp = tmp
        self.entity = case.variant.entity
        self.param = case.variant.param
        self._open: list[Probe | Paired] = []

    @property
    def role(self) -> Role:
        """The subject's side in a pair check."""
        assert self.case.variant.role is not None, "only pair checks have a role"
        return self.case.variant.role

    def probe(self) -> Probe:
        """The subject alone, with a fresh fake."""
        probe = Probe(self.target.subject, self.tmp / f"probe{len(self._open)}")
        self._open.append(probe)
        return probe

    def paired(self, flow: dict[str, Any], **pair: Any) -> Paired:
        """The subject in its role, a memory system opposite, ``flow`` for the entity."""
        world = Paired(
            self.target.subject,
            self.role,
            self.tmp / f"world{len(self._open)}",
            {**pair, "flows": {self.entity: flow}},
        )
        self._open.append(world)
        return world

    def sample(self, tag: str, **values: Any) -> CanonicalRecord:
        """A sample record (a driver keeps the fields its system holds)."""
        return SAMPLES[self.entity](tag, **values)

    def expect(self, condition: object, message: str) -> None:
        """Fail with ``message`` (prefixed with the check's rules) unless ``condition``."""
        if not condition:
            raise CheckFailed(f"[{', '.join(self.case.rules)}] {self.target.label}: {message}")

    def expect_same(
        self,
        expected: CanonicalRecord | dict[str, Any] | None,
        actual: CanonicalRecord | dict[str, Any] | None,
        what: str,
        fields: list[str] | None = None,
    ) -> None:
        """Fail unless two records agree on ``fields`` (default: those ``expected`` sets)."""
        self.expect(actual is not None, f"{what}: the record is missing")
        if fields is None:
            assert expected is not None
            fields = [f for f in given_fields(self.entity, expected) if self.holds(f)]
        diff = differences(self.entity, expected, actual, fields)
        self.expect(not diff, f"{what}: {'; '.join(diff)}")

    def not_applicable(self, reason: str) -> None:
        """Stop: this check does not apply to the subject, for ``reason``."""
        raise NotApplicable(reason)

    def holds(self, *fields: str) -> bool:
        """Whether the subject's system holds ``fields``."""
        return self.target.has(self.entity, *fields)

    def close(self) -> None:
        """Close every probe and world."""
        for thing in self._open:
            thing.close()


def run_case(case: Case, tmp: Path) -> None:
    """Run one case in ``tmp``."""
    ctx = Ctx(case, tmp)
    try:
        case.check.run(ctx)
    finally:
        ctx.close()
