"""The Clientbook fake's HTTP routes, as ``docs/clientbook-api.md`` specifies them."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakes.clientbook import contract
from fakes.clientbook.contract import error
from fakes.clientbook.routes import routes as resource_routes
from fakes.clientbook.state import ClientbookState, Invalid
from fakes.toolkit import FaultState, Gate, build_app, json_response, parse_time, read_json

MAX_LIMIT = 500


def make_app(state: ClientbookState | None = None, faults: FaultState | None = None) -> Starlette:
    """The fake Clientbook as an ASGI app (``state`` and ``faults`` are exposed for tests)."""
    state = state or ClientbookState()
    faults = faults or FaultState()

    def authorised(headers: Any) -> bool:
        return bool(headers.get("authorization") == f"Bearer {state.api_key}")

    def actor(request: Request) -> str:
        return request.headers.get("x-clientbook-associate") or "api"

    async def list_clients(request: Request) -> Response:
        state.publish()
        q = request.query_params
        try:
            limit = min(int(q.get("limit", "100")), MAX_LIMIT)
        except ValueError:
            return error(400, "invalid_request", "limit must be a number", "limit")
        if "email" in q or "mobile" in q:
            return json_response(
                {
                    "data": search(state, q.get("email"), q.get("mobile"))[:limit],
                    "next_page_token": None,
                }
            )
        try:
            since = parse_time(q["updated_since"]) if q.get("updated_since") else None
        except ValueError as exc:
            return error(400, "invalid_request", str(exc), "updated_since")
        try:
            data, token = state.clients.page(since, q.get("page_token"), limit)
        except ValueError as exc:
            return error(400, "invalid_request", str(exc), "page_token")
        return json_response({"data": data, "next_page_token": token})

    async def create_client(request: Request) -> Response:
        key = request.headers.get("idempotency-key")
        try:
            status, body = state.create(await read_json(request), actor(request), key)
        except Invalid as exc:
            return error(422, "invalid_request", str(exc), exc.field)
        return json_response(body, status)

    async def one_client(request: Request) -> Response:
        client_id = request.path_params["client_id"]
        state.publish()
        try:
            current = state.clients.get(client_id)
        except KeyError:
            return error(404, "not_found", f"no client {client_id}")
        if request.method == "GET":
            return json_response(current)
        if request.method == "DELETE":
            state.clients.delete(client_id, actor(request))
            return Response(status_code=204)
        expected = request.headers.get("if-match")
        if expected is not None and expected != str(current["version"]):
            return error(409, "conflict", f"client {client_id} is at version {current['version']}")
        try:
            client = state.update_client(client_id, await read_json(request), actor(request))
        except Invalid as exc:
            return error(422, "invalid_request", str(exc), exc.field)
        return json_response(client)

    async def batch(request: Request) -> Response:
        body = await read_json(request)
        operations = body.get("operations") if isinstance(body, dict) else None
        if not isinstance(operations, list) or not 0 < len(operations) <= 100:
            return error(422, "invalid_request", "operations: 1 to 100 required", "operations")
        return json_response(
            {"results": [run_operation(state, op, actor(request)) for op in operations]}
        )

    async def associates(request: Request) -> Response:
        return json_response({"data": state.associates})

    routes = [
        Route("/v1/clients", list_clients, methods=["GET"]),
        Route("/v1/clients", create_client, methods=["POST"]),
        Route("/v1/clients/batch", batch, methods=["POST"]),
        Route("/v1/clients/{client_id}", one_client, methods=["GET", "PATCH", "DELETE"]),
        Route("/v1/associates", associates, methods=["GET"]),
        *resource_routes(state),
    ]
    app = build_app(
        routes,
        faults=faults,
        state=state.snapshot,
        reset=state.reset,
        error_body=b'{"error": {"type": "server_error", "message": "injected"}}',
        gate=Gate(contract.guard(), contract.refuse, protected="/v1/", authorised=authorised),
    )
    app.state.clientbook = state
    app.state.faults = faults
    return app


def search(state: ClientbookState, email: str | None, mobile: str | None) -> list[dict[str, Any]]:
    """Live clients with this e-mail (case-insensitive) or mobile number."""
    found = []
    for client in state.clients.live():
        by_email = email is not None and (client.get("email") or "").lower() == email.lower()
        by_mobile = mobile is not None and client.get("mobile") == mobile
        if by_email or by_mobile:
            found.append(dict(client))
    return found


def run_operation(state: ClientbookState, op: Any, actor: str) -> dict[str, Any]:
    """One operation of a batch; it succeeds or fails alone."""
    if not isinstance(op, dict) or op.get("op") not in ("create", "update"):
        return {
            "status": 422,
            "error": {"type": "invalid_request", "message": "bad operation", "field": "op"},
        }
    try:
        if op["op"] == "create":
            status, body = state.create(op.get("client"), actor, op.get("idempotency_key"))
            return {"status": 201, "client": dict(body)} if status == 201 else {"status": 202}
        return {
            "status": 200,
            "client": dict(state.update_client(str(op.get("id")), op.get("client"), actor)),
        }
    except Invalid as exc:
        return {
            "status": 422,
            "error": {"type": "invalid_request", "message": str(exc), "field": exc.field},
        }
    except KeyError:
        return {
            "status": 404,
            "error": {"type": "not_found", "message": f"no client {op.get('id')}", "field": "id"},
        }
