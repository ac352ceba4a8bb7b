"""Match before create against records already linked (G-3), through the real engine.

The same person on both sides is linked; then a new record with that person's e-mail
appears on one side. It matches a record already linked to another one: it is a
duplicate on its own side, reported, and never created on the other side as a new
record (two customers with one e-mail, made silently, is what G-3 forbids).
"""

from __future__ import annotations

from conformance.checks import check
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
from conformance.checks.pair import _has_email_key
from conformance.samples import emails
from conformance.subject import Role

SIDES: tuple[Role, Role] = ("pos", "platform")


@check(
    "G-3",
    level="pair",
    needs=needs_all(pair_ready, _has_email_key),
    params=lambda t, v: ["new-on-subject", "new-on-reference"],
)
def check_match_linked(ctx: Ctx) -> None:
    """A new record matching one already linked is reported, never created as a new one."""
    new_role: Role = ctx.role if ctx.param == "new-on-subject" else other(ctx.role)
    there = other(new_role)
    direction = default_direction(ctx.target, ctx.case.variant)
    if not (flows_from(direction, new_role) and creates_on(ctx, there)):
        ctx.not_applicable(f"records made on the {new_role} are not created on the {there}")
    world = ctx.paired(flow(ctx))
    if not all(world.driver(side).does(ctx.entity, "add") for side in SIDES):
        ctx.not_applicable("a side's users do not add such records")
    made = {
        side: world.driver(side).add(
            ctx.entity, ctx.sample("grace", emails=emails("grace.linked@example.com"))
        )
        for side in SIDES
    }
    world.settle()
    linked = world.counterpart(ctx.entity, "pos", made["pos"])
    ctx.expect(linked == made["platform"], f"the same person was not linked first ({linked})")
    twin = world.driver(new_role).add(
        ctx.entity, ctx.sample("gracie", emails=emails("Grace.Linked@EXAMPLE.com"))
    )
    world.settle()
    count = len(world.driver(there).ids(ctx.entity))
    ctx.expect(count == 1, f"a duplicate was created on the {there}: it holds {count} records")
    ctx.expect(
        world.link(ctx.entity, new_role, twin) is None,
        "the new record took over the link of the record it duplicates",
    )
    mine = world.link(ctx.entity, new_role, made[new_role])
    ctx.expect(mine is not None and mine.status == "ok", "the linked record lost its link")
    reported = [p for p in world.problems() if p.rule == "G-3" and p.record_id == twin]
    ctx.expect(reported, "the duplicate of a linked record was not reported (no G-3 problem)")
