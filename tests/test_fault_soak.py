"""Fault soak: the initial upload and its follow-up runs with 10-20% of requests failing.

Every fault kind of the toolkit, before and after the fake did the work, and a server-side
rate limit, against the real engine and both fakes; the result must equal a fault-free run
of the same store exactly, with nothing lost, nothing duplicated, nothing left pending.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fakes.toolkit import FaultPlan, FaultRule, RateLimit
from tests.crash import Snapshot, edit_both, seed_both, snapshot
from tests.harness import World

EDGE, CLIENTBOOK, SHARED = 1000, 200, 40
PAGE = {"page_size": 8}  # more pages: more requests to fail
FAST = {
    "engine": {"retry_attempts": 4, "retry_initial_wait": 0.005, "retry_max_wait": 0.3},
    "systems": {"clientbook": {"timeout": 0.1}},
}


def every_fault(rate: float) -> list[FaultRule]:
    """Rules adding up to ``rate`` of all requests, spread over every kind and moment."""
    kinds = [
        ("429", "before"),
        ("500", "before"),
        ("502", "after"),
        ("503", "before"),
        ("504", "after"),
        ("slow", "before"),
        ("slow", "after"),
        ("drop", "before"),
        ("drop", "after"),
        ("malformed", "before"),
        ("malformed", "after"),
    ]
    # Each rule sees only the calls the rules before it let through: share the rate out so
    # the total comes to ``rate``. Each kind also fires on one early call, whatever the dice.
    rules, left = [], 1.0
    share = rate / len(kinds)
    for n, (kind, when) in enumerate(kinds):
        rule = {"kind": kind, "when": when, "rate": share / left, "nth": [n + 2]}
        rules.append(FaultRule.model_validate({**rule, "retry_after": 0.01, "delay": 0.3}))
        left -= share
    return rules


def converge(world: World, max_runs: int = 15, rounds: int = 2) -> int:
    """Sync until a run fails nothing and writes nothing, edit both sides, again.

    Returns the runs it took.
    """
    runs = _quiet(world, max_runs)
    for round_ in range(rounds):
        edit_both(world.edge, world.cb, round_)
        runs += _quiet(world, max_runs)
    return runs


def _quiet(world: World, max_runs: int) -> int:
    for n in range(1, max_runs + 1):
        report = world.sync()
        writes = sum(v for k, v in report.counts.items() if k.split(".")[1] in ("create", "update"))
        pending = world.engine.store.intents("store") or world.engine.store.inbox_count("store")
        if n >= 4 and not report.errors and not writes and not pending:
            return n
    raise AssertionError(f"no quiet run after {max_runs} runs: {world.reports[-1].errors}")


def run_store(tmp: Path, plan: FaultPlan | None) -> tuple[Snapshot, World]:
    world = World(tmp, PAGE, settings=FAST)
    seed_both(world.edge, world.cb, EDGE, CLIENTBOOK, SHARED)
    if plan is not None:
        world.faults.configure(plan)
    converge(world)
    world.faults.configure(FaultPlan())
    result = snapshot(world.edge, world.cb, tmp / "state.db")
    return result, world


@pytest.fixture(scope="module")
def fault_free(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    result, world = run_store(tmp_path_factory.mktemp("fault-free"), None)
    world.close()
    assert result.pending == {"journal": 0, "inbox": 0}
    assert result.edge_count == EDGE + CLIENTBOOK + 40
    assert result.clientbook_count == EDGE + CLIENTBOOK + 40
    return result


@pytest.mark.slow  # uploads under faults, three rates
@pytest.mark.rule("G-5", "G-6", "G-2")
@pytest.mark.parametrize(("rate", "seed"), [(0.10, 1), (0.15, 2), (0.20, 3)])
def test_upload_under_faults_converges_to_the_fault_free_result(
    tmp_path: Path, fault_free: Snapshot, rate: float, seed: int
):
    plan = FaultPlan(
        rules=every_fault(rate), rate_limit=RateLimit(requests=40, window=0.25), seed=seed
    )
    world = World(tmp_path, PAGE, settings=FAST)
    seed_both(world.edge, world.cb, EDGE, CLIENTBOOK, SHARED)
    world.faults.configure(plan)
    runs = converge(world)
    summary = world.faults.summary()
    injected = world.faults.total()
    calls = summary["calls"] + summary["rate_limited"]
    world.faults.configure(FaultPlan())
    result = snapshot(world.edge, world.cb, tmp_path / "state.db")
    world.close()
    print(f"\nfault soak rate={rate}: {calls} requests, {injected} faults {summary}, {runs} runs")
    diff = result.differences(fault_free)
    assert diff == [], "\n".join(diff)
    assert set(summary["injected"]) == {r.kind for r in plan.rules}, "every kind fired"
    assert summary["after_the_work"], "some faults hit after the work landed"
    assert injected >= rate * 0.6 * calls, "the faults were really injected"
