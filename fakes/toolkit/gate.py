"""A fake's gate: its vendor's checks, in front of its routes, as the vendor's gateway is.

:class:`GuardMiddleware` applies a :class:`Gate` to every request under the vendor's API path:

1. credentials first: a request without valid ones is refused whatever its path;
2. a method the path does not serve is refused with the methods it does (``Allow``);
3. parameters and the JSON body are checked against the spec (``fakes.toolkit.guard``);
   the first problem is refused.

The refusal is the vendor's (``refuse``: status and error shape), and the request never
reaches the fake, so nothing refused is stored. A body that passed is handed on parsed
(``read_json`` does not parse it again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from fakes.toolkit.guard import Problem, SpecGuard
from fakes.toolkit.openapi import Operation

JSON_KEY = "fake.json"  # the parsed body, left in the ASGI scope for ``read_json``
Refuse = Callable[[Problem], Response]


@dataclass(frozen=True)
class Gate:
    """What a fake puts in front of its routes: its guard, its refusals, its credentials check.

    ``protected``: the path prefix the vendor's API lives under (credentials are checked
    there, whatever the path); ``authorised`` says whether the headers carry valid ones.
    """

    guard: SpecGuard
    refuse: Refuse
    protected: str
    authorised: Callable[[Headers], bool] | None = None


class GuardMiddleware:
    """ASGI middleware applying a :class:`Gate` to every request under its ``protected`` path.

    ``routed`` is what the fake's routes serve (spec paths), so a method a path does not
    serve is refused with the ones it does. Operations the spec does not document pass
    unchecked (a fake's modelled paths).
    """

    def __init__(self, app: ASGIApp, gate: Gate, routed: set[Operation]):
        self.app = app
        self.guard = gate.guard
        self.refuse = gate.refuse
        self.protected = gate.protected
        self.authorised = gate.authorised
        self.served: dict[str, set[str]] = {}
        for method, path in routed:
            self.served.setdefault(path, set()).add(method)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse the request in the vendor's words, or pass it on."""
        if scope["type"] != "http" or not scope["path"].startswith(self.protected):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if self.authorised is not None and not self.authorised(headers):
            problem = Problem("unauthorized", "missing or invalid credentials", "header")
            await self.refuse(problem)(scope, receive, send)
            return
        path = scope["path"][len(self.guard.prefix) :]
        found = self.guard.match(path)
        if found is None:
            await self.app(scope, receive, send)
            return
        template, path_params = found
        method = scope["method"]
        served = self.served.get(template, set())
        if served and method not in served and not (method == "HEAD" and "GET" in served):
            allowed = tuple(sorted(served))
            problem = Problem("method", f"{method} is not allowed here", allowed=allowed)
            await self.refuse(problem)(scope, receive, send)
            return
        operation = (method, template)
        if not self.guard.documents(operation):
            await self.app(scope, receive, send)
            return
        body = await _read(receive) if self.guard.has_body(operation) else b""
        found_problem, data = self.guard.check(
            operation,
            query=scope.get("query_string", b"").decode("latin-1"),
            path_params=path_params,
            headers=headers,
            body=body,
        )
        if found_problem is not None:
            await self.refuse(found_problem)(scope, receive, send)
            return
        if not self.guard.has_body(operation):
            await self.app(scope, receive, send)
            return
        scope = {**scope, JSON_KEY: data}
        await self.app(scope, _replay(body, receive), send)


async def _read(receive: Receive) -> bytes:
    chunks = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
