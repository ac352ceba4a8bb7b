"""Checking the fake Square's answers against Square's own OpenAPI spec (openapi-core).

A recording transport sits between a client and the fake; every exchange on a path of the
spec is validated: a success against the operation's response schema, an error body against
the spec's ``Error`` schema. ``/v2/events`` is not in the spec subset: its answers are
checked with the official SDK's ``SearchEventsResponse`` model and each embedded customer
against the spec's ``Customer`` schema.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_schema_validator import OAS30Validator
from werkzeug.datastructures import Headers, ImmutableMultiDict

from fakes import specs

SPEC = specs.path("square")
HOST = "https://connect.squareup.com"


@cache
def spec_dict() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SPEC.read_text())
    return data


@cache
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(spec_dict())


def schema_validator(name: str) -> OAS30Validator:
    components = spec_dict()["components"]
    return OAS30Validator({"$ref": f"#/components/schemas/{name}", "components": components})


def errors_validator() -> OAS30Validator:
    components = spec_dict()["components"]
    return OAS30Validator(
        {
            "type": "object",
            "required": ["errors"],
            "properties": {
                "errors": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"$ref": "#/components/schemas/Error"},
                }
            },
            "components": components,
        }
    )


class _Request:
    def __init__(self, request: httpx.Request):
        self.host_url = HOST
        self.path = request.url.path
        self.method = request.method.lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
        )
        self.content_type = request.headers.get("content-type", "")
        self.body = request.content or None


class _Response:
    def __init__(self, response: httpx.Response):
        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "")
        self.headers = Headers(list(response.headers.items()))
        self.data = response.content


def check(request: httpx.Request, response: httpx.Response) -> str:
    """Validate one exchange; returns how it was checked (raises when it does not conform)."""
    path = request.url.path
    if path == "/v2/events":
        from square.types.search_events_response import SearchEventsResponse

        body = response.json()
        SearchEventsResponse.model_validate(body)
        customer = schema_validator("Customer")
        for event in body.get("events") or []:
            obj = event["data"]["object"]
            customer.validate(obj["customer"])
            if "event_context" in obj:
                schema_validator("CustomerCreatedEventEventContext").validate(obj["event_context"])
        return "sdk-model"
    if response.status_code >= 400:
        errors_validator().validate(response.json())
        return "error-schema"
    openapi().validate_response(_Request(request), _Response(response))
    return "spec"
