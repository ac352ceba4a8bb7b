"""What a running check has: its subject and variant, a temporary folder, probes and worlds."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

from conformance.checks import Case
from conformance.driver import Driver
from conformance.probe import Probe
from conformance.samples import differences, given_fields, references, sample
from conformance.subject import Claims, FakeSystem, Role
from conformance.world import Paired, World
from framework.models.base import CanonicalRecord

PARENT = "parent"
PARENT_PHONE = "+12175550199"  # the number a POS texts (CB-12): the parent's own
PARENT_FLOW: dict[str, Any] = {
    "direction": "both",
    "match_on": ["email"],
    "fields": {f: {"policy": "overwrite"} for f in ("first_name", "last_name", "emails")},
}
Place = Probe | Paired


class CheckFailed(AssertionError):
    """A check found the subject breaking a rule; the message starts with the rule IDs."""


class NotApplicable(Exception):
    """The check cannot run on this subject (its system lacks what the check needs)."""


class Ctx:
    """The context of one case: build probes and paired worlds, make records, fail clearly."""

    def __init__(self, case: Case, tmp: Path):
        self.case = case
        self.target = case.target
        self.tmp = tmp
        self.entity = case.variant.entity
        self.param = case.variant.param
        self._open: list[Probe | Paired] = []
        self._parents: dict[int, dict[Role | None, str]] = {}

    @property
    def role(self) -> Role:
        """The subject's side in a pair check."""
        assert self.case.variant.role is not None, "only pair checks have a role"
        return self.case.variant.role

    @property
    def claims(self) -> Claims:
        """What the subject claims for the entity."""
        return self.target.claims[self.entity]

    @property
    def edits(self) -> list[str]:
        """The text fields the check edits (those the subject's system holds)."""
        return self.target.edits(self.entity)

    def probe(self) -> Probe:
        """The subject alone, with a fresh fake."""
        probe = Probe(self.target.subject, self.tmp / f"probe{len(self._open)}")
        self._open.append(probe)
        return probe

    def paired(
        self, flow: dict[str, Any], *, fake: FakeSystem | None = None, **pair: Any
    ) -> Paired:
        """The subject in its role, a memory system opposite, ``flow`` for the entity.

        An entity that hangs off customers flows beside a customer flow (its parents'),
        as in every pair that moves such records. ``fake``: the subject's system, when not
        a fresh one of the subject's own fake.
        """
        flows = {self.entity: flow}
        if references(self.entity):
            flows = {"customer": PARENT_FLOW, **flows}
        return self.world(flows, fake=fake, **pair)

    def world(
        self, flows: dict[str, Any], *, fake: FakeSystem | None = None, **pair: Any
    ) -> Paired:
        """The subject in its role, a memory system opposite, exactly ``flows``."""
        world = Paired(
            self.target.subject, self.role, self.next_folder(), {**pair, "flows": flows}, fake
        )
        self._open.append(world)
        return world

    def next_folder(self) -> Path:
        """The folder the next probe or world is made in."""
        return self.tmp / f"world{len(self._open)}"

    # -- records ----------------------------------------------------------------------------

    def sample(
        self, tag: str, refs: dict[str, str] | None = None, **values: Any
    ) -> CanonicalRecord:
        """A sample record, with the values the subject's system requires.

        A driver keeps the fields its system holds.
        """
        return sample(self.entity, tag, refs, **{**self.claims.required, **values})

    def add(
        self,
        place: Place,
        tag: str,
        side: Role | None = None,
        actor: str | None = None,
        **values: Any,
    ) -> str:
        """Make a sample record on a probe's system, or on one side of a world, as a user."""
        driver = place.driver if isinstance(place, Probe) else place.driver(_side(side))
        record = self.sample(tag, self.refs(place, side), **values)
        return driver.add(self.entity, record, actor)

    def refs(self, place: Place, side: Role | None = None) -> dict[str, str]:
        """The ids a record made there refers to (its customer), made once per place."""
        wanted = references(self.entity)
        if not wanted:
            return {}
        if id(place) not in self._parents:
            self._parents[id(place)] = self._parent(place)
        parent = self._parents[id(place)][side if isinstance(place, Paired) else None]
        return dict.fromkeys(wanted, parent)

    def _parent(self, place: Place) -> dict[Role | None, str]:
        record = sample("customer", PARENT, phones=[{"number": PARENT_PHONE, "preferred": True}])
        if isinstance(place, Probe):
            return {None: place.driver.add("customer", record)}
        source = place.role if self.target.reads("customer") else place.ref_role
        made = place.driver(source).add("customer", record)
        place.settle()
        there = place.counterpart("customer", source, made)
        self.expect(there is not None, f"the parent customer made on the {source} was not linked")
        assert there is not None
        return {source: made, _other(source): there}

    def copy_of(self, world: World, side: Role, record_id: str) -> str | None:
        """The id of a record's copy on the other side, ``None`` when it has none.

        From the link; a system that assigns ids later and never reports them (an Edge
        Activity entry) leaves the link pending: its copy is then found by content.
        """
        there = world.counterpart(self.entity, side, record_id)
        link = world.link(self.entity, side, record_id)
        if there is not None or link is None or link.status != "ok":
            return there
        source = world.driver(side).get(self.entity, record_id)
        target = world.driver(_other(side))
        fields = [f for f in self.edits if f in (source or {})]
        found = [
            i
            for i in target.ids(self.entity)
            if not differences(self.entity, source, target.get(self.entity, i), fields)
        ]
        return found[0] if len(found) == 1 else None

    # -- verdicts ---------------------------------------------------------------------------

    def expect(self, condition: object, message: str) -> None:
        """Fail with ``message`` (prefixed with the check's rules) unless ``condition``."""
        if not condition:
            self.fail(message)

    def fail(self, message: str) -> NoReturn:
        """Fail with ``message`` (prefixed with the check's rules)."""
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

    def able(self, driver: Driver, action: str) -> None:
        """Stop (not applicable) unless ``driver`` can ``action`` records of the entity."""
        if not driver.does(self.entity, action):
            self.not_applicable(f"the system's users do not {action} {self.entity} records")

    def holds(self, *fields: str) -> bool:
        """Whether the subject's system holds ``fields``."""
        return self.target.has(self.entity, *fields)

    def close(self) -> None:
        """Close every probe and world."""
        for thing in self._open:
            thing.close()


def _side(side: Role | None) -> Role:
    assert side is not None, "a world needs the side to make the record on"
    return side


def _other(side: Role) -> Role:
    return "platform" if side == "pos" else "pos"


def run_case(case: Case, tmp: Path) -> None:
    """Run one case in ``tmp``."""
    ctx = Ctx(case, tmp)
    try:
        case.check.run(ctx)
    finally:
        ctx.close()
