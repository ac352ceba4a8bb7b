"""The flows the pair checks configure: plain data, as a store's configuration would hold."""

from __future__ import annotations

from typing import Any

from conformance.checks import Variant
from conformance.checks.context import Ctx
from conformance.checks.target import Target
from conformance.subject import Role
from framework.engine.flows import Direction

CORE = ("first_name", "last_name", "emails")
NOT_MOVED = ("associate",)  # who made a record is recorded by each side (G-8), never moved


def flow(ctx: Ctx, direction: str | None = None, **options: Any) -> dict[str, Any]:
    """A flow of the subject's fields (``overwrite``), matching on e-mail when it can.

    Customers move their core fields, the fields the checks edit and those the subject's
    system requires; other entities move every field the subject's system holds.
    ``direction`` defaults to the entity's (:func:`default_direction`). ``policies``
    (field -> policy or field rule table) adds or replaces field rules; every other keyword
    is a flow option (``deletes``, ``record_policy``, ``pos_filter``…).
    """
    policies: dict[str, Any] = options.pop("policies", {})
    if ctx.entity == "customer":
        names = [*CORE, *ctx.edits, *ctx.claims.required]
    else:
        support = ctx.target.support(ctx.entity)
        names = [f for f in support.fields if f not in NOT_MOVED]
    held = ctx.target.support(ctx.entity).fields
    fields: dict[str, Any] = {f: {"policy": "overwrite"} for f in names if f in held}
    for name, rule in policies.items():
        fields[name] = {"policy": rule} if isinstance(rule, str) else rule
    keys = ["email"] if "email" in ctx.target.match_keys(ctx.entity) else []
    way = direction or default_direction(ctx.target, ctx.case.variant)
    support = ctx.target.support(ctx.entity)
    # IS-1's switches, as a store would set them for a system that cannot take a write
    if not support.update:
        options.setdefault(f"update_{ctx.role}", False)
    if not support.create:
        options.setdefault(f"create_on_{ctx.role}", False)
    return {"direction": way, "match_on": keys, "fields": fields, **options}


def updates(ctx: Ctx, side: Role) -> bool:
    """Whether changes reach records already on ``side`` (the subject's, when it updates)."""
    return side != ctx.role or ctx.target.support(ctx.entity).update


def creates_on(ctx: Ctx, side: Role) -> bool:
    """Whether records made on the other side are created on ``side``."""
    return side != ctx.role or ctx.target.support(ctx.entity).create


def default_direction(target: Target, variant: Variant) -> str:
    """The direction the pair checks use for the entity.

    Both ways when the subject claims them and can take part, else the one way it claims
    and can take part in (away from it first); ``off`` when none.
    """
    claimed = target.claims[variant.entity].directions
    role: Role = variant.role or "pos"
    away = "pos_to_platform" if role == "pos" else "platform_to_pos"
    toward = "platform_to_pos" if role == "pos" else "pos_to_platform"
    usable = [d for d in ("both", away, toward) if d in claimed]
    return next((d for d in usable if not takes_part(target, variant, d)), "off")


def other(role: Role) -> Role:
    """The other side."""
    return "platform" if role == "pos" else "pos"


def flows_from(direction: str, side: Role) -> bool:
    """Whether records and changes made on ``side`` flow under ``direction``."""
    return Direction(direction).allows(side)


def takes_part(target: Target, variant: Variant, direction: str) -> str | None:
    """Why the subject cannot take part in a flow of ``direction`` (``None``: it can).

    Records flowing away from the subject must be read; records or changes flowing to it,
    created or updated there (a system that only updates takes part with IS-1's create
    switch off).
    """
    role = variant.role or "pos"
    if direction == "off":
        return "the subject claims no direction for it"
    if flows_from(direction, role) and not target.reads(variant.entity):
        return f"the connector does not read {variant.entity} records"
    support = target.support(variant.entity)
    if flows_from(direction, other(role)) and not (support.create or support.update):
        return f"the connector does not create {variant.entity} records"
    return None


def pair_ready(target: Target, variant: Variant) -> str | None:
    """Pair checks need a direction the subject can take part in, and a field to edit."""
    reason = takes_part(target, variant, default_direction(target, variant))
    if reason:
        return reason
    if not target.edits(variant.entity):
        return "the checks edit text fields the system does not hold"
    return None


def both_ways(target: Target, variant: Variant) -> str | None:
    """Checks of two-way rules need the subject to read, create and update the entity."""
    support = target.support(variant.entity)
    missing = [v for v in ("read", "create", "update") if not getattr(support, v)]
    if missing:
        return f"the connector cannot {', '.join(missing)} {variant.entity} records"
    if default_direction(target, variant) != "both":
        return f"the subject claims no two-way flow of {variant.entity} records"
    if not target.edits(variant.entity):
        return "the checks edit text fields the system does not hold"
    return None


def needs_all(*needs: Any) -> Any:
    """Several needs, the first reason wins."""

    def combined(target: Target, variant: Variant) -> str | None:
        for need in needs:
            if reason := need(target, variant):
                return str(reason)
        return None

    return combined
