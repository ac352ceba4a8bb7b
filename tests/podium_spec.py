"""Checking Podium exchanges against Podium's own OpenAPI spec (openapi-core).

A recording transport sits between the connector (or a plain client) and the fake; every
exchange on a **public** path of the spec is validated, the request against the operation's
parameters and body, the answer against its response (an error against the default
response's ``Error``). The modelled partner paths and the token endpoint are not in the spec
and are left out (``docs/podium-api.md``).

The caveats of ``fakes/specs/SOURCES.md`` are resolved as the doc page says, by the fake's
departures (``fakes/podium/contract.py``): the ``Error`` schemas' ``code`` is a string, and
``GET /v4/contacts`` answers ``data`` as an array with ``metadata.nextCursor`` (as the
spec's own ``GET /v4/products`` does); the modelled product upload is described there too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from fakes.podium import contract
from tests.recorder import Recorder as BaseRecorder

HOST = "https://api.podium.com"


def spec_dict() -> dict[str, Any]:
    """The spec with the fake's departures applied (``fakes/podium/contract.py``)."""
    return contract.spec()


@cache
def openapi() -> OpenAPI:
    """The patched spec, ready to validate."""
    return OpenAPI.from_dict(spec_dict())


class _Request:
    def __init__(self, request: httpx.Request):
        self.host_url = HOST
        self.path = request.url.path
        self.method = request.method.lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
            path={},
        )
        self.content_type = request.headers.get("content-type", "application/json")
        self.body = request.content or None


class _Response:
    def __init__(self, response: httpx.Response):
        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "")
        self.headers = Headers(list(response.headers.items()))
        self.data = response.content


def public(request: httpx.Request) -> bool:
    """Whether the exchange is on a path and method of the spec (not modelled, not OAuth)."""
    if request.url.host != "api.podium.com":
        return False
    path = request.url.path
    paths = spec_dict()["paths"]
    method = request.method.lower()
    for template, operations in paths.items():
        parts, given = template.strip("/").split("/"), path.strip("/").split("/")
        if len(parts) != len(given) or method not in operations:
            continue
        if all(p.startswith("{") or p == g for p, g in zip(parts, given, strict=True)):
            return True
    return False


def check(request: httpx.Request, response: httpx.Response) -> str:
    """Validate one exchange; returns how (raises when it does not conform)."""
    if not public(request):
        return "modelled"
    if response.status_code < 400:
        openapi().validate_request(_Request(request))
    openapi().validate_response(_Request(request), _Response(response))
    return "spec"


@dataclass
class Recorder(BaseRecorder):
    """A recorder that validates what it kept against the spec."""

    def checked(self) -> dict[str, int]:
        """Validate every exchange so far; how many were checked against the spec, by path."""
        counts: dict[str, int] = {}
        for request, response in self.exchanges:
            if check(request, response) == "spec":
                key = f"{request.method} {response.status_code}"
                counts[key] = counts.get(key, 0) + 1
        return counts
