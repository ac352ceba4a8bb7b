"""Precedence rules a connector claims, each as the policy that carries it, through the engine.

``append_as_new`` (CB-3, PD-3), ``create_only`` (CB-5), ``record_wins`` (IS-2), a field map
(CB-4) and a scope filter (CB-1). The subject sits on its side; the memory system opposite
holds every field, so what is checked is the subject's part of the rule.
"""

from __future__ import annotations

from conformance.checks import Needs, Variant, check
from conformance.checks.context import Ctx
from conformance.checks.flows import default_direction, flow, needs_all
from conformance.checks.target import Target
from conformance.samples import emails, essence
from conformance.subject import Claims, Role
from conformance.world import Paired

LISTS = ("emails", "phones")


def _holds(*fields: str) -> Needs:
    def needs(target: Target, variant: Variant) -> str | None:
        missing = [f for f in fields if not target.has(variant.entity, f)]
        return f"the system does not hold {', '.join(missing)}" if missing else None

    return needs


def _customers_both_ways(made_on: Role) -> Needs:
    """Customer rules, both ways.

    The subject reads and updates customers, and creates them when the check's first
    record is made on the other side (``made_on``).
    """

    def needs(target: Target, variant: Variant) -> str | None:
        if variant.entity != "customer":
            return "a customer rule"
        if default_direction(target, variant) != "both":
            return "the subject claims no two-way customer flow"
        support = target.support(variant.entity)
        verbs = ["read", "update"] + (["create"] if variant.role != made_on else [])
        missing = [v for v in verbs if not getattr(support, v)]
        if missing:
            return f"the connector cannot {', '.join(missing)} customers"
        return None

    return needs


def _identities(ctx: Ctx, world: Paired, role: Role, record_id: str, field: str) -> list[str]:
    held = world.driver(role).get(ctx.entity, record_id)
    return [str(v) for v in essence(ctx.entity, held, field) or []]


def _counterpart(ctx: Ctx, world: Paired, role: Role, record_id: str) -> str:
    there = world.counterpart(ctx.entity, role, record_id)
    ctx.expect(there is not None, f"the record made on the {role} was not linked")
    assert there is not None
    return there


@check("CB-3", "PD-3", level="pair", needs=needs_all(_customers_both_ways("pos"), _holds("emails")))
def check_append_as_new(ctx: Ctx) -> None:
    """Platform contact changes are added on the POS, never overwriting; POS changes go up."""
    world = ctx.paired(flow(ctx, policies={"emails": "append_as_new"}))
    pos = world.driver("pos").add(ctx.entity, ctx.sample("old"))
    world.settle()
    platform = _counterpart(ctx, world, "pos", pos)
    world.driver("platform").edit(ctx.entity, platform, {"emails": emails("new@example.com")})
    world.settle()
    got = _identities(ctx, world, "pos", pos, "emails")
    ctx.expect(got == ["old@example.com", "new@example.com"], f"the POS e-mails became {got}")
    pos_held = world.driver("pos").get(ctx.entity, pos) or {}
    first = (pos_held.get("emails") or [{}])[0]
    ctx.expect(first.get("preferred") is not False, "the POS's own e-mail lost its preference")
    up = _identities(ctx, world, "platform", platform, "emails")
    ctx.expect(up[:1] == ["new@example.com"], f"the platform's own e-mail was replaced: {up}")
    world.driver("platform").edit(ctx.entity, platform, {"emails": []})
    world.settle()
    got = _identities(ctx, world, "pos", pos, "emails")
    ctx.expect(len(got) == 2, f"removing it on the platform erased POS e-mails: {got}")
    world.driver("pos").edit(ctx.entity, pos, {"emails": emails("newest@example.com", *got)})
    world.settle()
    up = _identities(ctx, world, "platform", platform, "emails")
    ctx.expect(up[:1] == ["newest@example.com"], f"a POS change did not overwrite it: {up}")


def _create_only_field(target: Target, variant: Variant) -> str:
    return (
        "acquisition" if target.has(variant.entity, "acquisition") else target.edits("customer")[0]
    )


@check("CB-5", "PD-3", level="pair", needs=_customers_both_ways("platform"))
def check_create_only(ctx: Ctx) -> None:
    """A create-only field comes from the platform only with a new record; POS changes go up."""
    field = _create_only_field(ctx.target, ctx.case.variant)
    world = ctx.paired(flow(ctx, policies={field: "create_only"}, winner="pos"))
    platform = world.driver("platform").add(
        ctx.entity, ctx.sample("first", None, **{field: "Instagram"})
    )
    world.settle()
    pos = _counterpart(ctx, world, "platform", platform)
    held = (world.driver("pos").get(ctx.entity, pos) or {}).get(field)
    ctx.expect(held == "Instagram", f"{field} did not come down with the new record ({held!r})")
    world.driver("platform").edit(ctx.entity, platform, {field: "Later"})
    world.settle()
    held = (world.driver("pos").get(ctx.entity, pos) or {}).get(field)
    ctx.expect(held == "Instagram", f"a later platform change overwrote the POS ({held!r})")
    world.driver("pos").edit(ctx.entity, pos, {field: "Walkin"})
    world.settle()
    up = (world.driver("platform").get(ctx.entity, platform) or {}).get(field)
    ctx.expect(up == "Walkin", f"a POS change did not go up ({up!r})")


