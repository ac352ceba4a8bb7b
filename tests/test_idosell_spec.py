"""The fake IdoSell answers as the vendor's OpenAPI spec says, and the connector asks as it says.

Every exchange of a sync that exercises each operation the bridge uses (feed pages, empty
results, batched creates and updates, 207 per-item faults, delivery addresses, discount
groups, the external code) is validated with openapi-core against
``fakes/specs/idosell.json`` (IdoSell's Admin API v6, the parts used).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from fakes import specs
from fakes.polish import kontrahenci
from tests.fk_idosell_world import API_KEY, BASE_URL, IsWorld

SPEC = specs.path("idosell")


class SpecRequest:
    """An httpx request as openapi-core reads one."""

    def __init__(self, request: httpx.Request):
        url = urlparse(str(request.url))
        self.host_url = f"{url.scheme}://{url.netloc}"
        self.path = url.path
        self.method = request.method.lower()
        self.body = request.content or None
        self.content_type = request.headers.get("content-type", "application/json")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(
                [
                    (k, v)
                    for k, vs in parse_qs(url.query, keep_blank_values=True).items()
                    for v in vs
                ]
            ),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict(),
        )


class SpecResponse:
    """An httpx response as openapi-core reads one."""

    def __init__(self, response: httpx.Response):
        self.data = response.content
        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "")
        self.headers = Headers(dict(response.headers))


@pytest.fixture(scope="module")
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(json.loads(SPEC.read_text(encoding="utf-8")))


def check(openapi: OpenAPI, exchanges: list[tuple[httpx.Request, httpx.Response]]) -> set[str]:
    """Validate every exchange; returns the operations seen as 'METHOD path status'."""
    seen = set()
    for request, response in exchanges:
        spec_request = SpecRequest(request)
        openapi.validate_request(spec_request)
        openapi.validate_response(spec_request, SpecResponse(response))
        seen.add(
            f"{request.method} {request.url.path.removeprefix('/api/admin/v6')} "
            f"{response.status_code}"
        )
    return seen


@pytest.mark.rule("IS-6")
def test_every_exchange_of_a_sync_follows_the_vendor_spec(tmp_path: Path, openapi: OpenAPI):
    world = IsWorld(tmp_path)
    try:
        for k in kontrahenci(30):
            world.fk.add(k)
        world.fk.add(
            code="BAD1",
            first="Zła",
            last="Firma",
            name="Zła Firma Sp. z o.o.",
            nip="1234567890",
            street="ul. Długa 1",
            postcode="00-001",
            city="Warszawa",
        )
        world.settle(3)
        first = world.fk.codes()[0]
        world.fk.update(first, street="ul. Nowa 5")
        world.fk.add_delivery(first, "ul. Żytnia 3", "01-234", "Warszawa")
        world.shop.edit(world.raw(world.fk.codes()[1])["clientId"], clientEmail="nowy@example.pl")
        world.settle(2)
        with httpx.Client(transport=world.transport, base_url=BASE_URL) as client:
            headers = {"x-api-key": API_KEY}
            client.put(
                "/clients/externalCode",
                headers=headers,
                json={"params": {"client_id": world.raw(first)["clientId"], "code_extern": first}},
            )
            client.put(
                "/clients/externalCode",
                headers=headers,
                json={"params": {"client_id": 999999, "code_extern": "X"}},
            )
            client.get("/discounts/groups", headers=headers)
            client.get("/clients/clients", headers=headers, params={"clientsIds": "999999"})
        seen = check(openapi, world.transport.exchanges)
    finally:
        world.close()
    assert {
        "GET /clients/clients 200",
        "GET /clients/clients 207",
        "POST /clients/clients 207",
        "PUT /clients/clients 200",
        "GET /clients/deliveryAddress 200",
        "POST /clients/deliveryAddress 200",
        "GET /discounts/groups 200",
        "PUT /clients/externalCode 200",
        "PUT /clients/externalCode 207",
    } <= seen, seen


def test_a_response_off_the_spec_is_caught(tmp_path: Path, openapi: OpenAPI):
    request = httpx.Request("GET", f"{BASE_URL}/clients/clients", headers={"x-api-key": "k"})
    wrong = httpx.Response(
        200, json={"resultsNumberAll": "many", "results": [{"clientId": "abc"}]}, request=request
    )
    with pytest.raises(Exception, match=r"(?i)valid"):
        check(openapi, [(request, wrong)])
