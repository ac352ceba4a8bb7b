"""Retries with backoff and jitter through tenacity, honouring ``Retry-After`` (G-5).

Only :class:`RetryableError` is retried. When the budget is spent the caller gets a
:class:`RetryBudgetExhausted` that says how many attempts were made and why the last failed;
the work it was doing stays pending (journal, inbox, cursor) for the next run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from framework.errors import RetryableError, RetryBudgetExhausted

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts in all, first wait, longest wait (seconds)."""

    attempts: int = 6
    initial_wait: float = 0.5
    max_wait: float = 60.0


class _WaitRetryAfter:
    """Wait what the system asked for (capped), else exponential backoff with jitter."""

    def __init__(self, policy: RetryPolicy):
        self.policy = policy
        self.backoff = wait_exponential_jitter(
            multiplier=policy.initial_wait, max=policy.max_wait, jitter=policy.initial_wait
        )

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RetryableError) and exc.retry_after is not None:
            return min(exc.retry_after, self.policy.max_wait)
        return float(self.backoff(state))


def call_with_retries(
    fn: Callable[[], T],
    policy: RetryPolicy,
    *,
    what: str,
    on_retry: Callable[[RetryableError], None] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> T:
    """Call ``fn``, retrying :class:`RetryableError` under ``policy``.

    Raises:
        RetryBudgetExhausted: every attempt failed with a retryable error.
    """
    # The first attempt is a plain call: tenacity's machinery costs about 40 µs a call, and
    # nearly every call succeeds at once (the engine makes one or two per record). Only a
    # failure hands over to tenacity, which sees it as its first attempt: same waits, same
    # budget, same reports.
    started = time.monotonic()
    try:
        return fn()
    except RetryableError as exc:
        first: list[RetryableError] = [exc]

    def again() -> T:
        if first:
            raise first.pop()
        return fn()

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if on_retry is not None and isinstance(exc, RetryableError):
            on_retry(exc)

    retrying = Retrying(
        retry=retry_if_exception_type(RetryableError),
        stop=stop_after_attempt(max(1, policy.attempts)),
        wait=_WaitRetryAfter(policy),
        before_sleep=before_sleep,
        reraise=True,
    )
    if sleep is not None:
        retrying.sleep = sleep
    try:
        return retrying(again)
    except RetryableError as exc:
        spent = time.monotonic() - started
        raise RetryBudgetExhausted(
            f"{what}: {exc} (gave up after {policy.attempts} attempts in {spent:.1f} s)",
            system=exc.system,
            status=exc.status,
        ) from exc
