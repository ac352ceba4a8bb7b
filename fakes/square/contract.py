"""The fake Square's contract: the operations it serves, where it departs from the spec, why.

``OPERATIONS`` are the spec operations the fake routes; ``MODELLED`` the routes outside the
spec subset. ``DEPARTURES`` are the places where Square's documentation says more than its
OpenAPI document (each is listed in ``docs/square-api.md``); ``spec()`` is the spec with them
applied: what the fake validates requests with and what the fidelity tests hold it to.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from starlette.responses import Response

from fakes import specs
from fakes.toolkit import Departure, Problem, SpecGuard, patched
from fakes.toolkit.openapi import (
    Spec,
    add_responses,
    bound_integers,
    nullable_optionals,
    parameter,
)

OPERATIONS = frozenset(
    {
        ("GET", "/v2/customers"),
        ("POST", "/v2/customers"),
        ("POST", "/v2/customers/search"),
        ("POST", "/v2/customers/bulk-create"),
        ("POST", "/v2/customers/bulk-update"),
        ("GET", "/v2/customers/groups"),
        ("POST", "/v2/customers/groups"),
        ("GET", "/v2/customers/groups/{group_id}"),
        ("PUT", "/v2/customers/groups/{group_id}"),
        ("DELETE", "/v2/customers/groups/{group_id}"),
        ("GET", "/v2/customers/segments"),
        ("GET", "/v2/customers/segments/{segment_id}"),
        ("GET", "/v2/customers/{customer_id}"),
        ("PUT", "/v2/customers/{customer_id}"),
        ("DELETE", "/v2/customers/{customer_id}"),
        ("PUT", "/v2/customers/{customer_id}/groups/{group_id}"),
        ("DELETE", "/v2/customers/{customer_id}/groups/{group_id}"),
        ("GET", "/v2/customers/custom-attribute-definitions"),
        ("POST", "/v2/customers/custom-attribute-definitions"),
        ("GET", "/v2/customers/custom-attribute-definitions/{key}"),
        ("PUT", "/v2/customers/custom-attribute-definitions/{key}"),
        ("DELETE", "/v2/customers/custom-attribute-definitions/{key}"),
        ("POST", "/v2/customers/custom-attributes/bulk-upsert"),
        ("GET", "/v2/customers/{customer_id}/custom-attributes"),
        ("GET", "/v2/customers/{customer_id}/custom-attributes/{key}"),
        ("POST", "/v2/customers/{customer_id}/custom-attributes/{key}"),
        ("DELETE", "/v2/customers/{customer_id}/custom-attributes/{key}"),
        ("GET", "/v2/bookings"),
        ("POST", "/v2/bookings"),
        ("GET", "/v2/bookings/{booking_id}"),
        ("PUT", "/v2/bookings/{booking_id}"),
        ("GET", "/v2/webhooks/subscriptions"),
        ("POST", "/v2/webhooks/subscriptions"),
        ("GET", "/v2/webhooks/subscriptions/{subscription_id}"),
        ("DELETE", "/v2/webhooks/subscriptions/{subscription_id}"),
    }
)
MODELLED = frozenset({("POST", "/v2/events")})  # in the SDK, not in the spec subset
VERSIONED = frozenset(  # operations that take a `version` and answer 409 when it is stale
    {
        ("PUT", "/v2/customers/{customer_id}"),
        ("DELETE", "/v2/customers/{customer_id}"),
        ("PUT", "/v2/bookings/{booking_id}"),
    }
)
ERRORS = {
    "description": "An error (Square's Handling errors page)",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["errors"],
                "properties": {
                    "errors": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"$ref": "#/components/schemas/Error"},
                    }
                },
            }
        }
    },
}


def _error_statuses(spec: Spec) -> None:
    add_responses(spec, {"400": ERRORS, "401": ERRORS}, lambda m, p: True)
    add_responses(spec, {"404": ERRORS}, lambda m, p: "{" in p)
    add_responses(spec, {"409": ERRORS}, lambda m, p: (m, p) in VERSIONED)


def _limits(spec: Spec) -> None:
    for path, most in (("/v2/customers", 100), ("/v2/customers/groups", 50)):
        parameter(spec, "GET", path, "limit")["schema"].update(minimum=1, maximum=most)
    parameter(spec, "GET", "/v2/customers/segments", "limit")["schema"].update(
        minimum=1, maximum=50
    )
    schemas = spec["components"]["schemas"]
    schemas["SearchCustomersRequest"]["properties"]["limit"].update(minimum=1, maximum=100)
    for name in ("BulkCreateCustomersRequest", "BulkUpdateCustomersRequest"):
        schemas[name]["properties"]["customers"].update(minProperties=1, maxProperties=100)
    values = schemas["BulkUpsertCustomerCustomAttributesRequest"]["properties"]["values"]
    values.update(minProperties=1, maxProperties=25)


def _remote_refs(node: Any) -> bool:
    """Whether ``node`` holds a ``$ref`` to a schema Square hosts (not in the document)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("https://"):
            return True
        return any(_remote_refs(v) for v in node.values())
    if isinstance(node, list):
        return any(_remote_refs(v) for v in node)
    return False


