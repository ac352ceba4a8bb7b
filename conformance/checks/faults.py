"""Faults: a system under load, and records no canonical record can carry (G-5)."""

from __future__ import annotations

from conformance.checks import Variant, check
from conformance.checks.context import Ctx
from conformance.checks.flows import (
    creates_on,
    default_direction,
    flow,
    flows_from,
    needs_all,
    other,
    pair_ready,
)
from conformance.checks.target import Target
from conformance.subject import Role


@check("G-5", level="pair", needs=pair_ready)
def check_transient_faults(ctx: Ctx) -> None:
    """Answers of a system under load (429, 5xx) are retried: nothing lost, nothing twice."""
    direction = default_direction(ctx.target, ctx.case.variant)
    world = ctx.paired(flow(ctx))
    if not world.subject.can("flaky"):
        ctx.not_applicable("the system's driver cannot make calls fail")
    sources = [
        side
        for side in (ctx.role, other(ctx.role))
        if flows_from(direction, side)
        and world.driver(side).does(ctx.entity, "add")
        and creates_on(ctx, other(side))
    ]
    made: dict[Role, list[str]] = {side: [] for side in sources}
    ctx.refs(world, ctx.role)  # parents first, while the system is well
    world.subject.flaky(True)
    reports = []
    for i in range(4):  # a run each: enough calls for the faults to hit a batching connector
        for side in sources:
            made[side].append(ctx.add(world, f"load-{side}-{i}", side))
        reports += world.sync()
    reports += world.settle()
    world.subject.flaky(False)
    retried = sum(n for r in reports for key, n in r.counts.items() if key.startswith("retry."))
    ctx.expect(retried, "no call failed: the injected faults never reached the connector")
    errors = [e for r in reports for e in r.errors]
    ctx.expect(not errors, f"transient failures were not retried: {errors[:2]}")
    for side in (ctx.role, other(ctx.role)):
        expected = len(made.get(side, [])) + len(made.get(other(side), []))
        ids = world.driver(side).ids(ctx.entity)
        ctx.expect(
            len(ids) == expected, f"under load the {side} ended with {len(ids)} of {expected}"
        )
    for side, ids in made.items():
        unlinked = [i for i in ids if ctx.copy_of(world, side, i) is None]
        ctx.expect(not unlinked, f"records left unlinked on the {side}: {unlinked}")


def _read_from_subject(target: Target, variant: Variant) -> str | None:
    if not flows_from(default_direction(target, variant), variant.role or "pos"):
        return "the subject's records of it are never read"
    return None


@check("G-5", level="pair", needs=needs_all(pair_ready, _read_from_subject))
def check_unreadable_quarantined(ctx: Ctx) -> None:
    """A record that cannot be read is reported (quarantined, G-5); the others go on."""
    world = ctx.paired(flow(ctx))
    if not world.subject.can("add_unreadable"):
        ctx.not_applicable("the system's driver cannot store a malformed record")
    try:
        bad = world.subject.add_unreadable(ctx.entity)
    except NotImplementedError:
        ctx.not_applicable(f"the system's driver cannot store a malformed {ctx.entity}")
        raise
    good = ctx.add(world, "readable", ctx.role)
    world.settle()
    parked = [p for p in world.problems() if p.record_id == bad]
    ctx.expect(parked, f"the unreadable record {bad} was not reported (silently lost)")
    ctx.expect(parked[0].rule == "G-5", f"it was parked under {parked[0].rule}, not G-5")
    ctx.expect(ctx.copy_of(world, ctx.role, good), "one bad record stopped the rest")
    count = len(world.reference.ids(ctx.entity))
    ctx.expect(count == 1, f"the reference holds {count} records, not the readable one only")
