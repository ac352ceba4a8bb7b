"""The fake Clientbook's resources beyond clients answer as docs/clientbook-api.md says."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from fakes.clientbook import ClientbookState, make_app
from fakes.toolkit import SyncASGITransport

KEY = "fake-key"


@pytest.fixture
def cb() -> Iterator[tuple[ClientbookState, httpx.Client]]:
    state = ClientbookState(api_key=KEY)
    client = httpx.Client(
        transport=SyncASGITransport(make_app(state)),
        base_url="http://clientbook.test",
        headers={"authorization": f"Bearer {KEY}"},
    )
    yield state, client
    client.close()


def client_id(http: httpx.Client) -> str:
    return str(http.post("/v1/clients", json={"first_name": "Ada"}).json()["id"])


def test_every_new_route_needs_the_api_key(cb):
    _, http = cb
    for path in ("/v1/products", "/v1/collection-items", "/v1/activity", "/v1/messages"):
        answer = http.get(path, headers={"authorization": "Bearer wrong"})
        assert answer.status_code == 401
        assert answer.json()["error"]["type"] == "unauthorized"


def test_upsert_by_sku_sets_product_fields_always_and_defaults_only_on_create(cb):
    _, http = cb
    body = {"product": {"archived": True}, "defaults": {"title": "Ring", "price": "10"}}
    first = http.put("/v1/products/by-sku/001-100-00001", json=body)
    assert first.status_code == 201
    assert (first.json()["title"], first.json()["price"]) == ("Ring", "10.00")
    again = http.put(
        "/v1/products/by-sku/001-100-00001",
        json={"product": {"archived": True}, "defaults": {"title": "Other"}},
    )
    assert again.status_code == 200
    assert (again.json()["title"], again.json()["version"]) == ("Ring", 1), "nothing changed"
    missing = http.put("/v1/products/by-sku/X", json={"product": {}})
    assert missing.status_code == 422
    assert missing.json()["error"]["field"] == "title"


def test_a_live_sku_is_unique_and_free_again_once_deleted(cb):
    _, http = cb
    made = http.post("/v1/products", json={"title": "A", "sku": "S1"}).json()
    clash = http.post("/v1/products", json={"title": "B", "sku": "S1"})
    assert clash.status_code == 409
    assert http.get("/v1/products", params={"sku": "S1"}).json()["data"][0]["id"] == made["id"]
    assert http.delete(f"/v1/products/{made['id']}").status_code == 204
    assert http.post("/v1/products", json={"title": "B", "sku": "S1"}).status_code == 201


def test_collection_items_reference_live_products_and_never_move(cb):
    _, http = cb
    owner = client_id(http)
    edge = http.post("/v1/collections", json={"client_id": owner, "name": "Edge"}).json()
    other = http.post("/v1/collections", json={"client_id": owner, "name": "Other"}).json()
    bad = http.post(
        "/v1/collection-items", json={"collection_id": edge["id"], "product_id": "pr_404"}
    )
    assert (bad.status_code, bad.json()["error"]["field"]) == (422, "product_id")
    product = http.post("/v1/products", json={"title": "Studs", "sku": "S9"}).json()
    item = http.post(
        "/v1/collection-items", json={"collection_id": edge["id"], "product_id": product["id"]}
    ).json()
    assert (item["sku"], item["title"], item["collection_name"]) == ("S9", "Studs", "Edge")
    assert item["added_on"], "defaults to the day it is created"
    moved = http.patch(f"/v1/collection-items/{item['id']}", json={"collection_id": other["id"]})
    assert (moved.status_code, moved.json()["error"]["field"]) == (422, "collection_id")


def test_renaming_a_collection_rewrites_its_items_in_the_feed(cb):
    state, http = cb
    owner = client_id(http)
    edge = http.post("/v1/collections", json={"client_id": owner, "name": "Edge"}).json()
    product = http.post("/v1/products", json={"title": "Studs"}).json()
    http.post(
        "/v1/collection-items", json={"collection_id": edge["id"], "product_id": product["id"]}
    )
    first = http.get("/v1/collection-items").json()["data"][0]
    http.patch(f"/v1/collections/{edge['id']}", json={"name": "Old"})
    since = http.get("/v1/collection-items", params={"updated_since": first["updated_at"]})
    [renamed] = since.json()["data"]
    assert renamed["collection_name"] == "Old"
    assert renamed["updated_at"] > first["updated_at"]
    http.delete(f"/v1/collections/{edge['id']}")
    assert http.get(f"/v1/collection-items/{first['id']}").status_code == 404
    assert state.items.records[first["id"]]["deleted"] is True, "a tombstone in the feed"


def test_only_notes_are_written_through_the_api_and_edits_record_the_editor(cb):
    state, http = cb
    owner = client_id(http)
    note = http.post(
        "/v1/activity",
        json={"client_id": owner, "type": "note", "text": "Hi"},
        headers={"x-clientbook-associate": "as_12"},
    ).json()
    edited = http.patch(
        f"/v1/activity/{note['id']}",
        json={"text": "Hello"},
        headers={"x-clientbook-associate": "as_77"},
    ).json()
    assert (edited["version"], edited["updated_by"], edited["created_by"]) == (2, "as_77", "as_12")
    state.send_message(owner, "email", "Ready", "as_12", subject="Your ring")
    entry = next(a for a in http.get("/v1/activity").json()["data"] if a["type"] == "message")
    assert http.patch(f"/v1/activity/{entry['id']}", json={"text": "x"}).status_code == 422
    assert http.delete(f"/v1/activity/{entry['id']}").status_code == 422
    assert (
        http.post(
            "/v1/activity", json={"client_id": owner, "type": "message", "text": "x"}
        ).status_code
        == 422
    )
    assert (
        http.post("/v1/activity", json={"client_id": owner, "text": "x" * 5001}).status_code == 422
    )


def test_sms_is_recorded_once_per_key_and_shown_nowhere(cb):
    state, http = cb
    sent = http.post(
        "/v1/sms", json={"to": "+12175550142", "body": "Ready"}, headers={"idempotency-key": "k"}
    )
    again = http.post(
        "/v1/sms", json={"to": "+12175550142", "body": "Ready"}, headers={"idempotency-key": "k"}
    )
    assert sent.status_code == again.status_code == 202
    assert sent.json() == again.json()
    assert len(state.sms) == 1
    assert http.get(f"/v1/sms/{sent.json()['id']}").json()["status"] == "queued"
    assert list(state.activity.records) == list(state.messages.records) == []
    assert http.post("/v1/sms", json={"to": "2175550142", "body": "x"}).status_code == 422


def test_purchase_batch_items_succeed_or_fail_alone_and_keys_are_honoured(cb):
    _, http = cb
    owner = client_id(http)
    ops = [
        {"op": "create", "idempotency_key": "a", "purchase": {"client_id": owner, "amount": "5"}},
        {"op": "create", "purchase": {"client_id": "cl_404"}},
        {"op": "create", "idempotency_key": "a", "purchase": {"client_id": owner, "amount": "5"}},
    ]
    results = http.post("/v1/purchases/batch", json={"operations": ops}).json()["results"]
    assert [r["status"] for r in results] == [201, 422, 201]
    assert results[0]["purchase"]["id"] == results[2]["purchase"]["id"]
    assert results[0]["purchase"]["amount"] == "5.00"


def test_feeds_page_with_tokens(cb):
    state, http = cb
    owner = client_id(http)
    for i in range(5):
        state.create_note({"client_id": owner, "text": f"n{i}"})
    seen, token = [], None
    while True:
        params = {"limit": 2, **({"page_token": token} if token else {})}
        body = http.get("/v1/activity", params=params).json()
        seen += [a["text"] for a in body["data"]]
        token = body["next_page_token"]
        if token is None:
            break
    assert seen == [f"n{i}" for i in range(5)]
