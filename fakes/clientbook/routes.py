"""HTTP routes of the fake Clientbook's resources beyond clients (``docs/clientbook-api.md``).

Every handler is wrapped by :func:`guarded`: the API key is checked, and the state's
exceptions become Clientbook errors (``Invalid`` 422, ``Conflict`` 409, unknown id 404).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakes.clientbook.state import ClientbookState
from fakes.clientbook.validate import Conflict, Invalid
from fakes.toolkit import FeedStore, json_response, parse_time, read_json

Handler = Callable[[Request], Awaitable[Response]]
MAX_LIMIT = 500
MAX_BATCH = 100


class BadRequest(Exception):
    """A malformed query (answered ``400``)."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


from fakes.clientbook.contract import error  # noqa: E402


def actor(request: Request) -> str:
    """The acting Clientbook user, or ``api``."""
    return request.headers.get("x-clientbook-associate") or "api"


def guarded(state: ClientbookState, handler: Handler) -> Handler:
    """``handler`` with the state's errors answered as Clientbook's (the gate checked the key)."""

    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except BadRequest as exc:
            return error(400, "invalid_request", str(exc), exc.field)
        except Invalid as exc:
            return error(422, "invalid_request", str(exc), exc.field)
        except Conflict as exc:
            return error(409, "conflict", str(exc))
        except KeyError as exc:
            return error(404, "not_found", f"no record {exc.args[0]}")

    return run


def limit_of(request: Request) -> int:
    """The ``limit`` query parameter (default 100, at most 500)."""
    try:
        return max(1, min(int(request.query_params.get("limit", "100")), MAX_LIMIT))
    except ValueError:
        raise BadRequest("limit must be a number", "limit") from None


def feed(store: FeedStore, request: Request) -> Response:
    """One page of a store's change feed."""
    q = request.query_params
    try:
        since = parse_time(q["updated_since"]) if q.get("updated_since") else None
    except ValueError as exc:
        raise BadRequest(str(exc), "updated_since") from None
    try:
        data, token = store.page(since, q.get("page_token"), limit_of(request))
    except ValueError as exc:
        raise BadRequest(str(exc), "page_token") from None
    return json_response({"data": data, "next_page_token": token})


def listing(records: list[dict[str, Any]], request: Request) -> Response:
    """A search answer: the feed's shape, one page."""
    return json_response({"data": records[: limit_of(request)], "next_page_token": None})


