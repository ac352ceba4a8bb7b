"""What a connector keeps out of a sync.

Single writes where it could batch (IS-6), and records the rules say are not of the entity
(CB-6, CB-7).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from conformance.checks import Variant, check
from conformance.checks.context import Ctx
from conformance.checks.flows import flow, needs_all, pair_ready
from conformance.checks.target import Target
from conformance.world import Paired, writes
from framework.models import SystemContext

BATCHED = 5


def _batches(target: Target, variant: Variant) -> str | None:
    support = target.support(variant.entity)
    if support.batch_size < 2:
        return "the connector writes one record per call (batch_size 1)"
    if not (support.create and support.update):
        return "the connector does not create and update it"
    return None


def _counting(world: Paired, role: str) -> tuple[dict[str, int], Callable[[], None]]:
    """Count the write calls the engine makes to the subject; returns the counts and undo."""
    hooks = world.engine.hooks
    real: dict[str, Callable[..., Any]] = {
        "apply_change": hooks.apply_change,
        "apply_batch": hooks.apply_batch,
    }
    counts = dict.fromkeys(real, 0)

    def counted(name: str) -> Callable[[SystemContext, Any], Any]:
        def call(system: SystemContext, request: Any) -> Any:
            if system.name == role:
                counts[name] += 1
            return real[name](system, request)

        return call

    for name in real:
        setattr(hooks, name, counted(name))

    def undo() -> None:
        for name in real:
            delattr(hooks, name)

    return counts, undo


@check("IS-6", level="pair", needs=needs_all(pair_ready, _batches))
def check_batched_writes(ctx: Ctx) -> None:
    """Writes go in batches as large as the system takes; a run with nothing new writes nothing."""
    world = ctx.paired(flow(ctx, "both" if ctx.target.reads(ctx.entity) else None))
    size = ctx.target.support(ctx.entity).batch_size
    made = [ctx.add(world, f"batch-{i}", world.ref_role) for i in range(BATCHED)]
    ctx.refs(world, world.ref_role)
    counts, undo = _counting(world, ctx.role)
    try:
        world.sync()
        creates = dict(counts)
        field = ctx.edits[0]
        for i, record_id in enumerate(made):
            world.reference.edit(ctx.entity, record_id, {field: f"Batched{i}"})
        before = dict(counts)
        world.sync()
        updates = {k: counts[k] - before[k] for k in counts}
        before = dict(counts)
        quiet = world.sync(2)
        idle = {k: counts[k] - before[k] for k in counts}
    finally:
        undo()
    calls = math.ceil(BATCHED / size)
    for what, seen in (("creates", creates), ("updates", updates)):
        ctx.expect(
            seen == {"apply_change": 0, "apply_batch": calls},
            f"{BATCHED} {what} took {seen} write calls, not {calls} batch(es) of up to {size}",
        )
    ctx.expect(not any(idle.values()), f"runs with nothing new made write calls: {idle}")
    ctx.expect(not writes(quiet, ctx.entity), "runs with nothing new wrote records")


def _foreign(target: Target, variant: Variant) -> str | None:
    if not target.reads(variant.entity):
        return "the connector does not read it"
    return None


@check("CB-6", "CB-7", level="pair", needs=needs_all(pair_ready, _foreign))
def check_foreign_records_ignored(ctx: Ctx) -> None:
    """What the rules say is no record of the entity is never reported, linked or copied.

    A Clientbook item of a collection other than the wish list is no wish (CB-6); a message
    entry of the recent activity is no note (CB-7).
    """
    world = ctx.paired(flow(ctx))
    sample = ctx.sample("foreign", ctx.refs(world, ctx.role))
    try:
        foreign = world.subject.add_foreign(ctx.entity, sample)
    except NotImplementedError:
        ctx.not_applicable(f"nothing in the system looks like a {ctx.entity} but is not one")
        raise
    own = ctx.add(world, "own", ctx.role)
    reports = world.settle()
    ctx.expect(ctx.copy_of(world, ctx.role, own), "the subject's own record did not flow")
    ctx.expect(world.link(ctx.entity, ctx.role, foreign) is None, f"{foreign} was taken for one")
    count = len(world.reference.ids(ctx.entity))
    ctx.expect(count == 1, f"the reference holds {count} records, not the subject's one")
    problems = [p.reason for p in world.problems() if p.record_id == foreign]
    ctx.expect(not problems, f"{foreign} was reported as a record gone wrong: {problems}")
    ctx.expect(not writes(reports[1:], ctx.entity), "a settled pair went on writing")
