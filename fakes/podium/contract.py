"""The fake Podium's contract: the operations it serves, where it departs from the spec, why.

``OPERATIONS`` are the public spec operations the fake routes; ``MODELLED`` the partner
paths and the OAuth token endpoint it models outside the spec (``docs/podium-api.md``).
``DEPARTURES`` are listed in that page; ``spec()`` is the spec with them applied, which the
fake checks requests with and the tests hold its answers to.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from starlette.responses import Response

from fakes import specs
from fakes.podium.errors import PodiumError
from fakes.toolkit import Departure, Problem, SpecGuard, patched
from fakes.toolkit.openapi import Spec, bound_integers

OPERATIONS = frozenset(
    {
        ("GET", "/v4/contacts"),
        ("POST", "/v4/contacts"),
        ("GET", "/v4/contacts/{identifier}"),
        ("PATCH", "/v4/contacts/{identifier}"),
        ("DELETE", "/v4/contacts/{identifier}"),
        ("POST", "/v4/contacts/{identifier}/attributes/{uid}"),
        ("PATCH", "/v4/contacts/{identifier}/attributes/{uid}"),
        ("DELETE", "/v4/contacts/{identifier}/attributes/{uid}"),
        ("GET", "/v4/contact_attributes"),
        ("POST", "/v4/contact_attributes"),
        ("GET", "/v4/locations"),
        ("GET", "/v4/products"),
        ("POST", "/v4/products"),  # modelled: see the departure "product-writes"
        ("GET", "/v4/products/{uid}"),
        ("GET", "/v4/webhooks"),
        ("POST", "/v4/webhooks"),
        ("GET", "/v4/webhooks/{uid}"),
        ("DELETE", "/v4/webhooks/{uid}"),
    }
)
MODELLED = frozenset(
    {
        ("POST", "/oauth/token"),
        ("GET", "/v4/contacts/{identifier}/purchases"),
        ("POST", "/v4/contacts/{identifier}/purchases"),
        ("GET", "/v4/contacts/{identifier}/timeline_events"),
        ("POST", "/v4/contacts/{identifier}/timeline_events"),
    }
)


def _string_codes(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("title") == "Error" and "code" in node.get("properties", {}):
            node["properties"]["code"] = {**node["properties"]["code"], "type": "string"}
        for value in node.values():
            _string_codes(value)
    elif isinstance(node, list):
        for value in node:
            _string_codes(value)


def _listing(spec: Spec) -> None:
    contacts = spec["paths"]["/v4/contacts"]["get"]["responses"]["200"]["content"]
    schema = contacts["application/json"]["schema"]["properties"]
    schema["data"] = {"type": "array", "items": {"$ref": "#/components/schemas/contact"}}
    products = spec["paths"]["/v4/products"]["get"]["responses"]["200"]["content"]
    schema["metadata"] = products["application/json"]["schema"]["properties"]["metadata"]


def _product_writes(spec: Spec) -> None:
    text = {"type": "string"}
    spec["paths"]["/v4/products"]["post"] = {
        "operationId": "Product.upsert (modelled)",
        "description": "Upsert a product by `xid` (docs/podium-api.md, Products).",
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["xid"],
                        "properties": {
                            "xid": {"type": "string", "minLength": 1},
                            "name": {**text, "nullable": True},
                            "description": {**text, "nullable": True},
                            "price": {**text, "nullable": True, "pattern": r"^\d+(\.\d+)?$"},
                            "images": {"type": "array", "items": text},
                            "archived": {"type": "boolean"},
                            "specialOrder": {"type": "boolean"},
                        },
                    }
                }
            },
        },
        "responses": {
            "202": {
                "description": "Queued.",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "data": {"$ref": "#/components/schemas/product_async"},
                                "metadata": {
                                    "type": "object",
                                    "properties": {"url": {"type": "string"}},
                                },
                            },
                        }
                    }
                },
            },
            "default": spec["paths"]["/v4/products"]["get"]["responses"]["default"],
        },
    }


DEPARTURES = (
    Departure(
        "product-writes",
        "Podium's partner product upload is not published; the fake models it on the public"
        " path as `POST /v4/products` (an upsert by `xid`, 202, 403 on the Clientele tier),"
        " described here so that it is held to that description like the public operations.",
        _product_writes,
    ),
    Departure(
        "string-error-codes",
        "The spec types `Error.code` as an integer; Podium's error page and its answers use"
        " string codes (`bad_request`, `rate_limit`, ...).",
        _string_codes,
    ),
    Departure(
        "contact-list",
        "The merged spec shows `GET /v4/contacts` answering one contact in `data` without a"
        " cursor; Podium's pagination guide (and the spec's own `GET /v4/products`) answers"
        " an array with `metadata.nextCursor`.",
        _listing,
    ),
    Departure(
        "64-bit-integers",
        "Integers have no `format`; numbers past 64 bits cannot be read, so every integer"
        " without a format is read as `int64` and a larger one refused (400).",
        bound_integers,
    ),
    Departure(
        "checked-values",
        "Podium checks what no schema says: an e-mail must match `(.+)@(.+)\\.(.+)` and a"
        " phone number be E.164 (the spec's descriptions), a contact needs a name, locations"
        " and a phone or e-mail, locations and attributes must exist, a cursor must be one"
        " Podium issued; each is 400 `bad_request` naming the field (the fake's error code"
        " here is `bad_request:<field>`).",
        refusals=frozenset(
            {
                *(
                    ("POST /v4/contacts", f"bad_request:{field}")
                    for field in ("name", "email", "phoneNumber", "locations", "attributes")
                ),
                *(
                    ("PATCH /v4/contacts/{identifier}", f"bad_request:{field}")
                    for field in ("name", "email", "phoneNumber", "locations")
                ),
                *(
                    (
                        f"{method} /v4/contacts/{{identifier}}/attributes/{{uid}}",
                        "bad_request:value",
                    )
                    for method in ("POST", "PATCH")
                ),
                *(
                    (f"GET {path}", "bad_request:cursor")
                    for path in ("/v4/contacts", "/v4/products")
                ),
                ("GET /v4/contacts", "bad_request:updated_at"),
                ("POST /v4/webhooks", "bad_request:locationUid"),
                ("POST /v4/webhooks", "bad_request:url"),
            }
        ),
    ),
)


@cache
def spec() -> dict[str, Any]:
    """Podium's spec with the fake's departures applied (cached: treat it as read-only)."""
    return patched(specs.load("podium"), DEPARTURES)


@cache
def guard() -> SpecGuard:
    """The compiled spec the fake checks requests with."""
    return SpecGuard(spec())


def refuse(problem: Problem) -> Response:
    """A refused request as Podium answers it (``{code, message, moreInfo}``)."""
    if problem.kind == "unauthorized":
        error = PodiumError(401, "Missing, invalid or expired access token")
    elif problem.kind == "method":
        error = PodiumError(405, problem.message)
    else:
        error = PodiumError(400, problem.message)
    headers = {"allow": ", ".join(problem.allowed)} if problem.allowed else None
    return Response(
        orjson.dumps(error.body()),
        status_code=error.status,
        media_type="application/json",
        headers=headers,
    )


def error_code(body: Any) -> str | None:
    """A Podium error's code and the field its message names first (``bad_request:email``)."""
    try:
        code, message = str(body["code"]), str(body["message"])
    except (KeyError, TypeError):
        return None
    return f"{code}:{message.split(' ', 1)[0].rstrip(':')}"
