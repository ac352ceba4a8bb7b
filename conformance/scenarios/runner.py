"""Playing a scenario: make its records, run its steps through the real engine, check it.

Records are made and edited through each side's driver, as the systems' users would;
``sync`` runs the engine; checkpoints and the final ``expect`` compare what each system
holds with what the scenario says, field by field (a subset: fields the scenario does not
name are not compared; lists must have the same length and match element by element).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.driver import Driver
from conformance.scenarios import ScenarioError
from conformance.scenarios.model import (
    CreateStep,
    DeleteStep,
    EditStep,
    Expect,
    ExpectStep,
    FaultStep,
    Scenario,
    Side,
    Step,
    SyncStep,
)
from conformance.subject import Subject, load_subjects
from conformance.world import PAIR, World
from framework.engine.duplicates import find_duplicates
from framework.models.base import entity_model


def mismatches(expected: Any, actual: Any, where: str) -> list[str]:
    """How ``actual`` differs from ``expected`` (dicts compared on the expected keys)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        out = []
        for key, value in expected.items():
            out += mismatches(value, actual.get(key), f"{where}.{key}")
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: expected {len(expected)} item(s), got {actual!r}"]
        out = []
        for i, (want, got) in enumerate(zip(expected, actual, strict=True)):
            out += mismatches(want, got, f"{where}[{i}]")
        return out
    return [] if expected == actual else [f"{where}: expected {expected!r}, got {actual!r}"]


