"""``syncwright plan``: what a run of each pair would do, without doing it (engine/plan.py)."""

from __future__ import annotations

from framework.engine.engine import Engine
from framework.engine.plan import Plan, plan_pair


def plan(engine: Engine, pairs: list[str]) -> list[Plan]:
    """The plan of each of ``pairs``: nothing is written to a system, no cursor moves."""
    return [plan_pair(engine, name) for name in pairs]
