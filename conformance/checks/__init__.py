"""The registry of checks: small named functions, each citing the rules it proves.

A check is a function ``check_<name>(ctx)`` decorated with :func:`check`, which names its
rule IDs, whether it runs on the subject alone (``system``: through the facade against the
fake) or in a pair (``pair``: the real engine between the subject and a memory system), its
extra parameters and what it needs. :func:`plan` turns a subject into cases: one per
check, entity, role and parameter, each runnable or not applicable with a reason.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from conformance.checks.target import Target
from conformance.subject import Role

Level = Literal["system", "pair"]
Needs = Callable[[Target, "Variant"], str | None]
Params = Callable[[Target, "Variant"], "Sequence[str | Param]"]
MODULES = (
    "feed",
    "writes",
    "pair",
    "matching",
    "switches",
    "codes",
    "deletes",
    "faults",
    "policies",
    "budget",
    "refusals",
    "merging",
    "scenarios",
)


@dataclass(frozen=True)
class Param:
    """A check parameter that cites its own rules (a scenario cites the scenario's)."""

    name: str
    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class Variant:
    """One way of running a check: entity, the subject's role in the pair, a parameter."""

    entity: str
    role: Role | None = None
    param: str | None = None
    rules: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How the variant shows in a test id."""
        return "-".join(p for p in (self.entity, self.role, self.param) if p)


@dataclass(frozen=True)
class Check:
    """A named check, the rules it cites, and how it is planned."""

    name: str
    rules: tuple[str, ...]
    level: Level
    run: Callable[..., None]
    needs: Needs | None = None
    params: Params | None = None
    summary: str = ""


@dataclass(frozen=True)
class Case:
    """One planned run of a check on a subject; ``skip`` says why it is not applicable."""

    target: Target
    check: Check
    variant: Variant
    skip: str | None = None
    rules: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        """``subject-variant``."""
        return f"{self.target.label}-{self.variant.label}"

    def row(self) -> dict[str, object]:
        """What the matrix needs to know of this case (plain data: it crosses processes)."""
        return {
            "subject": self.target.label,
            "check": self.check.name,
            "variant": self.variant.label,
            "rules": list(self.rules),
            "claimed": sorted(self.target.rules),
        }


CHECKS: dict[str, Check] = {}


def check(
    *rules: str, level: Level = "system", needs: Needs | None = None, params: Params | None = None
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register ``check_<name>`` as the check ``<name>``, citing ``rules``."""

    def register(fn: Callable[..., None]) -> Callable[..., None]:
        name = fn.__name__.removeprefix("check_")
        summary = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
        CHECKS[name] = Check(name, rules, level, fn, needs, params, summary)
        return fn

    return register


def all_checks() -> dict[str, Check]:
    """Every check, in the order the modules define them."""
    for module in MODULES:
        importlib.import_module(f"conformance.checks.{module}")
    return CHECKS


def plan(target: Target, check: Check) -> list[Case]:
    """The cases of ``check`` for one subject (not applicable ones carry their reason)."""
    cases = []
    for entity in target.entities:
        roles: tuple[Role | None, ...] = target.roles if check.level == "pair" else (None,)
        for role in roles:
            base = Variant(entity, role)
            params: list[str | Param | None] = [None]
            if check.params is not None:
                params = list(check.params(target, base))
            for param in params:
                variant = _variant(base, param)
                rules = variant.rules or check.rules
                reason = _not_claimed(target, rules)
                if reason is None and check.needs is not None:
                    reason = check.needs(target, variant)
                cases.append(Case(target, check, variant, reason, rules))
    return cases


def _variant(base: Variant, param: str | Param | None) -> Variant:
    if param is None:
        return base
    if isinstance(param, str):
        param = Param(param)
    return Variant(base.entity, base.role, param.name, param.rules)


def _not_claimed(target: Target, rules: tuple[str, ...]) -> str | None:
    if any(r in target.rules for r in rules):
        return None
    return f"not claimed: {target.label} claims none of {', '.join(rules)}"
