"""Deletes go only where the rules send them, and a failed run deletes nothing (G-7, G-5)."""

from __future__ import annotations

from conformance.checks import Variant, check
from conformance.checks.context import Ctx
from conformance.checks.flows import flow, needs_all, other, pair_ready
from conformance.checks.target import Target, sees_deletes
from conformance.world import Paired, writes


def _linked_pair(ctx: Ctx, world: Paired, tag: str) -> tuple[str, str, str, str]:
    """One record made on each side, both linked: (mine, its counterpart, theirs, its)."""
    mine = world.subject.add(ctx.entity, ctx.sample(f"{tag}-subject"))
    theirs = world.reference.add(ctx.entity, ctx.sample(f"{tag}-reference"))
    world.settle()
    mine_there = world.counterpart(ctx.entity, ctx.role, mine)
    theirs_here = world.counterpart(ctx.entity, world.ref_role, theirs)
    ctx.expect(mine_there and theirs_here, "records made on both sides were not linked")
    assert mine_there is not None
    assert theirs_here is not None
    return mine, mine_there, theirs, theirs_here


@check("G-7", level="pair", needs=needs_all(pair_ready, sees_deletes))
def check_deletes_unlink(ctx: Ctx) -> None:
    """Without a delete rule, a delete on either side unlinks and deletes nothing else."""
    world = ctx.paired(flow(ctx, deletes="unlink"))
    mine, mine_there, theirs, theirs_here = _linked_pair(ctx, world, "unlink")
    world.subject.delete(ctx.entity, mine)
    world.reference.delete(ctx.entity, theirs)
    reports = world.settle()
    ctx.expect(
        world.reference.get(ctx.entity, mine_there), "a subject delete deleted the reference's"
    )
    ctx.expect(
        world.subject.get(ctx.entity, theirs_here), "a reference delete deleted the subject's"
    )
    for side, record_id in ((ctx.role, mine), (world.ref_role, theirs)):
        link = world.link(ctx.entity, side, record_id)
        status = link.status if link else None
        ctx.expect(status == f"deleted_on_{side}", f"a delete on the {side} left the link {status}")
    ctx.expect(not writes(reports, ctx.entity), "a delete made the engine write")


def _param_directions(target: Target, variant: Variant) -> list[str]:
    away = "pos_to_platform" if variant.role == "pos" else "platform_to_pos"
    claimed = target.claims[variant.entity].directions
    return [d for d in ("both", away) if d in claimed]


@check("G-7", level="pair", needs=needs_all(pair_ready, sees_deletes), params=_param_directions)
def check_deletes_propagate(ctx: Ctx) -> None:
    """With ``deletes = "propagate"``, a delete goes the flow's way and never against it."""
    world = ctx.paired(flow(ctx, str(ctx.param), deletes="propagate"))
    mine = world.subject.add(ctx.entity, ctx.sample("propagate-subject"))
    world.settle()
    there = world.counterpart(ctx.entity, ctx.role, mine)
    ctx.expect(there is not None, "a subject record did not reach the reference")
    assert there is not None
    if ctx.param == "both" and ctx.target.support(ctx.entity).delete:
        theirs = world.reference.add(ctx.entity, ctx.sample("propagate-reference"))
        world.settle()
        here = world.counterpart(ctx.entity, world.ref_role, theirs)
        ctx.expect(here is not None, "a reference record did not reach the subject")
        assert here is not None
        world.reference.delete(ctx.entity, theirs)
        world.settle()
        ctx.expect(
            world.subject.get(ctx.entity, here) is None, "a reference delete did not reach it"
        )
    if ctx.param != "both":  # one way, away from the subject: a delete opposite stays there
        world.reference.delete(ctx.entity, there)
        world.settle()
        ctx.expect(world.subject.get(ctx.entity, mine), "a delete flowed against the direction")
        return
    world.subject.delete(ctx.entity, mine)
    world.settle()
    ctx.expect(world.reference.get(ctx.entity, there) is None, "the subject's delete was lost")


@check("G-5", "G-7", level="pair", needs=pair_ready)
def check_no_false_deletes(ctx: Ctx) -> None:
    """A run that could not read the subject deletes nothing, then or on the next run."""
    world = ctx.paired(flow(ctx, deletes="propagate"))
    for i in range(3):
        world.subject.add(ctx.entity, ctx.sample(f"stay-subject-{i}"))
        world.reference.add(ctx.entity, ctx.sample(f"stay-reference-{i}"))
    world.settle()
    world.subject.outage(True)
    reports = world.sync(2)
    world.subject.outage(False)
    reports += world.settle()
    deleted = {k: n for k, n in writes(reports, ctx.entity).items() if k.startswith("delete")}
    ctx.expect(not deleted, f"after a failed run the engine deleted {deleted}")
    for side in (ctx.role, other(ctx.role)):
        count = len(world.driver(side).ids(ctx.entity))
        ctx.expect(count == 6, f"the {side} holds {count} of 6 records after a failed run")
        for record_id in world.driver(side).ids(ctx.entity):
            link = world.link(ctx.entity, side, record_id)
            status = link.status if link else "unlinked"
            ctx.expect(status == "ok", f"{record_id} on the {side} is {status} after a failed run")
