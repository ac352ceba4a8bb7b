"""The fake Square's routes of customer custom attributes (``attributes.py`` holds the data)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from fakes.square.shapes import SquareError
from fakes.square.state import SquareState

Handler = Callable[[Request], Awaitable[Any]]
RouteMaker = Callable[[str, list[str], Handler], Route]
Body = Callable[[Request], Awaitable[dict[str, Any]]]
Idempotent = Callable[[Any, dict[str, Any], Callable[[], Any]], Any]
Listing = Callable[[str, list[dict[str, Any]], Request, int], Any]
BULK_MOST = 25


def attribute_routes(
    state: SquareState, route: RouteMaker, body: Body, idempotent: Idempotent, listing: Listing
) -> list[Route]:
    """The custom attribute paths of the spec, served from ``state.attributes``."""
    attributes = state.attributes

    async def definitions(request: Request) -> Any:
        if request.method == "POST":
            data = await body(request)
            return idempotent(
                data.get("idempotency_key"),
                data,
                lambda: {"custom_attribute_definition": attributes.create_definition(data)},
            )
        return listing(
            "custom_attribute_definitions", attributes.listed_definitions(), request, 100
        )

    async def one_definition(request: Request) -> Any:
        key = request.path_params["key"]
        if request.method == "DELETE":
            attributes.delete_definition(key)
            return {}
        if request.method == "PUT":
            data = await body(request)
            return {"custom_attribute_definition": attributes.update_definition(key, data)}
        return {"custom_attribute_definition": attributes.definition(key)}

    async def of_customer(request: Request) -> Any:
        customer_id = request.path_params["customer_id"]
        state.customer(customer_id)  # 404 for an unknown or deleted customer
        shown = attributes.of(customer_id, request.query_params.get("with_definitions") == "true")
        return listing("custom_attributes", shown, request, 100)

    async def one_value(request: Request) -> Any:
        customer_id, key = request.path_params["customer_id"], request.path_params["key"]
        state.customer(customer_id)
        if request.method == "DELETE":
            attributes.delete_value(customer_id, key)
            return {}
        if request.method == "POST":
            data = await body(request)
            return idempotent(
                data.get("idempotency_key"),
                {**data, "_at": [customer_id, key]},
                lambda: {
                    "custom_attribute": attributes.upsert(
                        customer_id, key, data.get("custom_attribute")
                    )
                },
            )
        wanted = request.query_params.get("with_definition") == "true"
        return {"custom_attribute": attributes.value(customer_id, key, wanted)}

    async def bulk_upsert(request: Request) -> Any:
        items = (await body(request)).get("values")
        if not isinstance(items, dict) or not 1 <= len(items) <= BULK_MOST:
            raise SquareError(
                400, "INVALID_VALUE", f"values must hold 1 to {BULK_MOST} requests", "values"
            )
        answers: dict[str, Any] = {}
        for name, item in items.items():
            try:
                answers[name] = _upsert_one(state, item)
            except SquareError as exc:
                answers[name] = exc.body()
        return {"values": answers}

    return [
        route("/v2/customers/custom-attribute-definitions", ["GET", "POST"], definitions),
        route(
            "/v2/customers/custom-attribute-definitions/{key}",
            ["GET", "PUT", "DELETE"],
            one_definition,
        ),
        route("/v2/customers/custom-attributes/bulk-upsert", ["POST"], bulk_upsert),
        route("/v2/customers/{customer_id}/custom-attributes", ["GET"], of_customer),
        route(
            "/v2/customers/{customer_id}/custom-attributes/{key}",
            ["GET", "POST", "DELETE"],
            one_value,
        ),
    ]


def _upsert_one(state: SquareState, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict) or not item.get("customer_id"):
        raise SquareError(
            400, "MISSING_REQUIRED_PARAMETER", "customer_id is required", "customer_id"
        )
    attribute = item.get("custom_attribute")
    key = attribute.get("key") if isinstance(attribute, dict) else None
    if not key:
        raise SquareError(
            400,
            "MISSING_REQUIRED_PARAMETER",
            "custom_attribute.key is required",
            "custom_attribute.key",
        )
    state.customer(item["customer_id"])
    stored = state.attributes.upsert(item["customer_id"], key, attribute)
    return {"customer_id": item["customer_id"], "custom_attribute": stored}
