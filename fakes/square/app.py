"""The Square fake's HTTP routes: the v2 paths, shapes, paging and errors of Square's spec."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakes.square import contract, search
from fakes.square.attribute_routes import attribute_routes
from fakes.square.state import SquareError, SquareState
from fakes.square.webhooks import notifier_for, webhook_routes
from fakes.toolkit import FaultState, Gate, build_app, iso, json_response, parse_time, read_json
from fakes.toolkit.webhooks import Notifier

_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}$")
Handler = Callable[[Request], Awaitable[Any]]
INJECTED = {
    429: ("RATE_LIMIT_ERROR", "RATE_LIMITED"),
    503: ("API_ERROR", "SERVICE_UNAVAILABLE"),
}


def injected_error(status: int) -> bytes:
    """The body of an injected fault, in Square's error shape."""
    category, code = INJECTED.get(status, ("API_ERROR", "INTERNAL_SERVER_ERROR"))
    return orjson.dumps({"errors": [{"category": category, "code": code, "detail": "injected"}]})


def make_app(
    state: SquareState | None = None,
    faults: FaultState | None = None,
    notifier: Notifier | None = None,
) -> Starlette:
    """The fake Square as an ASGI app (``state``, ``faults``, ``notifier`` exposed for tests)."""
    state = state or SquareState()
    faults = faults or FaultState()
    notifier = notifier or notifier_for(state)

    def route(path: str, methods: list[str], handler: Handler) -> Route:
        async def endpoint(request: Request) -> Response:
            try:
                _check_headers(state, request)
                result = await handler(request)
            except SquareError as exc:
                return json_response(exc.body(), exc.status)
            return result if isinstance(result, Response) else json_response(result)

        return Route(path, endpoint, methods=methods)

    async def body(request: Request) -> dict[str, Any]:
        data = await read_json(request)
        if not isinstance(data, dict):
            raise SquareError(400, "EXPECTED_JSON_BODY", "the body must be a JSON object")
        return data

    def idempotent(key: Any, payload: dict[str, Any], make: Callable[[], Any]) -> Any:
        if not key:
            return make()
        fingerprint = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode()
        if key in state.idempotency:
            seen, answer = state.idempotency[key]
            if seen != fingerprint:
                raise SquareError(
                    400, "IDEMPOTENCY_KEY_REUSED", "the key was used with another request"
                )
            return answer
        answer = make()
        state.idempotency[key] = (fingerprint, answer)
        return answer

    # -- customers ----------------------------------------------------------------------

    async def create_customer(request: Request) -> Any:
        data = await body(request)
        return idempotent(
            data.get("idempotency_key"),
            data,
            lambda: {"customer": state.create_customer(data)},
        )

    async def list_customers(request: Request) -> Any:
        q = request.query_params
        return search.page(
            state.searchable(),
            sort_field=q.get("sort_field", "DEFAULT"),
            sort_order=q.get("sort_order", "ASC"),
            cursor=q.get("cursor"),
            limit=_int(q.get("limit"), "limit"),
            count=q.get("count") == "true",
        )

    async def search_customers(request: Request) -> Any:
        data = await body(request)
        query = data.get("query") or {}
        sort = query.get("sort") or {}
        return search.page(
            state.searchable(),
            query=query,
            sort_field=sort.get("field") or "DEFAULT",
            sort_order=sort.get("order") or "ASC",
            cursor=data.get("cursor"),
            limit=data.get("limit"),
            count=bool(data.get("count")),
        )

    async def one_customer(request: Request) -> Any:
        customer_id = request.path_params["customer_id"]
        if request.method == "GET":
            return {"customer": state.customer(customer_id)}
        if request.method == "DELETE":
            state.delete_customer(customer_id, _int(request.query_params.get("version"), "version"))
            return {}
        return {"customer": state.update_customer(customer_id, await body(request))}

    async def bulk_create(request: Request) -> Any:
        items = _bulk(await body(request))
        responses: dict[str, Any] = {}
        for key, data in items.items():
            try:
                make = lambda d=data: {"customer": state.create_customer(d)}  # noqa: E731
                responses[key] = idempotent(key, data, make)
            except SquareError as exc:
                responses[key] = exc.body()
        return {"responses": responses}

    async def bulk_update(request: Request) -> Any:
        items = _bulk(await body(request))
        responses: dict[str, Any] = {}
        for customer_id, data in items.items():
            try:
                responses[customer_id] = {"customer": state.update_customer(customer_id, data)}
            except SquareError as exc:
                responses[customer_id] = exc.body()
        return {"responses": responses}

    # -- groups and segments ------------------------------------------------------------

    async def groups(request: Request) -> Any:
        if request.method == "POST":
            data = await body(request)
            group = data.get("group") or {}
            return idempotent(
                data.get("idempotency_key"),
                data,
                lambda: {"group": state.create_group(group.get("name") or "")},
            )
        return _listing("groups", list(state.groups.values()), request, 50)

    async def one_group(request: Request) -> Any:
        group_id = request.path_params["group_id"]
        if group_id not in state.groups:
            raise SquareError(404, "NOT_FOUND", f"Customer group {group_id} not found.")
        if request.method == "DELETE":
            del state.groups[group_id]
            return {}
        if request.method == "PUT":
            name = ((await body(request)).get("group") or {}).get("name")
            if name:
                state.groups[group_id].update(name=name, updated_at=iso(state.clock.now()))
        return {"group": state.groups[group_id]}

    async def membership(request: Request) -> Any:
        p = request.path_params
        if request.method == "PUT":
            state.set_groups(p["customer_id"], add=p["group_id"])
        else:
            state.set_groups(p["customer_id"], remove=p["group_id"])
        return {}

    async def segments(request: Request) -> Any:
        shown = [{k: v for k, v in s.items() if k != "ids"} for s in state.segments.values()]
        return _listing("segments", shown, request, 50)

    async def one_segment(request: Request) -> Any:
        segment = state.segments.get(request.path_params["segment_id"])
        if segment is None:
            raise SquareError(404, "NOT_FOUND", "Customer segment not found.")
        return {"segment": {k: v for k, v in segment.items() if k != "ids"}}

    # -- bookings -----------------------------------------------------------------------

    async def bookings(request: Request) -> Any:
        if request.method == "POST":
            data = await body(request)
            return idempotent(
                data.get("idempotency_key"),
                data,
                lambda: {"booking": state.create_booking(data.get("booking"))},
            )
        q = request.query_params
        start = _time(q, "start_at_min") or state.clock.now()
        end = _time(q, "start_at_max") or start + dt.timedelta(days=31)
        chosen = [
            b
            for b in state.bookings.values()
            if (not q.get("customer_id") or b.get("customer_id") == q["customer_id"])
            and (not q.get("location_id") or b.get("location_id") == q["location_id"])
            and start <= parse_time(b["start_at"]) <= end
        ]
        chosen.sort(key=lambda b: (b["start_at"], b["id"]))
        return _listing("bookings", chosen, request, None)

    async def one_booking(request: Request) -> Any:
        booking_id = request.path_params["booking_id"]
        if request.method == "GET":
            return {"booking": state.booking(booking_id)}
        data = await body(request)
        return idempotent(
            data.get("idempotency_key"),
            {**data, "_id": booking_id},
            lambda: {"booking": state.update_booking(booking_id, data.get("booking"))},
        )

    # -- events -------------------------------------------------------------------------

    async def search_events(request: Request) -> Any:
        data = await body(request)
        flt = ((data.get("query") or {}).get("filter")) or {}
        types = set(flt.get("event_types") or [])
        since = (flt.get("created_at") or {}).get("start_at")
        start = parse_time(since) if since else None
        chosen = [
            e
            for e in state.events
            if (not types or e["type"] in types)
            and (start is None or parse_time(e["created_at"]) >= start)
        ]
        offset = _int(data.get("cursor"), "cursor") or 0
        limit = data.get("limit") or 100
        if not 1 <= limit <= 100:
            raise SquareError(400, "VALUE_TOO_HIGH", "limit must be 1 to 100", "limit")
        served = chosen[offset : offset + limit]
        answer: dict[str, Any] = {
            "events": served,
            "metadata": [{"event_id": e["event_id"], "api_version": "2025-08-20"} for e in served],
        }
        if offset + limit < len(chosen):
            answer["cursor"] = str(offset + limit)
        return answer

    routes = [
        route("/v2/customers", ["GET"], list_customers),
        route("/v2/customers", ["POST"], create_customer),
        route("/v2/customers/search", ["POST"], search_customers),
        route("/v2/customers/bulk-create", ["POST"], bulk_create),
        route("/v2/customers/bulk-update", ["POST"], bulk_update),
        route("/v2/customers/groups", ["GET", "POST"], groups),
        route("/v2/customers/groups/{group_id}", ["GET", "PUT", "DELETE"], one_group),
        route("/v2/customers/segments", ["GET"], segments),
        route("/v2/customers/segments/{segment_id}", ["GET"], one_segment),
        *attribute_routes(state, route, body, idempotent, _listing),
        route("/v2/customers/{customer_id}", ["GET", "PUT", "DELETE"], one_customer),
        route("/v2/customers/{customer_id}/groups/{group_id}", ["PUT", "DELETE"], membership),
        route("/v2/bookings", ["GET", "POST"], bookings),
        route("/v2/bookings/{booking_id}", ["GET", "PUT"], one_booking),
        route("/v2/events", ["POST"], search_events),
        *webhook_routes(state, notifier, route, body),
    ]
    gate = Gate(
        contract.guard(),
        contract.refuse,
        protected="/v2/",
        authorised=lambda headers: headers.get("authorization") == f"Bearer {state.token}",
    )
    app = build_app(
        routes,
        faults=faults,
        state=state.snapshot,
        reset=state.reset,
        error_body=injected_error,
        gate=gate,
    )
    app.state.square = state
    app.state.faults = faults
    app.state.notifier = notifier
    return app


