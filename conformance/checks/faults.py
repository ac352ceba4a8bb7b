"""Faults: a system under load, and records no canonical record can carry (G-5)."""

from __future__ import annotations

from conformance.checks import check
from conformance.checks.context import Ctx
from conformance.checks.flows import flow, other, pair_ready


@check("G-5", level="pair", needs=pair_ready)
def check_transient_faults(ctx: Ctx) -> None:
    """Answers of a system under load (429, 5xx) are retried: nothing lost, nothing twice."""
    world = ctx.paired(flow(ctx))
    if not world.subject.can("flaky"):
        ctx.not_applicable("the system's driver cannot make calls fail")
    for i in range(4):
        world.subject.add(ctx.entity, ctx.sample(f"load-subject-{i}"))
        world.reference.add(ctx.entity, ctx.sample(f"load-reference-{i}"))
    world.subject.flaky(True)
    reports = world.settle()
    world.subject.flaky(False)
    retried = sum(n for r in reports for key, n in r.counts.items() if key.startswith("retry."))
    ctx.expect(retried, "no call failed: the injected faults never reached the connector")
    errors = [e for r in reports for e in r.errors]
    ctx.expect(not errors, f"transient failures were not retried: {errors[:2]}")
    for side in (ctx.role, other(ctx.role)):
        ids = world.driver(side).ids(ctx.entity)
        ctx.expect(len(ids) == 8, f"under load the {side} ended with {len(ids)} of 8 records")
        unlinked = [i for i in ids if world.counterpart(ctx.entity, side, i) is None]
        ctx.expect(not unlinked, f"records left unlinked on the {side}: {unlinked}")


@check("G-5", level="pair", needs=pair_ready)
def check_unreadable_quarantined(ctx: Ctx) -> None:
    """A record that cannot be read is reported (quarantined, G-5); the others go on."""
    world = ctx.paired(flow(ctx))
    if not world.subject.can("add_unreadable"):
        ctx.not_applicable("the system's driver cannot store a malformed record")
    bad = world.subject.add_unreadable(ctx.entity)
    good = world.subject.add(ctx.entity, ctx.sample("readable"))
    world.settle()
    parked = [p for p in world.problems() if p.record_id == bad]
    ctx.expect(parked, f"the unreadable record {bad} was not reported (silently lost)")
    ctx.expect(parked[0].rule == "G-5", f"it was parked under {parked[0].rule}, not G-5")
    ctx.expect(world.counterpart(ctx.entity, ctx.role, good), "one bad record stopped the rest")
    count = len(world.reference.ids(ctx.entity))
    ctx.expect(count == 1, f"the reference holds {count} records, not the readable one only")
