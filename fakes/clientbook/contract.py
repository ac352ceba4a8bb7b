"""The fake Clientbook's contract: the operations it serves and the rules no schema states.

Clientbook publishes no API reference; ``fakes/specs/clientbook.json`` is our OpenAPI
description of our model of it (``docs/clientbook-api.md``), and the fake is held to it as
the other fakes are to their vendors' specs. There is no vendor spec to depart from, so
``DEPARTURES`` holds only what the description states in prose: the checks of values no
schema says (an e-mail that is not one, a reference to a record that does not exist).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from starlette.responses import Response

from fakes import specs
from fakes.toolkit import Departure, Problem, SpecGuard, patched

OPERATIONS = frozenset(
    {
        ("GET", "/v1/clients"),
        ("POST", "/v1/clients"),
        ("POST", "/v1/clients/batch"),
        ("GET", "/v1/clients/{client_id}"),
        ("PATCH", "/v1/clients/{client_id}"),
        ("DELETE", "/v1/clients/{client_id}"),
        ("GET", "/v1/associates"),
        *(
            (method, f"/v1/{resource}{suffix}")
            for resource in ("products", "purchases", "collections", "collection-items", "activity")
            for method, suffix in (
                ("GET", ""),
                ("POST", ""),
                ("GET", "/{id}"),
                ("PATCH", "/{id}"),
                ("DELETE", "/{id}"),
            )
        ),
        ("POST", "/v1/products/batch"),
        ("PUT", "/v1/products/by-sku/{sku}"),
        ("POST", "/v1/purchases/batch"),
        ("GET", "/v1/messages"),
        ("POST", "/v1/sms"),
        ("GET", "/v1/sms/{id}"),
    }
)
MODELLED: frozenset[tuple[str, str]] = frozenset()


def _refusals(operation: str, *fields: str) -> set[tuple[str, str]]:
    return {(operation, f"invalid_request:{field}") for field in fields}


DEPARTURES = (
    Departure(
        "idempotent-replays",
        "A create repeated with the same `Idempotency-Key` answers the first response and"
        " creates nothing (this page, Conventions), so a record created, deleted, then created"
        " again with the same key is answered as first made and is then not found (404).",
    ),
    Departure(
        "checked-values",
        "The rules `docs/clientbook-api.md` states in prose, which a well-formed request can"
        " break (422 `invalid_request` naming the field): a client needs a first or last"
        " name, an e-mail address and an E.164 mobile; a product needs a title, a price is a"
        " decimal string >= 0, a SKU in the body matches the one in the path; references"
        " (client, product, collection) name live records; a collection item never moves to"
        " another collection; names, titles and texts are not empty; only notes are edited"
        " or deleted; a text goes to an E.164 number; a page token is one the feed issued.",
        refusals=frozenset(
            {
                ("*", "invalid_request:page_token"),
                *_refusals("POST /v1/clients", "first_name", "email", "mobile"),
                *_refusals("PATCH /v1/clients/{client_id}", "email", "mobile"),
                *_refusals("POST /v1/products", "title", "price"),
                *_refusals("PATCH /v1/products/{id}", "price"),
                *_refusals("PUT /v1/products/by-sku/{sku}", "title", "price", "sku"),
                *_refusals("POST /v1/purchases", "client_id", "product_id", "amount"),
                *_refusals("PATCH /v1/purchases/{id}", "client_id", "product_id", "amount"),
                *_refusals("POST /v1/collections", "client_id", "name"),
                *_refusals("PATCH /v1/collections/{id}", "name"),
                *_refusals("POST /v1/collection-items", "collection_id", "product_id"),
                *_refusals(
                    "PATCH /v1/collection-items/{id}", "collection_id", "product_id", "title"
                ),
                *_refusals("POST /v1/activity", "client_id", "text"),
                *_refusals("PATCH /v1/activity/{id}", "text", "occurred_at", "type"),
                *_refusals("DELETE /v1/activity/{id}", "type"),
                *_refusals("POST /v1/sms", "to", "body"),
            }
        ),
    ),
)


@cache
def spec() -> dict[str, Any]:
    """Our description of Clientbook (cached: treat it as read-only)."""
    return patched(specs.load("clientbook"), DEPARTURES)


@cache
def guard() -> SpecGuard:
    """The compiled description the fake checks requests with."""
    return SpecGuard(spec())


def error(status: int, kind: str, message: str, field: str | None = None) -> Response:
    """An error in Clientbook's shape."""
    body = orjson.dumps({"error": {"type": kind, "message": message, "field": field}})
    return Response(body, status_code=status, media_type="application/json")


def refuse(problem: Problem) -> Response:
    """A refused request as Clientbook answers it: 400 for a query, 422 for a body."""
    if problem.kind == "unauthorized":
        return error(401, "unauthorized", "missing or invalid API key")
    if problem.kind == "method":
        answer = error(405, "method_not_allowed", problem.message)
        answer.headers["allow"] = ", ".join(problem.allowed)
        return answer
    status = 422 if problem.where == "body" else 400
    return error(status, "invalid_request", problem.message, problem.field or None)


def error_code(body: Any) -> str | None:
    """A Clientbook error's type and field (``invalid_request:email``)."""
    try:
        detail = body["error"]
        return f"{detail['type']}:{detail['field']}"
    except (KeyError, TypeError):
        return None
