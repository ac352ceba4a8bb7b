"""The bundled scenarios as checks: each runs for the subjects it names, citing its rules."""

from __future__ import annotations

from conformance.checks import Param, Variant, check
from conformance.checks.context import Ctx
from conformance.checks.target import Target
from conformance.scenarios import bundled_scenarios
from conformance.scenarios.model import Side
from conformance.scenarios.runner import run_scenario
from conformance.subject import Subject

SIDES: tuple[Side, Side] = ("pos", "platform")


def _scenarios(target: Target, variant: Variant) -> list[str | Param]:
    name = target.label
    return [
        Param(s.name, tuple(s.rules))
        for s in bundled_scenarios()
        if s.entity == variant.entity and any(name in s.subjects_on(side) for side in SIDES)
    ]


@check(*sorted({r for s in bundled_scenarios() for r in s.rules}), params=_scenarios)
def check_scenario(ctx: Ctx) -> None:
    """A bundled scenario (an example of the source documents) holds with the subject in it."""
    scenario = next(s for s in bundled_scenarios() if s.name == ctx.param)
    mine: dict[Side, Subject] = {
        side: ctx.target.subject for side in SIDES if ctx.target.label in scenario.subjects_on(side)
    }
    failures = run_scenario(scenario, ctx.tmp, mine)
    ctx.expect(not failures, f"scenario {scenario.name}: " + "; ".join(failures))
