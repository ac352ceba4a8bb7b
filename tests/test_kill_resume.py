"""Kill-and-resume: the engine is SIGKILLed at random points and resumed (G-2, G-5, G-6).

The engine runs as ``python -m framework.cli run --once`` in a subprocess; the fake
Clientbook (uvicorn, in this process) and the fake Edge (files on disk) outlive it. A store
of a couple of thousand customers goes through its initial upload, the EDT cycles that
land the downloads, and a round of edits on both sides, while the engine is killed:

- at random moments of its run (reading, reconciling, writing import files, committing);
- right after the fake carried out a write, before the answer left (the write landed, the
  engine never heard of it);
- anywhere, with 10% of requests failing besides.

After resuming, both sides must equal an uninterrupted run of the same store exactly: no
record missing, none duplicated, nothing left in the journal or the inbox.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from fakes.toolkit import FaultPlan, FaultRule
from tests.crash import WRITES, CrashWorld, Snapshot, edit_both

EDGE, CLIENTBOOK, SHARED = 3000, 400, 80
# Per phase: an EDT cycle, edits on both sides or not, then runs until one completes.
PHASES = [False, False, True, False, False]
# Kills to land per phase: most in the upload, some where downloads land and edits move.
KILLS = [6, 3, 3, 1, 0]
SETTLE = 3


def make_world(tmp: Path, faults: FaultPlan | None = None) -> CrashWorld:
    return CrashWorld(
        tmp, edge_customers=EDGE, clientbook_clients_n=CLIENTBOOK, shared=SHARED, faults=faults
    )


@dataclass
class Reference:
    """The uninterrupted run: its result, and per phase how long it took and its requests."""

    result: Snapshot
    seconds: list[float] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)
    writes: list[int] = field(default_factory=list)


def finish(world: CrashWorld) -> None:
    """A few more complete cycles and runs: imports land and are read back."""
    for _ in range(SETTLE):
        world.edge.run_cycle()
        attempt = world.run()
        assert attempt.returncode == 0, attempt.output[-3000:]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    world = make_world(tmp_path_factory.mktemp("uninterrupted"))
    ref = Reference(result=None)  # type: ignore[arg-type]
    for n, edits in enumerate(PHASES):
        world.edge.run_cycle()
        if edits:
            edit_both(world.edge, world.cb, n)
        calls, writes = world.switch.total, world.switch.writes
        attempt = world.run()
        assert attempt.returncode == 0, attempt.output[-3000:]
        ref.seconds.append(attempt.work_seconds)
        ref.calls.append(world.switch.total - calls)
        ref.writes.append(world.switch.writes - writes)
    finish(world)
    ref.result = world.snapshot()
    world.close()
    assert ref.result.pending == {"journal": 0, "inbox": 0}
    assert ref.result.problems == {}
    assert ref.result.edge_count == ref.result.clientbook_count
    assert sum(ref.result.pairs.values()) == ref.result.edge_count, "everyone is linked"
    return ref


Kill = str  # "time", "write" or "call"


def play(world: CrashWorld, ref: Reference, rnd: random.Random, kinds: list[Kill]) -> int:
    """The reference's phases, with kills landing before each phase's completing run.

    Each phase makes attempts until its share of kills (``KILLS``) has landed inside a
    run, drawing the way to kill from ``kinds``. Returns how many kills landed.
    """
    kills = 0
    for n, edits in enumerate(PHASES):
        world.edge.run_cycle()
        if edits:
            edit_both(world.edge, world.cb, n)
        landed = 0
        # What is left of the phase's work, estimated from the uninterrupted run: each kill
        # lands somewhere in it, and the resumed run goes on from there.
        left = ref.seconds[n]
        calls, writes = world.switch.total, world.switch.writes
        for _ in range(3 * KILLS[n]):
            if landed == KILLS[n]:
                break
            kind = rnd.choice(kinds)
            if kind == "time":
                delay = rnd.uniform(0.0, left)
                attempt = world.run_killed_after(delay)
                left = max(0.05, left - delay) if attempt.killed else attempt.work_seconds
            elif kind == "write":
                todo = ref.writes[n] - (world.switch.writes - writes)
                attempt = world.run_killed_at_call(rnd.randint(1, max(1, todo)), WRITES)
            else:
                todo = ref.calls[n] - (world.switch.total - calls)
                attempt = world.run_killed_at_call(rnd.randint(1, max(1, todo)))
            landed += attempt.killed
            assert attempt.killed or attempt.returncode in (0, 1), attempt.output[-3000:]
        kills += landed
        attempt = world.run()
        assert attempt.returncode in (0, 1), attempt.output[-3000:]
    return kills


def check(world: CrashWorld, ref: Reference, kills: int, least: int) -> None:
    finish(world)
    result = world.snapshot()
    world.close()
    print(f"\nkill-and-resume: {kills} kill points, {len(world.attempts)} engine processes")
    differences = result.differences(ref.result)
    assert differences == [], "\n".join(differences)
    assert kills >= least, f"only {kills} kills landed inside a run"


@pytest.mark.slow
@pytest.mark.rule("G-2", "G-5", "G-6")
def test_killed_at_random_moments_and_right_after_writes_then_resumed_equals_the_reference(
    tmp_path: Path, reference: Reference
):
    world = make_world(tmp_path)
    kills = play(world, reference, random.Random(11), ["time", "write", "call"])
    check(world, reference, kills, least=10)


@pytest.mark.slow
@pytest.mark.rule("G-2", "G-5", "G-6")
def test_killed_anywhere_under_faults_then_resumed_equals_the_uninterrupted_run(
    tmp_path: Path, reference: Reference
):
    faults = FaultPlan(
        rules=[
            FaultRule(kind="503", rate=0.03, retry_after=0.01),
            FaultRule(kind="drop", rate=0.03, when="after"),
            FaultRule(kind="malformed", rate=0.02, when="after"),
            FaultRule(kind="429", rate=0.02, retry_after=0.01),
        ],
        seed=33,
    )
    world = make_world(tmp_path, faults)
    kills = play(world, reference, random.Random(33), ["time", "write", "call"])
    injected = world.faults.total()
    print(f"\nkill-and-resume under faults: {world.faults.summary()}")
    world.faults.configure(FaultPlan())
    assert injected > 0
    check(world, reference, kills, least=10)
