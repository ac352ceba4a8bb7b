"""The flows the pair checks configure: plain data, as a store's configuration would hold."""

from __future__ import annotations

from typing import Any

from conformance.checks import Variant
from conformance.checks.context import Ctx
from conformance.checks.target import Target
from conformance.subject import Role

CORE = ("first_name", "last_name", "emails")


def flow(ctx: Ctx, direction: str = "both", **options: Any) -> dict[str, Any]:
    """A flow of the subject's core fields (``overwrite``), matching on e-mail when it can.

    ``policies`` (field -> policy or field rule table) adds or replaces field rules; every
    other keyword is a flow option (``deletes``, ``record_policy``, ``pos_filter``…).
    """
    policies: dict[str, Any] = options.pop("policies", {})
    fields: dict[str, Any] = {f: {"policy": "overwrite"} for f in CORE if ctx.holds(f)}
    for name, rule in policies.items():
        fields[name] = {"policy": rule} if isinstance(rule, str) else rule
    keys = ["email"] if "email" in ctx.target.match_keys(ctx.entity) else []
    return {"direction": direction, "match_on": keys, "fields": fields, **options}


def other(role: Role) -> Role:
    """The other side."""
    return "platform" if role == "pos" else "pos"


def pair_ready(target: Target, variant: Variant) -> str | None:
    """Pair checks need the subject to read, create and update the entity."""
    support = target.support(variant.entity)
    missing = [v for v in ("read", "create", "update") if not getattr(support, v)]
    if missing:
        return f"the connector cannot {', '.join(missing)} {variant.entity} records"
    if not target.has(variant.entity, "first_name", "last_name"):
        return "the checks edit first_name and last_name, which the system does not hold"
    return None


def needs_all(*needs: Any) -> Any:
    """Several needs, the first reason wins."""

    def combined(target: Target, variant: Variant) -> str | None:
        for need in needs:
            if reason := need(target, variant):
                return str(reason)
        return None

    return combined
