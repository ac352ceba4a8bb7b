"""What drivers of fakes built with ``fakes.toolkit`` share: fault plans, a frozen clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fakes.toolkit import Clock, FaultPlan, FaultRule


@contextmanager
def frozen(clock: Clock) -> Iterator[None]:
    """Every change made inside gets the same timestamp (for the boundary check)."""
    clock.frozen = clock.now()
    try:
        yield
    finally:
        clock.frozen = None


def outage(down: bool) -> FaultPlan:
    """Every call answers 503 while down; nothing fails once back."""
    return FaultPlan(rules=[FaultRule(kind="503", rate=1.0)] if down else [])


def flaky(on: bool) -> FaultPlan:
    """Every 4th call a 503, every 7th a 429 (``Retry-After: 0``): a system under load."""
    if not on:
        return FaultPlan()
    return FaultPlan(
        rules=[FaultRule(kind="503", every=4), FaultRule(kind="429", every=7, retry_after=0)]
    )