def _hosted_schema_examples(spec: Spec) -> None:
    def drop(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("example", "examples"):
                if key in node and _remote_refs(node[key]):
                    del node[key]
            for value in node.values():
                drop(value)
        elif isinstance(node, list):
            for value in node:
                drop(value)

    drop(spec)


NAME_LENGTHS = {
    "given_name": 300,
    "family_name": 300,
    "company_name": 500,
    "nickname": 100,
    "email_address": 254,
}
CUSTOMER_BODIES = (
    "CreateCustomerRequest",
    "UpdateCustomerRequest",
    "BulkCreateCustomerData",
    "BulkUpdateCustomerData",
)


def _lengths(spec: Spec) -> None:
    schemas = spec["components"]["schemas"]
    for name in CUSTOMER_BODIES:
        for field, most in NAME_LENGTHS.items():
            schemas[name]["properties"][field]["maxLength"] = most


def _closed(spec: Spec) -> None:
    for schema in spec["components"]["schemas"].values():
        if schema.get("type") == "object" and "properties" in schema:
            schema.setdefault("additionalProperties", False)


DEPARTURES = (
    Departure(
        "error-statuses",
        "The spec documents only 200 for every operation; Square's Handling errors page says a"
        " failed request answers 400-599 with `errors[]`. The fake answers 400 (refused"
        " request) and 401 (credentials) on every operation, 404 on those naming an id in the"
        " path, 409 on those taking a `version`.",
        _error_statuses,
    ),
    Departure(
        "limits",
        "The parameter descriptions give ranges the schemas leave out: `limit` 1-100 for"
        " ListCustomers and SearchCustomers, 1-50 for ListCustomerGroups and"
        " ListCustomerSegments (400 VALUE_TOO_LOW / VALUE_TOO_HIGH outside), bulk create and"
        " update 1-100 entries, bulk upsert of custom attributes 1-25. So `limit=0` is"
        " refused with VALUE_TOO_LOW.",
        _limits,
    ),
    Departure(
        "hosted-schema-examples",
        "A custom attribute definition's `schema` is a JSON Schema naming a type Square hosts"
        " (`$ref` to https://developer-production-s.squarecdn.com/schemas/v1/common.json#…);"
        " the spec's examples carry such references, which a reader of the spec would try to"
        " fetch. The fake takes the references by name and never fetches them; the examples"
        " holding them are left out of the spec it is checked against.",
        _hosted_schema_examples,
    ),
    Departure(
        "name-lengths",
        "The customer field descriptions give maximum lengths the schemas leave out (given and"
        " family name 300, company 500, nickname 100, e-mail 254); longer is VALUE_TOO_LONG.",
        _lengths,
    ),
    Departure(
        "closed-objects",
        "The schemas do not forbid fields they do not define; Square refuses an unknown body"
        " field (400 UNKNOWN_BODY_PARAMETER, in the spec's ErrorCode enum) and answers none.",
        _closed,
    ),
    Departure(
        "null-is-unset",
        "Square reads JSON bodies as protocol buffers, where `null` for a field means the"
        " field is not set (its SDKs send `null` for an argument given as None), so `null` is"
        " accepted for every optional field; the spec marks only some fields nullable (those"
        " an update clears with it).",
        lambda spec: nullable_optionals(spec["components"]),
    ),
    Departure(
        "64-bit-integers",
        "Most integers have no `format`; Square's services hold them in 64 bits, so a larger"
        " number is refused (EXPECTED_INTEGER), as it is by any JSON reader of 64-bit"
        " integers. Every integer without a format is read as `int64`.",
        bound_integers,
    ),
    Departure(
        "not-modelled",
        "The fake holds customer custom attributes but does not search by them, so a"
        " SearchCustomers `custom_attribute` filter is refused (400 INVALID_VALUE naming it)"
        " rather than answered wrongly.",
        refusals=frozenset({("POST /v2/customers/search", "INVALID_VALUE")}),
    ),
    Departure(
        "idempotent-replays",
        "Square's Idempotency page: a request repeated with the same idempotency key answers"
        " the first response and creates nothing. A group (or customer, booking) created,"
        " deleted, then created again with the same key is answered as first made, and is"
        " then not found (404): that is Square, not a lost write.",
    ),
    Departure(
        "checked-values",
        "Square checks what no schema says (its error codes and the Customers and Bookings"
        " guides): an e-mail address or phone number must be one (INVALID_EMAIL_ADDRESS,"
        " INVALID_PHONE_NUMBER), a birthday a date and times RFC 3339 (INVALID_VALUE,"
        " INVALID_TIME); a new customer needs a name, company, e-mail or phone and a booking"
        " a location, start and segments (MISSING_REQUIRED_PARAMETER); a group needs a"
        " name (INVALID_VALUE); a cursor is valid only for the query that returned it"
        " (INVALID_CURSOR) and an idempotency key only with the same request"
        " (IDEMPOTENCY_KEY_REUSED); a custom attribute definition's schema must name one of"
        " Square's hosted types and a custom attribute's value must be of its definition's"
        " type (INVALID_VALUE, the Customer Custom Attributes guide). Such requests are well"
        " formed and still refused.",
        refusals=frozenset(
            {
                ("*", "INVALID_CURSOR"),
                *(
                    (op, code)
                    for op in (
                        "POST /v2/customers",
                        "PUT /v2/customers/{customer_id}",
                        "POST /v2/customers/bulk-create",
                        "POST /v2/customers/bulk-update",
                    )
                    for code in (
                        "INVALID_EMAIL_ADDRESS",
                        "INVALID_PHONE_NUMBER",
                        "INVALID_VALUE",
                        "MISSING_REQUIRED_PARAMETER",
                        "IDEMPOTENCY_KEY_REUSED",
                    )
                ),
                ("POST /v2/customers/groups", "INVALID_VALUE"),
                ("POST /v2/customers/groups", "IDEMPOTENCY_KEY_REUSED"),
                ("PUT /v2/customers/groups/{group_id}", "INVALID_VALUE"),
                ("POST /v2/customers/search", "INVALID_TIME"),
                ("GET /v2/bookings", "INVALID_TIME"),
                ("POST /v2/bookings", "INVALID_TIME"),
                ("POST /v2/bookings", "MISSING_REQUIRED_PARAMETER"),
                ("POST /v2/bookings", "IDEMPOTENCY_KEY_REUSED"),
                ("PUT /v2/bookings/{booking_id}", "INVALID_TIME"),
                ("PUT /v2/bookings/{booking_id}", "IDEMPOTENCY_KEY_REUSED"),
                *(
                    (op, code)
                    for op in (
                        "POST /v2/customers/custom-attribute-definitions",
                        "PUT /v2/customers/custom-attribute-definitions/{key}",
                        "POST /v2/customers/{customer_id}/custom-attributes/{key}",
                    )
                    for code in (
                        "INVALID_VALUE",
                        "MISSING_REQUIRED_PARAMETER",
                        "IDEMPOTENCY_KEY_REUSED",
                    )
                ),
            }
        ),
    ),
    Departure(
        "webhook-subscriptions",
        "The WebhookSubscription schema marks no field required; Square's Subscribe to"
        " Event Notifications guide says a subscription needs a notification URL and event"
        " types, so CreateWebhookSubscription without either is refused"
        " (MISSING_REQUIRED_PARAMETER).",
        refusals=frozenset({("POST /v2/webhooks/subscriptions", "MISSING_REQUIRED_PARAMETER")}),
    ),
)


def error_code(body: Any) -> str | None:
    """The code of a Square error body (its first error's)."""
    try:
        return str(body["errors"][0]["code"])
    except (KeyError, IndexError, TypeError):
        return None


@cache
def spec() -> dict[str, Any]:
    """Square's spec with the fake's departures applied (cached: treat it as read-only)."""
    return patched(specs.load("square"), DEPARTURES)


@cache
def guard() -> SpecGuard:
    """The compiled spec the fake checks requests with."""
    return SpecGuard(spec())


CODES = {
    "required": "MISSING_REQUIRED_PARAMETER",
    "enum": "INVALID_ENUM_VALUE",
    "too_long": "VALUE_TOO_LONG",
    "too_short": "VALUE_TOO_SHORT",
    "too_high": "VALUE_TOO_HIGH",
    "too_low": "VALUE_TOO_LOW",
    "too_many": "ARRAY_LENGTH_TOO_LONG",
    "too_few": "ARRAY_LENGTH_TOO_SHORT",
    "pattern": "VALUE_REGEX_MISMATCH",
    "unknown": "UNKNOWN_BODY_PARAMETER",
    "json": "EXPECTED_JSON_BODY",
    "invalid": "INVALID_VALUE",
}
EXPECTED = {
    "string": "EXPECTED_STRING",
    "integer": "EXPECTED_INTEGER",
    "number": "EXPECTED_FLOAT",
    "boolean": "EXPECTED_BOOLEAN",
    "object": "EXPECTED_OBJECT",
    "array": "EXPECTED_ARRAY",
}


def refuse(problem: Problem) -> Response:
    """A refused request as Square answers it (``Error`` objects in ``errors``)."""
    if problem.kind == "unauthorized":
        status, category, code = 401, "AUTHENTICATION_ERROR", "UNAUTHORIZED"
        detail = "This request could not be authorized."
    elif problem.kind == "method":
        status, category, code = 405, "INVALID_REQUEST_ERROR", "METHOD_NOT_ALLOWED"
        detail = problem.message
    else:
        status, category, detail = 400, "INVALID_REQUEST_ERROR", problem.message
        if problem.kind == "type":
            code = EXPECTED.get(problem.expected, "INCORRECT_TYPE")
        else:
            code = CODES.get(problem.kind, "INVALID_VALUE")
    error: dict[str, Any] = {"category": category, "code": code, "detail": detail}
    if problem.field:
        error["field"] = problem.field
    headers = {"allow": ", ".join(problem.allowed)} if problem.allowed else None
    return Response(
        orjson.dumps({"errors": [error]}),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )
