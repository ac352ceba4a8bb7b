"""Building a fake: a Starlette app with fault injection and a test-only inspection API.

A fake is its vendor's routes plus what every fake offers here::

    GET  /_fake/health     -> {"ok": true}
    GET  /_fake/faults     -> what was injected so far
    POST /_fake/faults     -> replace the fault plan (a FaultPlan as JSON)
    POST /_fake/reset      -> forget every record and counter
    GET  /_fake/state      -> the fake's records (its own shape)

Third parties build a fake in a page: routes over a :class:`FeedStore`, then ``build_app``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fakes.toolkit.faults import ErrorBody, FaultMiddleware, FaultPlan, FaultState
from fakes.toolkit.gate import JSON_KEY, Gate, GuardMiddleware
from fakes.toolkit.openapi import routed

_ABSENT = object()


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response encoded with orjson."""
    return Response(
        orjson.dumps(data), status_code=status, media_type="application/json", headers=headers
    )


async def read_json(request: Request) -> Any:
    """The request body as JSON, or ``None`` when it is not JSON.

    A body the fake's :class:`Gate` already parsed is not parsed again.
    """
    parsed = request.scope.get(JSON_KEY, _ABSENT)
    if parsed is not _ABSENT:
        return parsed
    body = await request.body()
    if not body:
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def build_app(
    routes: Sequence[BaseRoute],
    *,
    faults: FaultState,
    state: Callable[[], Any],
    reset: Callable[[], None],
    error_body: ErrorBody = b'{"error": {"type": "server_error", "message": "injected fault"}}',
    gate: Gate | None = None,
) -> Starlette:
    """A fake's app: its routes, the inspection API, and the fault middleware around them.

    With a ``gate``, requests are checked against the vendor's spec before the routes see
    them (``fakes.toolkit.guard``); faults are injected before that, as a gateway would.
    """

    async def health(request: Request) -> Response:
        return json_response({"ok": True})

    async def get_faults(request: Request) -> Response:
        return json_response(faults.summary())

    async def set_faults(request: Request) -> Response:
        faults.configure(FaultPlan.model_validate(await read_json(request) or {}))
        return json_response(faults.summary())

    async def do_reset(request: Request) -> Response:
        reset()
        faults.configure(FaultPlan())
        return json_response({"ok": True})

    async def get_state(request: Request) -> Response:
        return json_response(state())

    inspection = [
        Route("/_fake/health", health),
        Route("/_fake/faults", get_faults, methods=["GET"]),
        Route("/_fake/faults", set_faults, methods=["POST"]),
        Route("/_fake/reset", do_reset, methods=["POST"]),
        Route("/_fake/state", get_state),
    ]
    app = Starlette(routes=[*inspection, *routes])
    if gate is not None:
        app.add_middleware(GuardMiddleware, gate=gate, routed=routed(routes, gate.guard.prefix))
    app.add_middleware(FaultMiddleware, state=faults, error_body=error_body)
    return app
