"""The fake Podium's HTTP routes: the public v4 paths and the modelled partner paths.

Every request first lets the queued writes that are due take effect, then checks the bearer
token (``/v4`` paths); failures answer Podium's ``{code, message, moreInfo}``. The toolkit's
fault middleware sits in front (429 ``rate_limit`` at 300 requests a minute by default).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakes.podium import contract
from fakes.podium.errors import PodiumError, bad_request, injected_error
from fakes.podium.state import PodiumState
from fakes.podium.webhooks import PodiumWebhooks
from fakes.toolkit import (
    FaultPlan,
    FaultState,
    Gate,
    RateLimit,
    build_app,
    json_response,
    read_json,
)
from fakes.toolkit import parse_time as parse_rfc3339

Handler = Callable[[Request], Awaitable[Any]]
RATE_LIMIT = RateLimit(requests=300, window=60.0)


def podium_faults() -> FaultState:
    """Faults as Podium has them by default: its documented 300 requests a minute."""
    return FaultState(FaultPlan(rate_limit=RATE_LIMIT))


def make_app(
    state: PodiumState | None = None,
    faults: FaultState | None = None,
    webhooks: PodiumWebhooks | None = None,
) -> Starlette:
    """The fake Podium as an ASGI app (``state``, ``faults``, ``webhooks`` exposed for tests)."""
    state = state or PodiumState()
    faults = faults or podium_faults()
    webhooks = webhooks or PodiumWebhooks(state)

    async def body(request: Request) -> dict[str, Any]:
        data = await read_json(request)
        if not isinstance(data, dict):
            raise bad_request("the body must be a JSON object")
        return data

    def authorised(headers: Any) -> bool:
        try:
            state.oauth.check(headers.get("authorization"))
        except PodiumError:
            return False
        return True

    def route(path: str, methods: list[str], handler: Handler) -> Route:
        async def endpoint(request: Request) -> Response:
            try:
                state.settle()  # the token was checked by the gate (every /v4 path)
                result = await handler(request)
            except PodiumError as exc:
                return json_response(exc.body(), exc.status)
            return result if isinstance(result, Response) else json_response(result)

        return Route(path, endpoint, methods=methods)

    def accepted(request: Request, identifier: str) -> Response:
        return json_response(
            {"data": {"identifier": identifier}, "metadata": {"url": str(request.url)}}, 202
        )

    def one(request: Request, data: Any) -> dict[str, Any]:
        return {"data": data, "metadata": {"url": str(request.url)}}

    # -- OAuth (modelled) ---------------------------------------------------------------

    async def token(request: Request) -> Response:
        body = await read_json(request)
        if body is None:  # a form post is what many OAuth clients send
            body = dict(parse_qsl((await request.body()).decode()))
        status, answer = state.oauth.grant(body if isinstance(body, dict) else {})
        return json_response(answer, status)

    # -- contacts -----------------------------------------------------------------------

    async def list_contacts(request: Request) -> Any:
        q = request.query_params
        since = None
        if q.get("updated_at"):
            since = _time(q["updated_at"], "updated_at") + dt.timedelta(microseconds=1)
        records, cursor = _page(state.contacts.page, since, q)
        live = [state.public(r) for r in records if not r.get("deleted")]  # no deletion feed
        return _listing(request, live, cursor)

    async def create_contact(request: Request) -> Any:
        return accepted(request, state.request_create(await read_json(request)))

    async def contact(request: Request) -> Any:
        identifier = request.path_params["identifier"]
        if request.method == "GET":
            return one(request, state.public(state.contact(identifier)))
        if request.method == "DELETE":
            return accepted(request, state.request_delete(identifier))
        return accepted(request, state.request_update(identifier, await read_json(request)))

    async def contact_attribute(request: Request) -> Any:
        p = request.path_params
        body = None if request.method == "DELETE" else await read_json(request)
        if request.method != "DELETE" and body is None:
            raise bad_request("value is required")
        return accepted(request, state.request_attribute(p["identifier"], p["uid"], body))

    async def attributes(request: Request) -> Any:
        if request.method == "GET":
            return {"data": list(state.attributes.values()), "metadata": {"url": str(request.url)}}
        body = await read_json(request)
        if not isinstance(body, dict):
            raise bad_request("the body must be a JSON object")
        made = state.define_attribute(
            str(body.get("label") or ""),
            str(body.get("dataType") or ""),
            str(body.get("ownerResourceType") or ""),
        )
        return one(request, made)

    async def locations(request: Request) -> Any:
        return {"data": list(state.locations.values()), "metadata": {"url": str(request.url)}}

    # -- products (public reads, modelled write) ---------------------------------------

    async def products(request: Request) -> Any:
        if request.method == "POST":
            return accepted(request, state.request_product(await read_json(request)))
        q = request.query_params
        if q.get("xid"):
            found = state.product_by_xid(q["xid"])
            return _listing(request, [found] if found else [], None)
        records, cursor = _page(state.products.page, None, q)
        return _listing(request, [state.product_public(r) for r in records], cursor)

    async def product(request: Request) -> Any:
        try:
            record = state.products.get(request.path_params["uid"])
        except KeyError:
            raise PodiumError(404, f"Product {request.path_params['uid']} not found") from None
        return one(request, state.product_public(record))

    # -- purchases and the timeline (modelled) -----------------------------------------

    async def purchases(request: Request) -> Any:
        identifier = request.path_params["identifier"]
        if request.method == "POST":
            return accepted(request, state.request_purchase(identifier, await read_json(request)))
        return _listing(request, state.purchases_of(identifier), None)

    async def timeline(request: Request) -> Any:
        identifier = request.path_params["identifier"]
        if request.method == "POST":
            return accepted(request, state.request_event(identifier, await read_json(request)))
        return _listing(request, state.timeline_of(identifier), None)

    routes = [
        route("/oauth/token", ["POST"], token),
        route("/v4/contacts", ["GET"], list_contacts),
        route("/v4/contacts", ["POST"], create_contact),
        route("/v4/contacts/{identifier}", ["GET", "PATCH", "DELETE"], contact),
        route(
            "/v4/contacts/{identifier}/attributes/{uid}",
            ["POST", "PATCH", "DELETE"],
            contact_attribute,
        ),
        route("/v4/contacts/{identifier}/purchases", ["GET", "POST"], purchases),
        route("/v4/contacts/{identifier}/timeline_events", ["GET", "POST"], timeline),
        route("/v4/contact_attributes", ["GET", "POST"], attributes),
        route("/v4/locations", ["GET"], locations),
        route("/v4/products", ["GET", "POST"], products),
        route("/v4/products/{uid}", ["GET"], product),
        *webhooks.routes(route, body),
    ]
    gate = Gate(contract.guard(), contract.refuse, protected="/v4/", authorised=authorised)
    app = build_app(
        routes,
        faults=faults,
        state=state.snapshot,
        reset=state.reset,
        error_body=injected_error,
        gate=gate,
    )
    app.state.podium = state
    app.state.faults = faults
    app.state.webhooks = webhooks
    return app


def _time(text: str, name: str) -> dt.datetime:
    try:
        return parse_rfc3339(text)
    except ValueError:
        raise bad_request(f"{name} {text!r} is not a date-time (YYYY-MM-DDTHH:MM:SSZ)") from None


def _limit(value: str | None) -> int:
    if value is None or value == "":
        return 10
    try:
        limit = int(value)
    except ValueError:
        raise bad_request("limit must be an integer") from None
    if not 0 <= limit <= 100:
        raise bad_request("limit must be between 0 and 100")
    return limit


def _page(
    page: Callable[[dt.datetime | None, str | None, int], tuple[list[dict[str, Any]], str | None]],
    since: dt.datetime | None,
    q: Any,
) -> tuple[list[dict[str, Any]], str | None]:
    limit = _limit(q.get("limit"))
    if limit == 0:
        return [], None
    try:
        return page(since, q.get("cursor") or None, limit)
    except ValueError:
        raise bad_request("cursor is not valid") from None


def _listing(request: Request, data: list[dict[str, Any]], cursor: str | None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"url": str(request.url)}
    if cursor:
        metadata["nextCursor"] = cursor
    return {"data": data, "metadata": metadata}