def _check_headers(state: SquareState, request: Request) -> None:
    """The Square-Version header (credentials were checked by the fake's gate)."""
    version = request.headers.get("square-version")
    if version is not None:
        if not _VERSION.match(version):
            raise SquareError(
                400, "INVALID_SQUARE_VERSION_FORMAT", f"Square-Version {version!r} is malformed"
            )
        state.versions_seen.append(version)


def _int(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SquareError(400, "EXPECTED_INTEGER", f"{name} must be an integer", name) from None


def _bulk(data: dict[str, Any]) -> dict[str, Any]:
    items = data.get("customers")
    if items is None:
        raise SquareError(400, "MISSING_REQUIRED_PARAMETER", "customers is required", "customers")
    if not isinstance(items, dict) or not items:
        raise SquareError(400, "ARRAY_EMPTY", "customers must hold 1 to 100 requests", "customers")
    if len(items) > 100:
        raise SquareError(
            400, "ARRAY_LENGTH_TOO_LONG", "customers must hold 1 to 100 requests", "customers"
        )
    return items


def _time(q: Any, name: str) -> dt.datetime | None:
    if not q.get(name):
        return None
    try:
        return parse_time(q[name])
    except ValueError:
        raise SquareError(400, "INVALID_TIME", f"{name} is not an RFC 3339 time", name) from None


def _listing(name: str, items: list[dict[str, Any]], request: Request, most: int | None) -> Any:
    """A page of ``items``; ``most``: the documented largest ``limit`` (the gate checks it).

    ``None``: the spec gives no range (ListBookings), so any limit is taken, at least 1.
    """
    q = request.query_params
    limit = _int(q.get("limit"), "limit")
    limit = max(1, limit) if limit is not None else min(most or 100, 100)
    cursor = q.get("cursor") or "0"
    if not (cursor.isascii() and cursor.isdigit()):
        raise SquareError(400, "INVALID_CURSOR", "the cursor is not valid", "cursor")
    offset = int(cursor)
    served = items[offset : offset + limit]
    answer: dict[str, Any] = {name: served} if served else {}
    if offset + limit < len(items):
        answer["cursor"] = str(offset + limit)
    return answer