@check("IS-2", level="pair", needs=needs_all(_customers_both_ways("pos"), _holds("emails")))
def check_record_wins(ctx: Ctx) -> None:
    """On a conflict the POS record is written over the platform's whole; the POS keeps its own."""
    world = ctx.paired(flow(ctx, record_policy="record_wins", winner="pos"))
    first, last = ctx.edits[:2][-1], ctx.edits[0]
    jan = ctx.sample("jan", first_name="Jan", last_name="Kowalski", emails=emails("jan@example.pl"))
    pos = world.driver("pos").add(ctx.entity, jan)
    world.settle()
    platform = _counterpart(ctx, world, "pos", pos)
    world.driver("pos").edit(ctx.entity, pos, {last: "Kowalski-Nowak"})
    world.driver("platform").edit(ctx.entity, platform, {"emails": emails("jan.k@example.pl")})
    world.settle()
    up = world.driver("platform").get(ctx.entity, platform) or {}
    ctx.expect(up.get(last) == "Kowalski-Nowak", "the POS change did not go up")
    got = _identities(ctx, world, "platform", platform, "emails")
    ctx.expect(got == ["jan@example.pl"], f"the platform kept its own e-mail: {got}")
    kept = _identities(ctx, world, "pos", pos, "emails")
    ctx.expect(kept == ["jan@example.pl"], f"the POS record changed: {kept}")
    world.driver("platform").edit(ctx.entity, platform, {first: "Janek"})
    world.settle()
    down = (world.driver("pos").get(ctx.entity, pos) or {}).get(first)
    ctx.expect(down == "Janek", f"a platform-only change did not come down ({down!r})")


def _keys(ctx: Ctx, role: Role) -> tuple[str, str]:
    """The subject's custom keys on its side, the memory system's free names opposite."""
    return ctx.target.claims[ctx.entity].custom_keys if role == ctx.role else Claims().custom_keys


@check("CB-4", level="pair", needs=needs_all(_customers_both_ways("pos"), _holds("custom")))
def check_field_map(ctx: Ctx) -> None:
    """Mapped custom fields go both ways under their own names; unmapped ones never move."""
    pos_keys, platform_keys = _keys(ctx, "pos"), _keys(ctx, "platform")
    mapped = {"policy": "overwrite", "map": {pos_keys[0]: platform_keys[0]}}
    world = ctx.paired(flow(ctx, policies={"custom": mapped}))
    pos = world.driver("pos").add(
        ctx.entity, ctx.sample("mapped", custom={pos_keys[0]: "6", pos_keys[1]: "kept"})
    )
    world.settle()
    platform = _counterpart(ctx, world, "pos", pos)
    up = (world.driver("platform").get(ctx.entity, platform) or {}).get("custom") or {}
    ctx.expect(up == {platform_keys[0]: "6"}, f"the platform got {up}, not the mapped field only")
    down = {platform_keys[0]: "6.5", platform_keys[1]: "Opal"}
    world.driver("platform").edit(ctx.entity, platform, {"custom": down})
    world.settle()
    got = (world.driver("pos").get(ctx.entity, pos) or {}).get("custom") or {}
    ctx.expect(got.get(pos_keys[0]) == "6.5", f"the mapped field did not come down: {got}")
    ctx.expect(got.get(pos_keys[1]) == "kept", f"an unmapped POS field was overwritten: {got}")
    ctx.expect("Opal" not in got.values(), f"an unmapped platform field came down: {got}")


def _pos_holds_flag(target: Target, variant: Variant) -> str | None:
    if variant.role == "pos" and not target.has(variant.entity, "sync_flag"):
        return "the POS system has no sync flag"
    return None


@check("CB-1", level="pair", needs=needs_all(_customers_both_ways("pos"), _pos_holds_flag))
def check_scope_filter(ctx: Ctx) -> None:
    """Only records in the POS scope (flagged for sync) move; flagging one later moves it."""
    world = ctx.paired(flow(ctx, pos_filter=[{"field": "sync_flag", "eq": True}]))
    pos = world.driver("pos")
    flagged = pos.add(ctx.entity, ctx.sample("flagged", sync_flag=True))
    unflagged = pos.add(ctx.entity, ctx.sample("unflagged", sync_flag=False))
    world.settle()
    ctx.expect(world.counterpart(ctx.entity, "pos", flagged), "a flagged record did not move")
    ctx.expect(world.counterpart(ctx.entity, "pos", unflagged) is None, "an unflagged record moved")
    count = len(world.driver("platform").ids(ctx.entity))
    ctx.expect(count == 1, f"the platform holds {count} records, not the flagged one only")
    pos.edit(ctx.entity, unflagged, {"sync_flag": True})
    world.settle()
    ctx.expect(world.counterpart(ctx.entity, "pos", unflagged), "flagging a record did not move it")
