"""A shared code changed on one side only (IS-4), held by any connector that keeps codes.

A record carrying a shared code (IS-3: an F/K customer's code, an IdoSell account's
external code) is linked by it. When the code changes on one side only the link is
broken: reported, the record no longer updated, never "fixed" by a duplicate, and the
report stands until the codes agree again, when the link mends by itself and what was
held back goes.
"""

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
from conformance.samples import emails
from conformance.subject import Role
from framework.engine.links import broken_link_problem


def _customers(target: Target, variant: Variant) -> str | None:
    """Shared codes are customers' (IS-3: the F/K customer's code)."""
    return None if variant.entity == "customer" else "shared codes are customers' (IS-3)"


@check(
    "IS-4",
    "IS-3",
    level="pair",
    needs=needs_all(pair_ready, _customers),
    params=lambda t, v: ["changed-on-subject", "changed-on-reference"],
)
def check_code_changed_on_one_side(ctx: Ctx) -> None:
    """A code changed on one side breaks the link: reported, held, never duplicated, mended.

    A broken link's report is known by what it holds (``broken_link_problem``), not by its
    rule ID: each pair files it under its own rule (IS-4 in F/K-IdoSell).
    """
    direction = default_direction(ctx.target, ctx.case.variant)
    if not (flows_from(direction, ctx.role) and creates_on(ctx, other(ctx.role))):
        ctx.not_applicable("records made on the subject do not reach the reference")
    world = ctx.paired(flow(ctx))
    if not (world.subject.can("add_with_code") and world.subject.can("set_code")):
        ctx.not_applicable("the subject's system keeps no shared code (or users cannot change it)")
    mine = world.subject.add_with_code(
        ctx.entity, ctx.sample("coded", emails=emails("coded@example.com")), "CODE-1"
    )
    world.settle()
    theirs = ctx.copy_of(world, ctx.role, mine)
    ctx.expect(theirs is not None, "the record with a code did not reach the reference")
    assert theirs is not None
    ids: dict[Role, str] = {ctx.role: mine, world.ref_role: theirs}
    changed: Role = ctx.role if ctx.param == "changed-on-subject" else world.ref_role
    world.driver(changed).set_code(ctx.entity, ids[changed], "CODE-2")
    world.settle()
    broken = [p for p in world.problems() if broken_link_problem(p.payload)]
    ctx.expect(
        len(broken) == 1, f"a code changed on the {changed} only: {len(broken)} IS-4 reports"
    )
    for role in (ctx.role, world.ref_role):
        count = len(world.driver(role).ids(ctx.entity))
        ctx.expect(
            count == 1, f"the broken link was 'fixed' by a duplicate: the {role} holds {count}"
        )
    edited = world.subject.does(ctx.entity, "edit")
    field = ctx.edits[0]
    if edited:
        world.subject.edit(ctx.entity, mine, {field: "WhileBroken"})
        world.settle()
        got = (world.reference.get(ctx.entity, theirs) or {}).get(field)
        ctx.expect(got != "WhileBroken", "an edit crossed a broken link")
        still = [p for p in world.problems() if broken_link_problem(p.payload)]
        ctx.expect(len(still) == 1, "the broken link's report did not stay open")
    world.driver(other(changed)).set_code(ctx.entity, ids[other(changed)], "CODE-2")
    world.settle()
    left = [p for p in world.problems() if broken_link_problem(p.payload)]
    ctx.expect(not left, "the codes agree again, yet the link is still reported broken")
    link = world.link(ctx.entity, ctx.role, mine)
    ctx.expect(link is not None and link.status == "ok", "the link did not mend")
    if edited:
        got = (world.reference.get(ctx.entity, theirs) or {}).get(field)
        ctx.expect(got == "WhileBroken", "the edit held back did not go once the link mended")