def routes(state: ClientbookState) -> list[Route]:
    """The routes of products, purchases, collections, items, activity, messages, SMS."""

    async def once(
        request: Request, make: Callable[[Any], dict[str, Any]], status: int = 201
    ) -> Response:
        """Run a create, answering the first response again for a repeated Idempotency-Key."""
        key = request.headers.get("idempotency-key")
        scoped = f"{request.url.path} {key}"
        if key and scoped in state.idempotency:
            return json_response(state.idempotency[scoped], status)
        record = dict(make(await read_json(request)))
        if key:
            state.idempotency[scoped] = record
        return json_response(record, status)

    async def products(request: Request) -> Response:
        if request.method == "POST":
            return await once(request, lambda body: state.create_product(body, actor(request)))
        sku = request.query_params.get("sku")
        if sku is not None:
            found = state.product_by_sku(sku)
            return listing([dict(found)] if found else [], request)
        return feed(state.products, request)

    async def product(request: Request) -> Response:
        product_id = request.path_params["id"]
        if request.method == "GET":
            return json_response(state.products.get(product_id))
        if request.method == "DELETE":
            state.delete_product(product_id, actor(request))
            return Response(status_code=204)
        body = await read_json(request)
        return json_response(state.update_product(product_id, body, actor(request)))

    async def product_by_sku(request: Request) -> Response:
        body = await read_json(request)
        record, created = state.upsert_product(request.path_params["sku"], body, actor(request))
        return json_response(record, 201 if created else 200)

    async def products_batch(request: Request) -> Response:
        def one(op: Any) -> dict[str, Any]:
            if not isinstance(op, dict) or op.get("op") != "upsert" or not op.get("sku"):
                raise Invalid("each operation is {op: upsert, sku, product, defaults}", "op")
            body = {k: op[k] for k in ("product", "defaults") if k in op}
            record, created = state.upsert_product(str(op["sku"]), body, actor(request))
            return {"status": 201 if created else 200, "product": dict(record)}

        return await batch(request, one)

    async def purchases(request: Request) -> Response:
        if request.method == "POST":
            return await once(request, lambda body: state.create_purchase(body, actor(request)))
        return feed(state.purchases, request)

    async def purchase(request: Request) -> Response:
        purchase_id = request.path_params["id"]
        if request.method == "GET":
            return json_response(state.purchases.get(purchase_id))
        if request.method == "DELETE":
            state.purchases.get(purchase_id)
            state.purchases.delete(purchase_id, actor(request))
            return Response(status_code=204)
        body = await read_json(request)
        return json_response(state.update_purchase(purchase_id, body, actor(request)))

    async def purchases_batch(request: Request) -> Response:
        def one(op: Any) -> dict[str, Any]:
            if not isinstance(op, dict) or op.get("op") not in ("create", "update"):
                raise Invalid("each operation is {op: create|update, ...}", "op")
            if op["op"] == "update":
                record = state.update_purchase(
                    str(op.get("id")), op.get("purchase"), actor(request)
                )
                return {"status": 200, "purchase": dict(record)}
            scoped = f"/v1/purchases {op.get('idempotency_key')}"
            if op.get("idempotency_key") and scoped in state.idempotency:
                return {"status": 201, "purchase": state.idempotency[scoped]}
            record = dict(state.create_purchase(op.get("purchase"), actor(request)))
            if op.get("idempotency_key"):
                state.idempotency[scoped] = record
            return {"status": 201, "purchase": record}

        return await batch(request, one)

    async def batch(request: Request, one: Callable[[Any], dict[str, Any]]) -> Response:
        body = await read_json(request)
        operations = body.get("operations") if isinstance(body, dict) else None
        if not isinstance(operations, list) or not 0 < len(operations) <= MAX_BATCH:
            raise Invalid(f"operations: 1 to {MAX_BATCH} required", "operations")
        results = []
        for op in operations:
            try:
                results.append(one(op))
            except Invalid as exc:
                results.append(_failed(422, "invalid_request", str(exc), exc.field))
            except Conflict as exc:
                results.append(_failed(409, "conflict", str(exc), None))
            except KeyError as exc:
                results.append(_failed(404, "not_found", f"no record {exc.args[0]}", "id"))
        return json_response({"results": results})

    async def collections(request: Request) -> Response:
        if request.method == "POST":
            return await once(request, lambda b: state.create_collection(b, actor(request)))
        q = request.query_params
        if "client_id" in q:
            found = state.collections_of(q["client_id"], q.get("name"))
            return listing([dict(c) for c in found], request)
        return feed(state.collections, request)

    async def collection(request: Request) -> Response:
        collection_id = request.path_params["id"]
        if request.method == "GET":
            return json_response(state.collections.get(collection_id))
        if request.method == "DELETE":
            state.delete_collection(collection_id, actor(request))
            return Response(status_code=204)
        body = await read_json(request)
        return json_response(state.rename_collection(collection_id, body, actor(request)))

    async def items(request: Request) -> Response:
        if request.method == "POST":
            return await once(request, lambda body: state.create_item(body, actor(request)))
        return feed(state.items, request)

    async def item(request: Request) -> Response:
        item_id = request.path_params["id"]
        if request.method == "GET":
            return json_response(state.items.get(item_id))
        if request.method == "DELETE":
            state.items.get(item_id)
            state.items.delete(item_id, actor(request))
            return Response(status_code=204)
        body = await read_json(request)
        return json_response(state.update_item(item_id, body, actor(request)))

    async def activity(request: Request) -> Response:
        if request.method == "POST":
            return await once(request, lambda body: state.create_note(body, actor(request)))
        return feed(state.activity, request)

    async def activity_entry(request: Request) -> Response:
        entry_id = request.path_params["id"]
        if request.method == "GET":
            return json_response(state.activity.get(entry_id))
        if request.method == "DELETE":
            state.delete_note(entry_id, actor(request))
            return Response(status_code=204)
        body = await read_json(request)
        return json_response(state.update_note(entry_id, body, actor(request)))

    async def messages(request: Request) -> Response:
        return feed(state.messages, request)

    async def sms(request: Request) -> Response:
        return await once(request, state.send_sms, status=202)

    async def one_sms(request: Request) -> Response:
        return json_response(state.sms[request.path_params["id"]])

    table: list[tuple[str, Handler, list[str]]] = [
        ("/v1/products", products, ["GET", "POST"]),
        ("/v1/products/batch", products_batch, ["POST"]),
        ("/v1/products/by-sku/{sku:path}", product_by_sku, ["PUT"]),
        ("/v1/products/{id}", product, ["GET", "PATCH", "DELETE"]),
        ("/v1/purchases", purchases, ["GET", "POST"]),
        ("/v1/purchases/batch", purchases_batch, ["POST"]),
        ("/v1/purchases/{id}", purchase, ["GET", "PATCH", "DELETE"]),
        ("/v1/collections", collections, ["GET", "POST"]),
        ("/v1/collections/{id}", collection, ["GET", "PATCH", "DELETE"]),
        ("/v1/collection-items", items, ["GET", "POST"]),
        ("/v1/collection-items/{id}", item, ["GET", "PATCH", "DELETE"]),
        ("/v1/activity", activity, ["GET", "POST"]),
        ("/v1/activity/{id}", activity_entry, ["GET", "PATCH", "DELETE"]),
        ("/v1/messages", messages, ["GET"]),
        ("/v1/sms", sms, ["POST"]),
        ("/v1/sms/{id}", one_sms, ["GET"]),
    ]
    return [Route(path, guarded(state, fn), methods=methods) for path, fn, methods in table]


def _failed(status: int, kind: str, message: str, field: str | None) -> dict[str, Any]:
    return {"status": status, "error": {"type": kind, "message": message, "field": field}}
