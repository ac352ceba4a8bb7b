"""Deletes go only where the rules send them, and a failed run deletes nothing (G-7, G-5).

Records are made on each side a flow reads (the sides changes flow from); a delete is made
where the system reports deletions and its users delete such records.
"""

from __future__ import annotations

from conformance.checks import Variant, check
from conformance.checks.context import Ctx
from conformance.checks.flows import (
    creates_on,
    default_direction,
    flow,
    flows_from,
    other,
    pair_ready,
    takes_part,
)
from conformance.checks.target import Target
from conformance.subject import Role
from conformance.world import Paired, writes

SIDES: tuple[Role, Role] = ("pos", "platform")


def _sources(ctx: Ctx, world: Paired, direction: str) -> list[Role]:
    """The sides records flow from (made by their users, created on the other side)."""
    return [
        side
        for side in SIDES
        if flows_from(direction, side)
        and world.driver(side).does(ctx.entity, "add")
        and creates_on(ctx, other(side))
    ]


def _deletes_seen(ctx: Ctx, world: Paired, side: Role) -> bool:
    """Whether a delete made on ``side`` by its users is reported to the engine."""
    reported = side != ctx.role or ctx.claims.deletes_reported
    return reported and world.driver(side).does(ctx.entity, "delete")


def _applies_deletes(ctx: Ctx, side: Role) -> bool:
    return side != ctx.role or ctx.target.support(ctx.entity).delete


def _linked(ctx: Ctx, world: Paired, side: Role, tag: str) -> tuple[str, str]:
    """A record made on ``side`` and its copy on the other side."""
    made = ctx.add(world, tag, side)
    world.settle()
    there = ctx.copy_of(world, side, made)
    ctx.expect(there is not None, f"a record made on the {side} was not linked")
    assert there is not None
    return made, there


@check("G-7", level="pair", needs=pair_ready)
def check_deletes_unlink(ctx: Ctx) -> None:
    """Without a delete rule, a delete on either side unlinks and deletes nothing else."""
    direction = default_direction(ctx.target, ctx.case.variant)
    world = ctx.paired(flow(ctx, deletes="unlink"))
    made = {
        side: _linked(ctx, world, side, f"unlink-{side}")
        for side in _sources(ctx, world, direction)
    }
    gone = {side: ids for side, ids in made.items() if _deletes_seen(ctx, world, side)}
    if not gone:
        ctx.not_applicable("no side the flow reads reports deletions its users make")
    for side, (record_id, _) in gone.items():
        world.driver(side).delete(ctx.entity, record_id)
    reports = world.settle()
    for side, (record_id, there) in gone.items():
        kept = world.driver(other(side)).get(ctx.entity, there)
        ctx.expect(kept, f"a delete on the {side} deleted the copy on the {other(side)}")
        link = world.link(ctx.entity, side, record_id)
        status = link.status if link else None
        ctx.expect(status == f"deleted_on_{side}", f"a delete on the {side} left the link {status}")
    ctx.expect(not writes(reports, ctx.entity), "a delete made the engine write")


def _param_directions(target: Target, variant: Variant) -> list[str]:
    role = variant.role or "pos"
    away = "pos_to_platform" if role == "pos" else "platform_to_pos"
    toward = "platform_to_pos" if role == "pos" else "pos_to_platform"
    claimed = target.claims[variant.entity].directions
    return [
        d for d in ("both", away, toward) if d in claimed and not takes_part(target, variant, d)
    ]


@check("G-7", level="pair", needs=pair_ready, params=_param_directions)
def check_deletes_propagate(ctx: Ctx) -> None:
    """With ``deletes = "propagate"``, a delete goes the flow's way and never against it."""
    direction = str(ctx.param)
    world = ctx.paired(flow(ctx, direction, deletes="propagate"))
    steps = 0
    for source in _sources(ctx, world, direction):
        target = other(source)
        if not flows_from(direction, target) and world.driver(target).does(ctx.entity, "delete"):
            made, there = _linked(ctx, world, source, f"stays-{source}")
            world.driver(target).delete(ctx.entity, there)
            world.settle()
            ctx.expect(
                world.driver(source).get(ctx.entity, made),
                f"a delete on the {target} flowed to the {source} against the direction",
            )
            steps += 1
        if _deletes_seen(ctx, world, source) and _applies_deletes(ctx, target):
            made, there = _linked(ctx, world, source, f"goes-{source}")
            world.driver(source).delete(ctx.entity, made)
            world.settle()
            ctx.expect(
                world.driver(target).get(ctx.entity, there) is None,
                f"a delete on the {source} did not reach the {target}",
            )
            steps += 1
    if not steps:
        ctx.not_applicable("no delete the users make is reported and can propagate")


@check("G-5", "G-7", level="pair", needs=pair_ready)
def check_no_false_deletes(ctx: Ctx) -> None:
    """A run that could not read the subject deletes nothing, then or on the next run."""
    direction = default_direction(ctx.target, ctx.case.variant)
    world = ctx.paired(flow(ctx, deletes="propagate"))
    if not world.subject.can("outage"):
        ctx.not_applicable("the system's driver cannot make the system unreachable")
    sources = _sources(ctx, world, direction)
    made = {side: [ctx.add(world, f"stay-{side}-{i}", side) for i in range(3)] for side in sources}
    world.settle()
    world.subject.outage(True)
    reports = world.sync(2)
    world.subject.outage(False)
    reports += world.settle()
    deleted = {k: n for k, n in writes(reports, ctx.entity).items() if k.startswith("delete")}
    ctx.expect(not deleted, f"after a failed run the engine deleted {deleted}")
    for side in SIDES:
        expected = len(made.get(side, [])) + len(made.get(other(side), []))
        count = len(world.driver(side).ids(ctx.entity))
        ctx.expect(count == expected, f"the {side} holds {count} of {expected} records")
    for side, ids in made.items():
        for record_id in ids:
            link = world.link(ctx.entity, side, record_id)
            status = link.status if link else "unlinked"
            ctx.expect(status == "ok", f"{record_id} on the {side} is {status} after a failed run")
