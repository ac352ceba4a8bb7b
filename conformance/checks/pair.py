"""Two-way checks through the real engine: directions, matching, associates, echo, resuming.

The subject sits on its side of a pair (each side it can take, one case each), a memory
reference system on the other, the flow is configured as a store would configure it, and
the engine runs. Records are made and edited through each system's driver, as users would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conformance.checks import Param, Variant, check
from conformance.checks.context import Ctx
from conformance.checks.flows import (
    creates_on,
    default_direction,
    flow,
    flows_from,
    needs_all,
    other,
    pair_ready,
    takes_part,
    updates,
)
from conformance.checks.target import Target
from conformance.samples import KINDS, emails
from conformance.subject import Role
from conformance.world import DEFAULT_ASSOCIATE, Paired, World, writes
from framework.engine.flows import Direction
from framework.models import SystemContext
from framework.models.base import CanonicalRecord

SIDES: tuple[Role, Role] = ("pos", "platform")


def _directions(target: Target, variant: Variant) -> list[str | Param]:
    """The claimed directions the subject can take part in.

    Each cites the rules that give the entity that very direction (CB-8: sales history
    goes up only).
    """
    out: list[str | Param] = []
    for way in target.claims[variant.entity].directions:
        if way != "off" and takes_part(target, variant, way):
            continue
        own = tuple(r for r, d in KINDS[variant.entity].rules if d == way)
        out.append(Param(way, ("G-1", *own)) if own else way)
    return out


def _crossed(ctx: Ctx, world: World, source: Role, record_id: str, allowed: bool) -> str | None:
    there = ctx.copy_of(world, source, record_id)
    way = f"{source} -> {other(source)}"
    if allowed:
        ctx.expect(there is not None, f"a record made on the {source} did not flow {way}")
    else:
        ctx.expect(there is None, f"a record flowed {way} against the flow's direction")
    return there


def _edit_reaches(
    ctx: Ctx, world: World, source: Role, ids: tuple[str, str], field: str, allowed: bool
) -> None:
    """Edit ``field`` of ``ids[0]`` on ``source``; it must reach ``ids[1]`` iff ``allowed``."""
    if not world.driver(source).does(ctx.entity, "edit"):
        return
    value = f"From{source.title()}{field.title().replace('_', '')}"
    world.driver(source).edit(ctx.entity, ids[0], {field: value})
    world.settle()
    got = (world.driver(other(source)).get(ctx.entity, ids[1]) or {}).get(field)
    way = f"{source} -> {other(source)}"
    if allowed and updates(ctx, other(source)):
        ctx.expect(got == value, f"an edit of {field} did not flow {way} ({got!r})")
    else:
        ctx.expect(got != value, f"an edit of {field} flowed {way} against the direction")


@check("G-1", level="pair", needs=pair_ready, params=_directions)
def check_direction(ctx: Ctx) -> None:
    """Records and edits flow the way the flow says, and never against it."""
    direction = Direction(str(ctx.param))
    world = ctx.paired(flow(ctx, direction.value))
    made = {
        side: ctx.add(world, f"from-{side}", side)
        for side in SIDES
        if world.driver(side).does(ctx.entity, "add")
    }
    world.settle()
    copies: dict[Role, str] = {}
    for side, record_id in made.items():
        crosses = direction.allows(side) and creates_on(ctx, other(side))
        there = _crossed(ctx, world, side, record_id, crosses)
        if there is not None:
            copies[side] = there
    for side in SIDES:
        incoming = direction.allows(other(side)) and creates_on(ctx, side)
        expected = (side in made) + (other(side) in made and incoming)
        count = len(world.driver(side).ids(ctx.entity))
        ctx.expect(count == expected, f"the {side} holds {count} records, not {expected}")
    first, last = ctx.edits[0], ctx.edits[:2][-1]
    for side, there in copies.items():
        back = other(side)
        _edit_reaches(ctx, world, side, (made[side], there), first, direction.allows(side))
        _edit_reaches(ctx, world, back, (there, made[side]), last, direction.allows(back))


def _key_variants(target: Target, variant: Variant) -> list[str]:
    keys = target.match_keys(variant.entity)
    held = {"email": "emails", "phone": "phones"}
    return [k for k in ("email", "phone") if k in keys and target.has(variant.entity, held[k])]


def _has_email_key(target: Target, variant: Variant) -> str | None:
    if "email" in _key_variants(target, variant):
        return None
    return "the connector does not match on e-mail"


@check("G-3", "CB-2", "PD-3", level="pair", needs=pair_ready, params=_key_variants)
def check_match_before_create(ctx: Ctx) -> None:
    """The same person on both sides is linked by a normalised key, never duplicated."""
    records: dict[Role, CanonicalRecord]
    if ctx.param == "email":
        records = {
            "pos": ctx.sample("grace", emails=emails("Grace.Hopper@Example.com")),
            "platform": ctx.sample("grace", emails=emails("grace.hopper@example.COM")),
        }
        world = ctx.paired(flow(ctx))
    else:
        phones = [{"number": "+12175550123", "label": "Cell", "preferred": True}]
        records = {
            side: ctx.sample("grace", emails=emails(f"grace.{side}@example.com"), phones=phones)
            for side in SIDES
        }
        world = ctx.paired(flow(ctx, match_on=["phone"], policies={"phones": "overwrite"}))
    made = {side: world.driver(side).add(ctx.entity, r) for side, r in records.items()}
    world.settle()
    for side in SIDES:
        count = len(world.driver(side).ids(ctx.entity))
        ctx.expect(count == 1, f"matching on {ctx.param}: the {side} holds {count} records")
    linked = world.counterpart(ctx.entity, "pos", made["pos"])
    ctx.expect(linked == made["platform"], f"not linked on {ctx.param} ({linked})")


@check(
    "G-3",
    level="pair",
    needs=needs_all(pair_ready, _has_email_key),
    params=lambda t, v: ["subject-twins", "reference-twins"],
)
def check_match_ambiguous(ctx: Ctx) -> None:
    """A record matching two on the other side is reported, neither linked nor created."""
    twins_role = ctx.role if ctx.param == "subject-twins" else other(ctx.role)
    single_role = other(twins_role)
    scope: dict[str, Any] = {f"{twins_role}_filter": [{"field": "last_name", "ne": "Twin"}]}
    world = ctx.paired(flow(ctx, **scope))
    twins = world.driver(twins_role)
    pair = [
        twins.add(ctx.entity, ctx.sample(name, last_name="Twin", emails=emails(address)))
        for name, address in (("pat", "twin@example.com"), ("sam", "TWIN@example.com"))
    ]
    single = world.driver(single_role).add(
        ctx.entity, ctx.sample("chris", last_name="Single", emails=emails("Twin@Example.com"))
    )
    world.settle()
    now = sorted(twins.ids(ctx.entity))
    ctx.expect(now == sorted(pair), f"an ambiguous match created a record ({now})")
    ctx.expect(world.link(ctx.entity, single_role, single) is None, "linked to one of two")
    reported = [p for p in world.problems() if p.rule == "G-3" and "ambiguous" in p.reason]
    ctx.expect(reported, "the ambiguous match was not reported (no G-3 problem)")


def _as(role: Role) -> Callable[[Target, Variant], str | None]:
    def needs(target: Target, variant: Variant) -> str | None:
        return None if variant.role == role else f"applies to the subject as the {role}"

    return needs


def _down(target: Target, variant: Variant) -> str | None:
    """Associates are recorded with changes flowing down to the POS."""
    if not flows_from(default_direction(target, variant), "platform"):
        return f"no {variant.entity} record flows from the platform to the POS"
    return None


def _users(ctx: Ctx, world: Paired) -> Any:
    driver = world.subject if ctx.role == "platform" else world.reference
    if driver.users is None:
        ctx.not_applicable("the system's driver names no users to act as")
    return driver.users


def _associate(ctx: Ctx, world: Paired, pos_id: str) -> str | None:
    try:
        return world.driver("pos").associate_of(ctx.entity, pos_id)
    except NotImplementedError:
        ctx.not_applicable("the POS driver cannot show who made a change")
        raise


@check("G-8", "CB-11", level="pair", needs=needs_all(pair_ready, _as("platform"), _down))
def check_associate_mapped(ctx: Ctx) -> None:
    """A platform user's change is recorded on the POS under the associate it maps to.

    The change is an edit of a record the POS made when the subject's users edit such
    records and they flow both ways; else the record itself, made by that user.
    """
    world = ctx.paired(flow(ctx))
    users = _users(ctx, world)
    field = ctx.edits[0]
    editable = world.subject.does(ctx.entity, "edit") and updates(ctx, "platform")
    if editable and default_direction(ctx.target, ctx.case.variant) == "both":
        pos_id = ctx.add(world, "mapped", "pos")
        world.settle()
        mine = world.counterpart(ctx.entity, "pos", pos_id)
        ctx.expect(mine is not None, "the POS record did not reach the subject")
        assert mine is not None
        world.subject.edit(ctx.entity, mine, {field: "ByMapped"}, actor=users.mapped)
        world.settle()
        held = world.reference.get(ctx.entity, pos_id) or {}
        ctx.expect(held.get(field) == "ByMapped", "the platform user's edit did not come down")
    else:
        mine = ctx.add(world, "mapped", "platform", actor=users.mapped)
        world.settle()
        found = ctx.copy_of(world, "platform", mine)
        ctx.expect(found is not None, "the platform user's record did not come down")
        assert found is not None
        pos_id = found
    got = _associate(ctx, world, pos_id)
    ctx.expect(got == users.mapped_pos_id, f"recorded associate {got!r}, not {users.mapped_pos_id}")


@check("G-8", "CB-11", level="pair", needs=needs_all(pair_ready, _as("platform"), _down))
def check_associate_default(ctx: Ctx) -> None:
    """A platform user with no mapping is recorded as the default associate, never invented."""
    world = ctx.paired(flow(ctx))
    users = _users(ctx, world)
    mine = ctx.add(world, "unmapped", "platform", actor=users.unmapped)
    world.settle()
    theirs = ctx.copy_of(world, "platform", mine)
    ctx.expect(theirs is not None, "the platform record did not come down")
    assert theirs is not None
    got = _associate(ctx, world, theirs)
    ctx.expect(got == DEFAULT_ASSOCIATE, f"recorded associate {got!r}, not the default")


@check("G-8", level="pair", needs=needs_all(pair_ready, _as("pos"), _down))
def check_associate_recorded(ctx: Ctx) -> None:
    """The POS records the associate the engine names with each write (mapped or default).

    The writes are creates; on a POS that only updates such records (IS-1), updates of a
    record of its own that a platform user changed.
    """
    world = ctx.paired(flow(ctx))
    users = _users(ctx, world)
    if not world.subject.can("associate_of"):
        ctx.not_applicable("the system's driver cannot show who made a change")
    own = None
    if not ctx.target.support(ctx.entity).create:
        if default_direction(ctx.target, ctx.case.variant) != "both":
            ctx.not_applicable("nothing a platform user makes or changes reaches the subject")
        own = _linked_own(ctx, world)
    for actor, expected in (
        (users.mapped, users.mapped_pos_id),
        (users.unmapped, DEFAULT_ASSOCIATE),
    ):
        if own is None:
            theirs = ctx.add(world, f"by-{actor}", "platform", actor=actor)
            world.settle()
            mine = ctx.copy_of(world, "platform", theirs)
        else:
            mine, theirs = own
            world.reference.edit(ctx.entity, theirs, {ctx.edits[0]: f"By{actor}"}, actor=actor)
            world.settle()
        ctx.expect(mine is not None, f"the record {actor} made did not reach the subject")
        assert mine is not None
        got = _associate(ctx, world, mine)
        ctx.expect(got == expected, f"{actor}'s change was recorded as {got!r}, not {expected}")


def _linked_own(ctx: Ctx, world: Paired) -> tuple[str, str]:
    """A record made on the subject, and its copy on the reference."""
    mine = ctx.add(world, "own", ctx.role)
    world.settle()
    theirs = ctx.copy_of(world, ctx.role, mine)
    ctx.expect(theirs is not None, "a record made on the subject did not reach the reference")
    assert theirs is not None
    return mine, theirs


@check("G-4", level="pair", needs=pair_ready)
def check_echo_suppression(ctx: Ctx) -> None:
    """What the engine wrote is recognised when read back: nothing goes back where it came from."""
    world = ctx.paired(flow(ctx))
    mine, theirs = ctx.role, world.ref_role
    direction = default_direction(ctx.target, ctx.case.variant)
    field = ctx.edits[0]

    def step(what: str, expected: dict[str, int]) -> None:
        made = dict(writes(world.settle(), ctx.entity))
        ctx.expect(made == expected, f"{what}: expected writes {expected}, the engine made {made}")

    own = None
    if flows_from(direction, mine) and world.subject.does(ctx.entity, "add"):
        own = ctx.add(world, "echo-subject", mine)
        step("a record made on the subject", {f"create.{theirs}": 1})
    if flows_from(direction, theirs) and creates_on(ctx, mine):
        ref = ctx.add(world, "echo-reference", theirs)
        step("a record made on the reference", {f"create.{mine}": 1})
        if updates(ctx, mine):
            world.reference.edit(ctx.entity, ref, {field: "Edited"})
            step("an edit on the reference", {f"update.{mine}": 1})
    if own is not None and world.subject.does(ctx.entity, "edit"):
        world.subject.edit(ctx.entity, own, {field: "EditedHere"})
        step("an edit on the subject", {f"update.{theirs}": 1})
    calm = dict(writes(world.sync(2), ctx.entity))
    ctx.expect(not calm, f"runs with nothing changed still wrote {calm}")


def _to_subject(target: Target, variant: Variant) -> str | None:
    role = variant.role or "pos"
    toward = flows_from(default_direction(target, variant), other(role))
    if not toward or not target.support(variant.entity).create:
        return "no record is created on the subject: no write a kill could interrupt"
    return None


@check("G-5", "G-6", level="pair", needs=needs_all(pair_ready, _to_subject))
def check_kill_and_resume(ctx: Ctx) -> None:
    """A run killed right after the subject applied its writes resumes without duplicates."""
    world = ctx.paired(flow(ctx))
    made = [ctx.add(world, f"kill-{i}", world.ref_role) for i in range(3)]
    hooks = world.engine.hooks
    real: dict[str, Callable[..., Any]] = {
        "apply_change": hooks.apply_change,
        "apply_batch": hooks.apply_batch,
    }

    def dies_after(name: str) -> Callable[[SystemContext, Any], Any]:
        def call(system: SystemContext, request: Any) -> Any:
            result = real[name](system, request)
            if system.name == ctx.role:  # the process dies after the subject wrote
                raise KeyboardInterrupt
            return result

        return call

    killed = False
    for name in real:
        setattr(hooks, name, dies_after(name))
    try:
        world.sync()
    except KeyboardInterrupt:
        killed = True
    finally:
        for name in real:
            delattr(hooks, name)
    ctx.expect(killed, "the run wrote nothing to the subject, so it could not be killed")
    world.settle()
    count = len(world.subject.ids(ctx.entity))
    ctx.expect(count == 3, f"3 records written, killed and resumed: the subject holds {count}")
    unlinked = [r for r in made if ctx.copy_of(world, world.ref_role, r) is None]
    ctx.expect(not unlinked, f"records not linked after resuming: {unlinked}")
