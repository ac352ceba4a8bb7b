"""CB-6 at upload size: the client's "Edge" collection known from the collections feed.

An upload's wishes are for clients made minutes before, none with a collection: past
``LOOKUPS`` look-ups the connector reads the collections feed and makes the collection of a
client the feed shows without one at once (``plugins/clientbook/collections.py``, issue 17).
The requests the fake Clientbook answers are watched at its door (an ASGI wrapper); the
thresholds are lowered so a few customers stand for an upload.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx
import pytest

from fakes.toolkit import FaultRule
from framework import SystemContext
from plugins.clientbook import collections
from plugins.clientbook.connector import ClientbookSettings
from tests.harness import World

Scope = MutableMapping[str, Any]
ASGI = Callable[[Scope, Any, Any], Awaitable[None]]


class Door:
    """The fake's app, noting every request it is sent."""

    def __init__(self, app: ASGI):
        self.app = app
        self.seen: list[tuple[str, str, str]] = []

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.seen.append((scope["method"], scope["path"], scope["query_string"].decode()))
        await self.app(scope, receive, send)

    def collection_gets(self, by_client: bool) -> int:
        """GETs of ``/v1/collections``: one client's (``by_client``), or pages of the feed."""
        gets = [q for m, p, q in self.seen if (m, p) == ("GET", "/v1/collections")]
        return sum(1 for q in gets if ("client_id" in q) == by_client)

    def lookups(self) -> int:
        """Look-ups of one client's collection."""
        return self.collection_gets(by_client=True)

    def feed_reads(self) -> int:
        """Pages of the collections feed."""
        return self.collection_gets(by_client=False)


@pytest.fixture
def door(world: World) -> Door:
    watched = Door(world.app)
    world.app = watched  # type: ignore[assignment]
    world.restart()
    return watched


def customers(world: World, n: int) -> list[str]:
    return [
        world.edge.add_customer("Ada", f"Lovelace{i}", emails=[("Home", f"ada{i}@example.com")])
        for i in range(n)
    ]


def edge_collections(world: World, key: str) -> list[dict[str, Any]]:
    return world.cb.collections_of(world.client_of(key)["id"], "Edge")


def wish_for_each(world: World, keys: list[str]) -> None:
    """One wish for each customer, synced; nothing refused, one Edge collection each."""
    for key in keys:
        world.edge.add_wish(key, "Pearl studs")
    world.settle()
    assert world.problems() == []
    for key in keys:
        assert len(edge_collections(world, key)) == 1, "one Edge collection each"


@pytest.mark.rule("CB-6")
def test_an_upload_reads_the_collections_feed_instead_of_asking_for_each_client(
    world: World, door: Door, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(collections, "LOOKUPS", 2)
    keys = customers(world, 12)
    for key in keys:
        world.edge.add_wish(key, f"Opal pendant for {key}")
    world.settle()
    assert world.problems() == []
    for key in keys:
        [collection] = edge_collections(world, key)
        assert [i["title"] for i in world.cb.items_of(collection["id"])] == [
            f"Opal pendant for {key}"
        ]
    assert door.lookups() == 2, "the first two asked; the other ten known from the feed"
    assert 1 <= door.feed_reads() <= 3


@pytest.mark.rule("CB-6")
def test_a_collection_made_in_the_app_before_the_run_takes_the_wishes(
    world: World, door: Door, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(collections, "LOOKUPS", 0)
    keys = customers(world, 3)
    world.settle()
    made = world.cb.create_collection({"client_id": world.client_of(keys[1])["id"], "name": "Edge"})
    wish_for_each(world, keys)
    assert [i["title"] for i in world.cb.items_of(made["id"])] == ["Pearl studs"]
    assert door.feed_reads() >= 1
    assert door.lookups() == 1, "only the client the feed shows one for"


@pytest.mark.rule("CB-6")
def test_a_renamed_collection_gets_no_wish_when_the_feed_is_read(
    world: World, door: Door, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(collections, "LOOKUPS", 0)
    monkeypatch.setattr(collections, "FRESH", 0.0)  # every look-up reads what changed since
    [key] = customers(world, 1)
    world.edge.add_wish(key, "Opal pendant")
    world.settle()
    [old] = edge_collections(world, key)
    world.cb.rename_collection(old["id"], {"name": "Old wishes"}, "as_12")
    world.settle()
    world.edge.add_wish(key, "Pearl studs")
    world.settle()
    assert [i["title"] for i in world.cb.items_of(old["id"])] == ["Opal pendant"], "left alone"
    [new] = edge_collections(world, key)
    assert [i["title"] for i in world.cb.items_of(new["id"])] == ["Pearl studs"]


@pytest.mark.rule("CB-6")
def test_a_client_with_more_wishes_than_a_batch_gets_one_collection(
    world: World, door: Door, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(collections, "LOOKUPS", 0)
    [key] = customers(world, 1)
    for n in range(12):  # three batches of at most five, one after the other
        world.edge.add_wish(key, f"Wish {n}")
    world.settle()
    [collection] = edge_collections(world, key)
    assert len(world.cb.items_of(collection["id"])) == 12
    assert door.lookups() >= 1, "the batches after the first ask where it is"


@pytest.mark.rule("CB-6")
def test_a_long_feed_is_left_to_lookups(world: World, door: Door, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(collections, "LOOKUPS", 0)
    monkeypatch.setattr(collections, "PAGE", 2)
    monkeypatch.setattr(collections, "FIRST_PAGES", 2)
    keys = customers(world, 6)
    world.settle()
    for key in keys:  # six collections made in the app: three pages of two
        world.cb.create_collection({"client_id": world.client_of(key)["id"], "name": "Other"})
    wish_for_each(world, keys)
    assert door.feed_reads() == 2, "two pages, then never again"
    assert door.lookups() == 6


@pytest.mark.rule("CB-6")
def test_a_failed_feed_read_falls_back_to_asking(
    world: World, door: Door, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(collections, "LOOKUPS", 0)
    world.fail(FaultRule(kind="503", nth=[1], path="/v1/collections", methods=["GET"]))
    wish_for_each(world, customers(world, 2))
    assert world.faults.summary()["injected"], "the feed's first read failed"


@pytest.mark.rule("CB-6")
def test_a_feed_page_not_as_documented_falls_back_to_asking(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(collections, "LOOKUPS", 0)
    pages = iter([{"data": [{"id": "co_1"}]}, {"data": [], "next_page_token": None}])

    def platform(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=next(pages))  # a collection without its client

    settings = ClientbookSettings(base_url="http://clientbook.test")
    http = httpx.Client(base_url="http://clientbook.test", transport=httpx.MockTransport(platform))
    system = SystemContext(name="clientbook", connector="clientbook", settings=settings, http=http)
    index = collections.index_of(system, "Edge")
    assert index.absent(system, "cl_1") is False, "asked, not assumed"
    assert index.absent(system, "cl_1") is True, "the next read ended: known"
