"""Fault injection for HTTP fakes: 429, 5xx, slow answers, dropped connections, bad bodies.

A :class:`FaultPlan` holds rules; each rule fires at a set rate (seeded, so a test is
repeatable), on given call numbers, or every Nth call, for requests whose path starts with
a prefix. A rate limit (requests per window) answers 429 with ``Retry-After``. The plan is
set per test in Python, from ``syncwright fake serve NAME --fault …``, or over HTTP with
``POST /_fake/faults``.

A rule fires ``before`` the fake does the work (the request never lands: an overloaded
gateway) or ``after`` it (the write landed but its answer is an error, late, cut off or
never comes: a timed-out proxy, a dropped connection). ``after`` is the case that tests
idempotence: the client cannot tell, retries, and must not write twice (G-6).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakes.toolkit.transport import DropConnection
from framework.errors import ConfigError, describe

FaultKind = Literal["429", "500", "502", "503", "504", "slow", "drop", "malformed"]
FAULT_KINDS: tuple[str, ...] = ("429", "500", "502", "503", "504", "slow", "drop", "malformed")


class FaultRule(BaseModel):
    """One kind of fault and when it fires."""

    model_config = ConfigDict(extra="forbid")

    kind: FaultKind
    rate: float = Field(0.0, ge=0, le=1, description="Share of matching calls that fail")
    nth: list[int] = Field(default_factory=list, description="Matching call numbers (1-based)")
    every: int | None = Field(None, gt=0, description="Every Nth matching call")
    path: str = Field("/", description="Only requests whose path starts with this")
    methods: list[str] = Field(default_factory=list, description="Only these methods")
    retry_after: float = Field(1.0, ge=0, description="Retry-After of a 429, seconds")
    delay: float = Field(30.0, ge=0, description="How long a slow answer takes, seconds")
    when: Literal["before", "after"] = Field(
        "before", description="Fail before the fake does the work, or after (it landed)"
    )


class RateLimit(BaseModel):
    """At most ``requests`` per ``window`` seconds; beyond that, 429 with Retry-After."""

    model_config = ConfigDict(extra="forbid")

    requests: int = Field(gt=0)
    window: float = Field(60.0, gt=0)


class FaultPlan(BaseModel):
    """What a fake should get wrong, and the seed that makes it repeatable."""

    model_config = ConfigDict(extra="forbid")

    rules: list[FaultRule] = Field(default_factory=list)
    rate_limit: RateLimit | None = None
    seed: int = 1234


def plan_from_options(options: dict[str, Any]) -> FaultPlan:
    """The fault plan ``syncwright fake serve`` options ask for (``faults``, ``rate_limit``).

    Raises:
        ConfigError: a rule or the rate limit is invalid (one line naming the option).
    """
    try:
        return FaultPlan(
            rules=options.get("faults") or [],
            rate_limit=options.get("rate_limit"),
            seed=int(options.get("fault_seed") or 1234),
        )
    except ValidationError as exc:
        raise ConfigError(f"--fault/--rate-limit: {describe(exc)}") from None


class FaultState:
    """The live plan of one fake and what it has done so far."""

    def __init__(self, plan: FaultPlan | None = None):
        self.configure(plan or FaultPlan())

    def configure(self, plan: FaultPlan) -> None:
        """Replace the plan and reset the counters."""
        self.plan = plan
        self.random = random.Random(plan.seed)
        self.matching: dict[int, int] = {}
        self.injected: dict[str, int] = {}
        self.after: dict[str, int] = {}
        self.calls = 0
        self.limited = 0
        self._window: deque[float] = deque()

    def choose(self, method: str, path: str) -> FaultRule | None:
        """The rule that fires for this request, if any (counts every call)."""
        self.calls += 1
        for index, rule in enumerate(self.plan.rules):
            if not path.startswith(rule.path) or (rule.methods and method not in rule.methods):
                continue
            n = self.matching.get(index, 0) + 1
            self.matching[index] = n
            fires = (
                n in rule.nth
                or (rule.every is not None and n % rule.every == 0)
                or (rule.rate > 0 and self.random.random() < rule.rate)
            )
            if fires:
                self.injected[rule.kind] = self.injected.get(rule.kind, 0) + 1
                if rule.when == "after":
                    self.after[rule.kind] = self.after.get(rule.kind, 0) + 1
                return rule
        return None

    def over_limit(self) -> float | None:
        """Seconds to wait when the rate limit is exceeded, else ``None`` (and count the call)."""
        limit = self.plan.rate_limit
        if limit is None:
            return None
        now = time.monotonic()
        while self._window and now - self._window[0] >= limit.window:
            self._window.popleft()
        if len(self._window) >= limit.requests:
            self.limited += 1
            return max(0.0, limit.window - (now - self._window[0]))
        self._window.append(now)
        return None

    def summary(self) -> dict[str, Any]:
        """What was injected so far."""
        return {
            "calls": self.calls,
            "injected": dict(self.injected),
            "after_the_work": dict(self.after),
            "rate_limited": self.limited,
        }

    def total(self) -> int:
        """How many faults were injected, rate-limit answers included."""
        return sum(self.injected.values()) + self.limited


ErrorBody = bytes | Callable[[int], bytes]


class FaultMiddleware:
    """ASGI middleware applying a :class:`FaultState` to every request but ``/_fake/``.

    ``error_body`` is the body of an injected error: fixed bytes, or a function of the
    status for a vendor whose error shape names the status (Square's ``RATE_LIMITED``).
    """

    def __init__(self, app: ASGIApp, state: FaultState, error_body: ErrorBody):
        self.app = app
        self.state = state
        self._error_body = error_body

    def error_body(self, status: int) -> bytes:
        """The body of an injected error with ``status``."""
        body = self._error_body
        return body if isinstance(body, bytes) else body(status)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer with a fault, or pass the request on."""
        if scope["type"] != "http" or scope["path"].startswith("/_fake/"):
            await self.app(scope, receive, send)
            return
        wait = self.state.over_limit()
        if wait is not None:
            await _answer(send, 429, self.error_body(429), {"retry-after": f"{wait:.3f}"})
            return
        rule = self.state.choose(scope["method"], scope["path"])
        try:
            if rule is None:
                await self.app(scope, receive, send)
            elif rule.when == "after":
                await self._after(rule, scope, receive, send)
            else:
                await self._before(rule, scope, receive, send)
        except ClientDisconnect:  # the client gave up (timeout, killed): nobody to answer
            return

    async def _before(self, rule: FaultRule, scope: Scope, receive: Receive, send: Send) -> None:
        if rule.kind == "429":
            await _answer(send, 429, self.error_body(429), {"retry-after": f"{rule.retry_after:g}"})
        elif rule.kind in ("500", "502", "503", "504"):
            await _answer(send, int(rule.kind), self.error_body(int(rule.kind)), {})
        elif rule.kind == "slow":
            await asyncio.sleep(rule.delay)
            await self.app(scope, receive, send)
        elif rule.kind == "drop":
            await _start(send, 200)
            raise DropConnection()
        else:  # malformed: a cut-off JSON body with a success status
            await _answer(send, 200, b'{"data": [{"id": "', {})

    async def _after(self, rule: FaultRule, scope: Scope, receive: Receive, send: Send) -> None:
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)  # the work is done: only the answer goes wrong
        status = next((m["status"] for m in held if m["type"] == "http.response.start"), 200)
        body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
        if rule.kind == "429":
            await _answer(send, 429, self.error_body(429), {"retry-after": f"{rule.retry_after:g}"})
        elif rule.kind in ("500", "502", "503", "504"):
            await _answer(send, int(rule.kind), self.error_body(int(rule.kind)), {})
        elif rule.kind == "slow":
            await asyncio.sleep(rule.delay)
            for message in held:
                await send(message)
        elif rule.kind == "drop":
            await _start(send, status)
            raise DropConnection()
        else:  # malformed: the real answer cut in half
            await _answer(send, status if body else 200, body[: len(body) // 2] or b"{", {})


async def _start(send: Send, status: int) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )


async def _answer(send: Send, status: int, body: bytes, headers: dict[str, str]) -> None:
    raw = [
        (b"content-type", b"application/json"),
        *((k.encode(), v.encode()) for k, v in headers.items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
