"""The fake IdoSell's HTTP routes: the Admin API v6 paths ``docs/idosell-api.md`` lists."""

from __future__ import annotations

from email.utils import format_datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakes.idosell import contract
from fakes.idosell.contract import PREFIX, whole
from fakes.idosell.state import MAX_ITEMS, Fault, IdoSellState
from fakes.idosell.webhooks import notifier_for
from fakes.toolkit import Clock, FaultState, Gate, build_app, json_response, read_json

SINCE = "clientsLastModificationDate[clientsLastModificationDateBegin]"
EMPTY = {"faultCode": 2, "faultString": "Empty result"}


class DateHeader:
    """Every answer carries the shop's clock in a ``Date`` header, as a real server's does."""

    def __init__(self, app: ASGIApp, clock: Clock):
        self.app = app
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the header to the response start."""

        async def dated(message: Message) -> None:
            if message["type"] == "http.response.start":
                stamp = format_datetime(self.clock.now(), usegmt=True).encode()
                message = {**message, "headers": [*message.get("headers", []), (b"date", stamp)]}
            await send(message)

        await self.app(scope, receive, dated if scope["type"] == "http" else send)


def _ints(text: str | None) -> set[int] | None:
    """A comma-separated list of integers (the gate checked that it is one)."""
    if text is None:
        return None
    return {int(p) for p in text.split(",") if p.strip()}


def make_app(state: IdoSellState | None = None, faults: FaultState | None = None) -> Starlette:
    """The fake IdoSell as an ASGI app (``state``, ``faults``, ``notifier`` exposed for tests).

    ``app.state.notifier.subscribe(url, secret)`` is what a shop does in its panel to have
    account changes sent to ``url`` (``fakes/idosell/webhooks.py``).
    """
    state = state or IdoSellState()
    faults = faults or FaultState()
    notifier = notifier_for(state)

    async def list_clients(request: Request) -> Response:
        q = request.query_params
        page = int(q.get("resultsPage") or 0)  # ranges and types: checked by the gate
        limit = int(q.get("resultsLimit") or 100)
        codes = q.get("clientCodesExternal")
        found = state.select(
            q.get(SINCE),
            _ints(q.get("clientsIds")),
            {c for c in codes.split(",") if c} if codes is not None else None,
        )
        chunk = found[page * limit : (page + 1) * limit]
        body: dict[str, Any] = {
            "resultsNumberAll": len(found),
            "resultsNumberPage": -(-len(found) // limit),
            "resultsPage": page,
            "resultsLimit": limit,
        }
        if not chunk:
            return json_response({**body, "errors": EMPTY}, 207)
        return json_response({**body, "results": [state.as_result(c) for c in chunk]})

    async def items(request: Request) -> list[Any] | Response:
        body = await read_json(request)
        clients = (body.get("params") or {}).get("clients") if isinstance(body, dict) else None
        if not isinstance(clients, list) or not clients:
            return whole(422, 3, "No parameters were received")
        if len(clients) > MAX_ITEMS:
            return whole(422, 3, f"at most {MAX_ITEMS} clients per request")
        return clients

    async def create_clients(request: Request) -> Response:
        clients = await items(request)
        if isinstance(clients, Response):
            return clients
        out = []
        for item in clients:
            reference = item.get("request_reference") if isinstance(item, dict) else None
            try:
                client = state.create(item)
            except Fault as fault:
                out.append({"status": False, "errors": [fault.as_error()]})
                continue
            params = {"id": client["clientId"], "login": client["clientLogin"]}
            if reference is not None:
                params["request_reference"] = reference
            out.append({"status": True, "params": params})
        failed = any(not r["status"] for r in out)
        return json_response({"clients": out}, 207 if failed else 200)

    async def update_clients(request: Request) -> Response:
        clients = await items(request)
        if isinstance(clients, Response):
            return clients
        out = []
        for item in clients:
            reference = item.get("requestReference") if isinstance(item, dict) else None
            try:
                client = state.update(item)
            except Fault as fault:
                out.append({"resultStatus": False, "errors": [fault.as_error()]})
                continue
            result = {"clientId": client["clientId"]}
            if reference is not None:
                result["requestReference"] = reference
            out.append({"resultStatus": True, "clientsResult": result})
        failed = any(not r["resultStatus"] for r in out)
        return json_response({"results": out}, 207 if failed else 200)

    async def list_deliveries(request: Request) -> Response:
        ids = _ints(request.query_params.get("clientIds"))
        found = state.select(None, ids, None) if ids else []
        if not found:
            return json_response({"errors": EMPTY}, 207)
        return json_response(
            {
                "results": [
                    {
                        "clientId": c["clientId"],
                        "clientLogin": c["clientLogin"],
                        "clientCodeExternal": c["clientCodeExternal"] or "",
                        "clientDeliveryAddresses": c["deliveries"],
                    }
                    for c in found
                ]
            }
        )

    async def add_deliveries(request: Request) -> Response:
        clients = await items(request)
        if isinstance(clients, Response):
            return clients
        out = []
        for item in clients:
            try:
                address_id = state.add_delivery(item)
            except Fault as fault:
                out.append({"resultStatus": False, "errors": [fault.as_error()]})
                continue
            out.append(
                {
                    "resultStatus": True,
                    "clientDeliveryAddressResult": {"clientDeliveryAddressId": address_id},
                }
            )
        failed = any(not r["resultStatus"] for r in out)
        return json_response({"results": out}, 207 if failed else 200)

    async def external_code(request: Request) -> Response:
        body = await read_json(request)
        params = body.get("params") if isinstance(body, dict) else None
        if not isinstance(params, dict):
            return whole(422, 3, "No parameters were received")
        try:
            state.set_code(
                params.get("client_id"), params.get("client_login"), params.get("code_extern")
            )
        except Fault as fault:
            return json_response({"errors": fault.as_error()}, 207)
        return json_response({})

    async def discount_groups(request: Request) -> Response:
        groups = [
            {"groupNumber": n, "groupName": name, "groupType": "simple", "groupCombined": "no"}
            for n, name in sorted(state.groups.items())
        ]
        return json_response(
            {
                "resultsNumberAll": len(groups),
                "resultsNumberPage": 1,
                "resultsPage": 0,
                "resultsLimit": 100,
                "groups": groups,
            }
        )

    async def shops_data(request: Request) -> Response:
        return json_response(
            {
                "shops": [
                    {"shop_id": n, "shop_name": name} for n, name in sorted(state.shops.items())
                ],
                "panel_settings": {"basecurrency_id": "PLN", "default_lang_id": "pol"},
            }
        )

    routes = [
        Route(f"{PREFIX}/clients/clients", list_clients, methods=["GET"]),
        Route(f"{PREFIX}/clients/clients", create_clients, methods=["POST"]),
        Route(f"{PREFIX}/clients/clients", update_clients, methods=["PUT"]),
        Route(f"{PREFIX}/clients/deliveryAddress", list_deliveries, methods=["GET"]),
        Route(f"{PREFIX}/clients/deliveryAddress", add_deliveries, methods=["POST"]),
        Route(f"{PREFIX}/clients/externalCode", external_code, methods=["PUT"]),
        Route(f"{PREFIX}/discounts/groups", discount_groups, methods=["GET"]),
        Route(f"{PREFIX}/system/shopsData", shops_data, methods=["GET"]),
    ]
    gate = Gate(
        contract.guard(),
        contract.refuse,
        protected=f"{PREFIX}/",  # credentials first, whatever the path (as IdoSell does)
        authorised=lambda headers: headers.get("x-api-key") == state.api_key,
    )
    app = build_app(
        routes,
        faults=faults,
        state=state.snapshot,
        reset=state.reset,
        error_body=b'{"errors": {"faultCode": 500, "faultString": "injected fault"}}',
        gate=gate,
    )
    app.add_middleware(DateHeader, clock=state.clock)
    app.state.idosell = state
    app.state.faults = faults
    app.state.notifier = notifier
    return app
