"""IS-6: the IdoSell API budget, proved by counting calls (never by timing them).

The connector batches (up to 100 clients per write), pages (100 per read), sends only real
changes (the F/K program is read in full every run, and the engine stages only customers
that differ from their shadow), and honours the shop's 429s.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from fakes.idosell import seed_clients
from fakes.polish import kontrahenci
from fakes.toolkit import FaultRule
from plugins.idosell.feed import ClientsCursor, shop_time
from tests.fk_idosell_world import IsWorld


@pytest.fixture
def world(tmp_path: Path) -> Iterator[IsWorld]:
    w = IsWorld(tmp_path / "w")
    yield w
    w.close()


def operations(world: IsWorld, since: int = 0) -> Counter[str]:
    """Calls by 'METHOD path' since exchange number ``since``."""
    return Counter(
        f"{r.method} {r.url.path.removeprefix('/api/admin/v6')}"
        for r, _ in world.transport.exchanges[since:]
    )


def items_per_write(world: IsWorld) -> list[int]:
    return [
        len(orjson.loads(r.content)["params"]["clients"])
        for r, _ in world.transport.exchanges
        if r.method in ("POST", "PUT") and r.url.path.endswith("/clients/clients")
    ]


@pytest.mark.rule("IS-6", "G-2")
def test_the_initial_upload_writes_in_batches_of_a_hundred(world: IsWorld):
    seeds = kontrahenci(250)
    for k in seeds:
        world.fk.add(k)
    report = world.sync()
    assert report.counts["customer.create.platform"] == 250
    assert items_per_write(world) == [100, 100, 50]
    with_addresses = sum(1 for k in seeds if k.deliveries)
    ops = operations(world)
    assert ops == {
        "GET /clients/clients": 1,  # the shop's (empty) feed
        "GET /discounts/groups": 1,  # group numbers by name, once
        "POST /clients/clients": 3,
        "POST /clients/deliveryAddress": 3,  # one per batch that has addresses
    }, ops
    assert with_addresses > 0
    assert world.calls(report) == sum(ops.values()), "the run reports the calls it made"


@pytest.mark.rule("IS-6", "G-4")
def test_an_incremental_run_with_nothing_changed_makes_one_call(world: IsWorld):
    for k in kontrahenci(250):
        world.fk.add(k)
    world.sync()
    echo = world.sync()  # reads back what the upload wrote: 3 pages and their addresses
    assert world.calls(echo) == 6
    assert echo.counts["customer.echo"] == 500, "all 250 read-backs and 250 F/K re-reads"
    quiet = world.sync()
    assert world.calls(quiet) == 1, "one page of the feed, nothing else"
    assert quiet.counts["customer.read.pos"] == 250, "the F/K program is read in full"
    assert quiet.counts["customer.echo"] == 250, "and nothing of it is staged"
    assert world.engine.store.inbox_count("store") == 0


@pytest.mark.rule("IS-6")
def test_a_run_with_one_percent_changed_sends_one_batch(world: IsWorld):
    for k in kontrahenci(300):
        world.fk.add(k)
    world.settle(3)
    start = len(world.transport.exchanges)
    for code in world.fk.codes()[:3]:
        world.fk.update(code, street="ul. Zmieniona 1")
    report = world.sync()
    assert report.counts["customer.update.platform"] == 3
    assert operations(world, start) == {"GET /clients/clients": 1, "PUT /clients/clients": 1}
    assert items_per_write(world)[-1] == 3
    start = len(world.transport.exchanges)
    world.sync()
    assert operations(world, start) == {
        "GET /clients/clients": 1,
        "GET /clients/deliveryAddress": 1,
    }, "the read-back of the three"


@pytest.mark.rule("IS-6", "IS-3", "G-2")
def test_a_paged_read_that_dies_resumes_where_it_stopped_with_no_duplicates(world: IsWorld):
    seeds = kontrahenci(250)
    for k in seeds:
        world.fk.add(k)
    ids = seed_clients(world.shop, 250)
    for client_id, k in zip(ids, seeds, strict=True):  # the store filled the codes (IS-3)
        world.shop.set_code(client_id, None, k.code)
    world.fail(
        FaultRule(kind="503", path="/api/admin/v6/clients/clients", methods=["GET"], nth=[2, 3, 4])
    )
    first = world.sync()
    assert first.status == "partial"
    assert "reading customer from shop" in first.errors[0]
    assert first.counts.get("customer.link.both", 0) == 0, "no one-sided merge"
    world.fail()
    start = len(world.transport.exchanges)
    second = world.sync()
    pages = [
        r.url.params.get("resultsPage")
        for r, _ in world.transport.exchanges[start:]
        if r.method == "GET" and r.url.path.endswith("/clients/clients")
    ]
    assert pages == ["1", "2"], "resumed after the page that was staged"
    assert second.counts["customer.link.both"] == 250
    assert second.counts.get("customer.create.platform", 0) == 0
    assert len(world.shop.clients) == 250, "linked by code, none duplicated"


@pytest.mark.rule("IS-6", "G-5")
def test_the_shops_429_is_honoured_and_nothing_is_lost_or_doubled(world: IsWorld):
    for k in kontrahenci(120):
        world.fk.add(k)
    world.fail(
        FaultRule(
            kind="429",
            path="/api/admin/v6/clients/clients",
            methods=["POST"],
            nth=[1],
            retry_after=0,
        )
    )
    report = world.sync()
    assert report.calls["shop.429"] == 1
    assert report.counts["retry.shop"] == 1
    assert len(world.shop.clients) == 120
    assert sorted(c["clientCodeExternal"] for c in world.shop.clients.values()) == sorted(
        world.fk.codes()
    )


class EditDuringRead(httpx.BaseTransport):
    """Runs ``edit`` right after the first page of a clients read was served."""

    def __init__(self, inner: httpx.BaseTransport, edit: Callable[[], None]):
        self.inner = inner
        self.edit: Callable[[], None] | None = edit

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        first_page = request.url.params.get("resultsPage") == "0"
        if self.edit and first_page and request.url.path.endswith("/clients/clients"):
            self.edit()
            self.edit = None
        return response


@pytest.mark.rule("IS-6", "G-5")
def test_a_change_to_an_already_read_page_during_a_read_is_not_lost(tmp_path: Path):
    world = IsWorld(
        tmp_path / "w", overrides={"flows": {"customer": {"update_pos": True}}}, page_size=2
    )
    try:
        for k in kontrahenci(10):
            world.fk.add(k)
        world.settle(3)
        codes = world.fk.codes()
        for n in (1, 3, 5):  # three changed accounts: a read of two pages of two
            world.shop.edit(world.raw(codes[n])["clientId"], clientCity="Opole")

        def edit() -> None:  # the first account changes behind the read, a later one after
            world.shop.edit(world.raw(codes[0])["clientId"], clientCity="Wieliczka")
            world.shop.clock.offset += dt.timedelta(seconds=3)
            world.shop.edit(world.raw(codes[6])["clientId"], clientCity="Opole")

        world.transport.inner = EditDuringRead(world.transport.inner, edit)
        world.settle(3)
        assert world.fk.get(codes[0])["city"] == "Wieliczka", "changed behind the read"
        assert [world.fk.get(codes[n])["city"] for n in (1, 3, 5, 6)] == ["Opole"] * 4
    finally:
        world.close()


def result(client_id: int, moment: str, city: str = "Kraków") -> dict[str, object]:
    return {"clientId": client_id, "clientsLastModificationDate": moment, "city": city}


@pytest.mark.rule("IS-6")
def test_the_feed_cursor_restarts_where_the_read_began_and_drops_what_it_delivered():
    cursor = ClientsCursor.load(None)
    cursor.started("2025-03-01 10:00:00")  # the shop's clock at the first page, less overlap
    page = [result(1, "2025-02-01 08:00:00"), result(2, "2025-03-01 10:00:04")]
    assert all(cursor.fresh(r, []) for r in page)
    cursor = ClientsCursor.load(cursor.next(more=True).dump())
    assert cursor.page == 1
    assert cursor.fresh(result(3, "2025-03-01 10:00:09"), [])
    done = ClientsCursor.load(cursor.next(more=False).dump())
    assert done.since == "2025-03-01 10:00:00", "where the read began, not the latest date"
    assert set(done.seen) == {"2", "3"}, "only what the next read will see again"
    assert not done.fresh(result(2, "2025-03-01 10:00:04"), []), "same content: dropped"
    assert done.fresh(result(2, "2025-03-01 10:00:04", city="Opole"), []), "changed: delivered"


@pytest.mark.rule("IS-9", "G-5")
def test_a_delivery_address_added_within_the_same_second_is_not_dropped():
    cursor = ClientsCursor.load(None)
    cursor.started("2025-03-01 10:00:00")
    assert cursor.fresh(result(2, "2025-03-01 10:00:04"), [])
    done = ClientsCursor.load(cursor.next(more=False).dump())
    address = {"clientDeliveryAddressStreet": "ul. Portowa 2"}
    assert done.fresh(result(2, "2025-03-01 10:00:04"), [address]), "its list entry is the same"


def test_without_the_shops_clock_the_cursor_falls_back_to_the_latest_date():
    cursor = ClientsCursor.load(None)
    cursor.started(None)
    for r in (result(1, "2025-03-01 10:00:00"), result(2, "2025-03-01 10:00:05")):
        assert cursor.fresh(r, [])
    done = cursor.next(more=False)
    assert done.since == "2025-03-01 10:00:05"
    assert set(done.seen) == {"2"}


def test_the_shops_clock_is_read_from_the_date_header_in_its_time_zone():
    assert shop_time("Sat, 01 Mar 2025 09:00:05 GMT", "Europe/Warsaw", 5) == "2025-03-01 10:00:00"
    assert shop_time("not a date", "Europe/Warsaw", 5) is None
    assert shop_time(None, "Europe/Warsaw", 5) is None
