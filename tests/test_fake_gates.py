"""Each fake refuses what its vendor refuses, in the vendor's words, and stores nothing.

The failures schemathesis found in issue 20, one by one, through each fake's gate
(``fakes/toolkit/gate.py``) and its contract (``fakes/<vendor>/contract.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fakes.clientbook import ClientbookState
from fakes.clientbook import make_app as clientbook_app
from fakes.idosell import PREFIX, IdoSellState
from fakes.idosell import make_app as idosell_app
from fakes.podium import PodiumState
from fakes.podium import make_app as podium_app
from fakes.square import SquareState
from fakes.square import make_app as square_app
from fakes.toolkit import FaultState, SyncASGITransport


def client(app: Any, base: str, headers: dict[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(transport=SyncASGITransport(app), base_url=base, headers=headers) as c:
        yield c


@pytest.fixture
def square() -> Iterator[tuple[httpx.Client, SquareState]]:
    state = SquareState()
    auth = {"Authorization": f"Bearer {state.token}"}
    for c in client(square_app(state), "https://connect.squareup.com", auth):
        yield c, state


def square_error(answer: httpx.Response) -> tuple[int, str, str | None]:
    error = answer.json()["errors"][0]
    assert error["category"] in ("INVALID_REQUEST_ERROR", "AUTHENTICATION_ERROR")
    return answer.status_code, error["code"], error.get("field")


def test_square_refuses_a_group_named_by_a_number_and_stores_nothing(square):
    http, state = square
    answer = http.post("/v2/customers/groups", json={"group": {"name": -5002622}})
    assert square_error(answer) == (400, "EXPECTED_STRING", "group.name")
    assert state.groups == {}
    assert http.get("/v2/customers/groups").json() == {}, "the list stays within the schema"


def test_square_deletes_a_group_just_created(square):
    http, _ = square
    made = http.post("/v2/customers/groups", json={"group": {"name": "VIP"}}).json()["group"]
    assert http.delete(f"/v2/customers/groups/{made['id']}").json() == {}
    assert http.get(f"/v2/customers/groups/{made['id']}").status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("count=yes", (400, "EXPECTED_BOOLEAN", "count")),
        ("limit=abc", (400, "EXPECTED_INTEGER", "limit")),
        ("limit=0", (400, "VALUE_TOO_LOW", "limit")),
        ("limit=101", (400, "VALUE_TOO_HIGH", "limit")),
        ("sort_field=NAME", (400, "INVALID_ENUM_VALUE", "sort_field")),
    ],
)
def test_square_refuses_bad_list_parameters(square, query, expected):
    http, _ = square
    assert square_error(http.get(f"/v2/customers?{query}")) == expected


def test_square_refuses_unknown_fields_and_bad_credentials_first(square):
    http, state = square
    unknown = http.post("/v2/customers", json={"given_name": "Ada", "nick": "A"})
    assert square_error(unknown) == (400, "UNKNOWN_BODY_PARAMETER", "nick")
    anonymous = http.post("/v2/customers", json={"given_name": 5}, headers={"Authorization": ""})
    assert square_error(anonymous)[:2] == (401, "UNAUTHORIZED"), "credentials before the body"
    assert list(state.customers.live()) == []
    wrong_method = http.patch("/v2/customers")
    assert square_error(wrong_method)[:2] == (405, "METHOD_NOT_ALLOWED")
    assert wrong_method.headers["allow"] == "GET, POST"


@pytest.fixture
def idosell() -> Iterator[tuple[httpx.Client, IdoSellState]]:
    state = IdoSellState()
    for c in client(idosell_app(state), f"https://shop.example{PREFIX}", {"X-API-KEY": "k"}):
        state.api_key = "k"
        yield c, state


def fault(answer: httpx.Response) -> tuple[int, int]:
    return answer.status_code, answer.json()["errors"]["faultCode"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/clients/clients"),
        ("GET", "/clients/balance"),  # in IdoSell's API, not in the fake
        ("DELETE", "/clients/clients"),  # a method the path does not serve
    ],
)
def test_idosell_answers_401_without_a_key_whatever_the_path(idosell, method, path):
    http, _ = idosell
    assert fault(http.request(method, path, headers={"X-API-KEY": ""})) == (401, 1)


@pytest.mark.parametrize(
    "query", ["clientsIds=abc", "clientsIds=1,x", "clientIsActive=maybe", "resultsLimit=0"]
)
def test_idosell_refuses_wrong_typed_parameters(idosell, query):
    http, _ = idosell
    answer = http.get(f"/clients/clients?{query}")
    assert fault(answer) == (422, 3)
    assert answer.json()["errors"]["faultString"].startswith("Invalid data format")


def test_idosell_refuses_a_wrong_typed_note_and_changes_nothing(idosell):
    http, state = idosell
    made = http.post(
        "/clients/clients",
        json={
            "params": {
                "clients": [{"login": "ada", "firstname": "Ada", "lastname": "L", "shops": [1]}]
            }
        },
    )
    assert made.status_code == 200
    before = dict(state.clients[made.json()["clients"][0]["params"]["id"]])
    wrong = {"clientLogin": "ada", "clientFirstName": "Eve", "clientNote": 5}
    answer = http.put("/clients/clients", json={"params": {"clients": [wrong]}})
    assert fault(answer) == (422, 3)
    assert "clientNote" in answer.json()["errors"]["faultString"]
    assert state.by_login("ada") == before


@pytest.fixture
def podium() -> Iterator[tuple[httpx.Client, PodiumState]]:
    state = PodiumState()
    _, token = state.oauth.grant(
        {
            "grant_type": "refresh_token",
            "client_id": state.client_id,
            "client_secret": state.client_secret,
            "refresh_token": state.refresh_token,
        }
    )
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    for c in client(podium_app(state, FaultState()), "https://api.podium.com", auth):
        yield c, state


def test_podium_refuses_wrong_types_and_unknown_tokens_and_queues_nothing(podium):
    http, state = podium
    body = {"name": "Al", "locations": [state.location], "email": 5}
    answer = http.post("/v4/contacts", json=body)
    assert (answer.status_code, answer.json()["code"]) == (400, "bad_request")
    assert answer.json()["message"].startswith("email")
    limit = http.get("/v4/contacts?limit=101")
    assert (limit.status_code, limit.json()["code"]) == (400, "bad_request")
    stranger = http.get("/v4/contacts", headers={"Authorization": "Bearer nope"})
    assert (stranger.status_code, stranger.json()["code"]) == (401, "unauthorized")
    assert state.queue.jobs == []


def test_clientbook_refuses_wrong_types_with_422_and_stores_nothing():
    state = ClientbookState()
    for http in client(clientbook_app(state), "https://cb", {"Authorization": "Bearer x"}):
        state.api_key = "x"
        answer = http.post("/v1/clients", json={"first_name": "Ada", "mobile": 12175550142})
        assert answer.status_code == 422
        assert answer.json()["error"]["field"] == "mobile"
        assert http.get("/v1/clients?limit=0").status_code == 400
        assert http.get("/v1/nowhere", headers={"Authorization": ""}).status_code == 401
        assert list(state.clients.live()) == []