class ScenarioRun:
    """One play of a scenario in a world of its two systems."""

    def __init__(self, scenario: Scenario, world: World):
        self.scenario = scenario
        self.world = world
        self.entity = scenario.entity
        self.aliases: dict[str, tuple[Side, str, str]] = {}
        self.failures: list[str] = []

    def play(self) -> list[str]:
        """Make the records, run every step, check the end; returns the failures."""
        codes = self.scenario.codes
        for side, records in self.scenario.records.items():
            for alias, values in records.items():
                self._create(side, alias, values, None, self.entity, codes.get(alias))
        for number, step in enumerate(self.scenario.steps, start=1):
            self._step(number, step)
        self._check("at the end", self.scenario.expect)
        return self.failures

    def _step(self, number: int, step: Step) -> None:
        if isinstance(step, SyncStep):
            self.world.sync(step.sync)
        elif isinstance(step, CreateStep):
            made = step.create
            entity = made.entity or self.entity
            self._create(made.side, made.record, made.values, made.actor, entity, made.code)
        elif isinstance(step, EditStep):
            edit = step.edit
            driver = self.world.driver(edit.side)
            record_id = self._where(edit.record, edit.side, number)
            values = self._resolved(edit.side, self._entity(edit.record), edit.values)
            driver.edit(self._entity(edit.record), record_id, values, _actor(driver, edit.actor))
        elif isinstance(step, DeleteStep):
            gone = step.delete
            driver = self.world.driver(gone.side)
            record_id = self._where(gone.record, gone.side, number)
            driver.delete(self._entity(gone.record), record_id, _actor(driver, gone.actor))
        elif isinstance(step, FaultStep):
            self.world.driver(step.fault.side).outage(step.fault.down)
        elif isinstance(step, ExpectStep):
            self._check(f"at step {number}", step.expect)

    def _create(
        self,
        side: Side,
        alias: str,
        values: dict[str, Any],
        actor: str | None,
        entity: str,
        code: str | None,
    ) -> None:
        if alias in self.aliases:
            raise ScenarioError(f"{self.scenario.name}: record alias {alias!r} used twice")
        driver = self.world.driver(side)
        record = entity_model(entity).model_validate(self._resolved(side, entity, values))
        who = _actor(driver, actor)
        if code is None:
            made = driver.add(entity, record, who)
        else:
            try:
                made = driver.add_with_code(entity, record, code, who)
            except NotImplementedError:
                raise ScenarioError(
                    f"{self.scenario.name}: {alias!r}: the {side} system keeps no shared code"
                ) from None
        self.aliases[alias] = (side, made, entity)

    def _resolved(self, side: Side, entity: str, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` with references by alias (``@jan``) replaced by ids on ``side``."""
        out = dict(values)
        for field in entity_model(entity).ref_fields():
            value = out.get(field)
            if isinstance(value, str) and value.startswith("@"):
                out[field] = self._where(value[1:], side, 0)
        return out

    def _entity(self, alias: str) -> str:
        if alias not in self.aliases:
            raise ScenarioError(f"{self.scenario.name}: no record has the alias {alias!r}")
        return self.aliases[alias][2]

    def _where(self, alias: str, side: Side, step: int) -> str:
        record_id = self._id(alias, side)
        if record_id is None:
            raise ScenarioError(
                f"{self.scenario.name}, step {step}: {alias!r} is not on the {side} (not linked)"
            )
        return record_id

    def _id(self, alias: str, side: Side) -> str | None:
        if alias not in self.aliases:
            raise ScenarioError(f"{self.scenario.name}: no record has the alias {alias!r}")
        made_on, record_id, entity = self.aliases[alias]
        if made_on == side:
            return record_id
        return self.world.counterpart(entity, made_on, record_id)

    def _check(self, when: str, expect: Expect) -> None:
        for side in ("pos", "platform"):
            wanted: dict[str, dict[str, Any] | None] = getattr(expect, side)
            driver = self.world.driver(side)
            for alias, fields in wanted.items():
                record_id = self._id(alias, side)
                entity = self._entity(alias)
                held = driver.get(entity, record_id) if record_id is not None else None
                where = f"{when}, {side} {alias}"
                if fields is None:
                    if held is not None:
                        self.failures.append(f"{where}: expected no record, found {record_id}")
                elif held is None:
                    self.failures.append(f"{where}: no such record on the {side}")
                else:
                    self.failures += mismatches(fields, held, where)
            if side in expect.count:
                count = len(driver.ids(self.entity))
                if count != expect.count[side]:
                    wants = expect.count[side]
                    self.failures.append(f"{when}: the {side} holds {count} records, not {wants}")
        problems = self.world.problems()
        for wanted_problem in expect.problems:
            if not any(
                p.rule == wanted_problem.rule and (wanted_problem.reason or "") in p.reason
                for p in problems
            ):
                found = [f"{p.rule}: {p.reason}" for p in problems] or "none"
                self.failures.append(f"{when}: no {wanted_problem.rule} problem (open: {found})")
        for group in expect.duplicates:
            ids = sorted(str(self._id(alias, group.side)) for alias in group.records)
            found_groups = [
                sorted(g.ids)
                for g in find_duplicates(self.world.engine, PAIR, self.entity, group.side)
            ]
            if ids not in found_groups:
                self.failures.append(
                    f"{when}: {group.records} on the {group.side} were not reported as one "
                    f"group of duplicates (reported: {found_groups or 'none'})"
                )


def _actor(driver: Driver, actor: str | None) -> str | None:
    if actor in ("mapped", "unmapped") and driver.users is not None:
        return str(getattr(driver.users, actor))
    return actor


def run_scenario(
    scenario: Scenario, tmp: Path, subjects: dict[Side, Subject] | None = None
) -> list[str]:
    """Play ``scenario`` in ``tmp``; returns what did not hold (empty: it passed).

    Args:
        scenario: the scenario.
        tmp: a folder for the fakes and the state.
        subjects: the subject to use per side (default: the installed subjects the
            scenario names).

    Raises:
        ScenarioError: the scenario names a missing subject or an unknown alias.
    """
    chosen = dict(subjects or {})
    for side in scenario.systems:
        if side not in chosen:
            try:
                chosen[side] = load_subjects(scenario.subjects_on(side)[:1])[0]
            except LookupError as exc:
                raise ScenarioError(f"{scenario.name}: systems.{side}: {exc}") from None
    world = World(chosen, tmp, scenario.pair)
    try:
        return ScenarioRun(scenario, world).play()
    finally:
        world.close()
