"""Flows a connector refuses for what its system is (PD-1), refused when the configuration loads.

A subject claims, per entity, the systems of its kind its connector cannot sync the entity
with (``Claims.refused``: a Podium account on Clientele takes no items). The check
configures the pair as a store would, through the real configuration loader, with such a
system: the flow must be refused there and then, in one line naming the flow and the rule,
before an engine exists or anything is read or written. The same flow with the subject's
usual system must be accepted (the refusal is the system's, not the entity's), and the
refused system must still sync everything else once the store turns that flow off.
"""

from __future__ import annotations

from conformance.checks import Param, Variant, check
from conformance.checks.context import PARENT_FLOW, Ctx
from conformance.checks.flows import default_direction, flow, takes_part
from conformance.checks.target import Target
from conformance.samples import customer
from conformance.subject import Refusal
from framework.errors import ConfigError

STATE = "state.db"


def _refusals(target: Target, variant: Variant) -> list[str | Param]:
    """One case per system the subject claims its connector refuses the entity for."""
    if takes_part(target, variant, default_direction(target, variant)):
        return []
    return [Param(r.name, (r.rule,)) for r in target.claims[variant.entity].refused]


def _refusal(ctx: Ctx) -> Refusal:
    return next(r for r in ctx.claims.refused if r.name == ctx.param)


@check("PD-1", level="pair", params=_refusals)
def check_refused_flow(ctx: Ctx) -> None:
    """A flow the connector cannot take for its system is refused at load, before anything runs.

    Cites the rule each claimed refusal names (PD-1: a Podium account on Clientele).
    """
    refusal = _refusal(ctx)
    wanted = flow(ctx)
    try:
        ctx.paired(wanted)
    except ConfigError as exc:
        ctx.fail(f"the subject's usual system is refused the flow too: {exc}")
    folder = ctx.next_folder()
    try:
        ctx.paired(wanted, fake=refusal.fake(ctx.tmp / "refused"))
    except ConfigError as exc:
        message = str(exc)
        ctx.expect("\n" not in message, f"the refusal is not one line: {message!r}")
        ctx.expect(f"flows.{ctx.entity}" in message, f"the refusal names no flow: {message}")
        ctx.expect(refusal.rule in message, f"the refusal names no {refusal.rule}: {message}")
    else:
        ctx.fail(
            f"a {ctx.entity} flow with a {refusal.name} system was accepted when the "
            "configuration loaded: nothing refuses it before the run"
        )
    ctx.expect(not (folder / STATE).exists(), "the refused configuration opened the state")
    _rest_still_syncs(ctx, refusal)


def _rest_still_syncs(ctx: Ctx, refusal: Refusal) -> None:
    """With that flow off, the refused system is accepted and its customers still sync."""
    flows = {ctx.entity: {"direction": "off"}}
    if ctx.entity != "customer" and "customer" in ctx.target.info.entities:
        flows["customer"] = PARENT_FLOW
    try:
        world = ctx.world(flows, fake=refusal.fake(ctx.tmp / "refused-off"))
    except ConfigError as exc:
        ctx.fail(f"with the {ctx.entity} flow off, the {refusal.name} system is refused: {exc}")
    if "customer" not in flows:
        return
    made = world.reference.add("customer", customer("still-syncs"))
    world.settle()
    there = world.counterpart("customer", world.ref_role, made)
    ctx.expect(
        there is not None,
        f"a {refusal.name} system with the {ctx.entity} flow off does not sync its customers",
    )
