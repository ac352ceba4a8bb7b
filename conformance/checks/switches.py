"""IS-1's three switches, held by any connector's pair: each write kind can be turned off.

Creating records on a side, updating a side from the other's changes, and the other way:
three independent settings. With one off, nothing of that kind reaches that side, however
the connector looks records up, and the others still work.
"""

from __future__ import annotations

from conformance.checks import Param, Variant, check
from conformance.checks.context import Ctx
from conformance.checks.flows import both_ways, flow, needs_all, other
from conformance.checks.target import Target
from conformance.subject import Role

SIDES: tuple[Role, Role] = ("pos", "platform")


def _switches(target: Target, variant: Variant) -> list[str | Param]:
    """One case per switch: creating on, and updating, the subject and the reference."""
    return [
        f"{kind}-{place}" for kind in ("create", "update") for place in ("subject", "reference")
    ]


@check("IS-1", "G-1", level="pair", needs=needs_all(both_ways), params=_switches)
def check_switches(ctx: Ctx) -> None:
    """With one of IS-1's switches off, nothing of its kind reaches its side; the rest does."""
    kind, _, place = str(ctx.param).partition("-")
    side: Role = ctx.role if place == "subject" else other(ctx.role)
    source = other(side)
    switch = f"create_on_{side}" if kind == "create" else f"update_{side}"
    world = ctx.paired(flow(ctx, "both", **{switch: False}))
    for role in SIDES:
        if not world.driver(role).does(ctx.entity, "add"):
            ctx.not_applicable(f"the {role}'s users do not add such records")
    if kind == "create":
        made = ctx.add(world, "switched-off", source)
        world.settle()
        count = len(world.driver(side).ids(ctx.entity))
        ctx.expect(count == 0, f"{switch} is off, yet the {side} holds {count} records")
        back = ctx.add(world, "still-on", side)
        world.settle()
        ctx.expect(
            ctx.copy_of(world, side, back) is not None,
            f"with {switch} off, a record made on the {side} did not reach the {source}",
        )
        ctx.expect(world.link(ctx.entity, source, made) is None, "linked to a record not made")
        return
    mine = ctx.add(world, "switched-off", source)
    world.settle()
    theirs = ctx.copy_of(world, source, mine)
    ctx.expect(theirs is not None, f"with {switch} off, the record was not created")
    if theirs is None or not world.driver(source).does(ctx.entity, "edit"):
        return
    first, last = ctx.edits[0], ctx.edits[:2][-1]
    world.driver(source).edit(ctx.entity, mine, {first: "SwitchedOff"})
    world.settle()
    got = (world.driver(side).get(ctx.entity, theirs) or {}).get(first)
    ctx.expect(got != "SwitchedOff", f"{switch} is off, yet an edit reached the {side}")
    if world.driver(side).does(ctx.entity, "edit"):
        world.driver(side).edit(ctx.entity, theirs, {last: "StillOn"})
        world.settle()
        came = (world.driver(source).get(ctx.entity, mine) or {}).get(last)
        ctx.expect(came == "StillOn", f"with {switch} off, an edit on the {side} did not go")
