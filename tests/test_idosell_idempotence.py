"""G-6 against IdoSell, which has no idempotency key: a write whose answer was lost is sent
again, and the shop still ends with one account per customer and each address once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fakes.polish import kontrahenci
from framework import Customer, WriteOp, WriteRequest
from tests.fk_idosell_world import IsWorld


class LoseAnswer(httpx.BaseTransport):
    """The shop makes the write, but its answer never arrives (once, for one path)."""

    def __init__(self, inner: httpx.BaseTransport, method: str, path: str):
        self.inner, self.method, self.path = inner, method, path
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if not self.lost and request.method == self.method and request.url.path.endswith(self.path):
            self.lost += 1
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


@pytest.fixture
def world(tmp_path: Path) -> Iterator[IsWorld]:
    w = IsWorld(tmp_path / "w")
    yield w
    w.close()


def lose(world: IsWorld, method: str, path: str) -> LoseAnswer:
    transport = LoseAnswer(world.transport.inner, method, path)
    world.transport.inner = transport
    return transport


@pytest.mark.rule("G-6", "IS-3")
def test_a_create_whose_answer_was_lost_is_adopted_by_its_code_not_duplicated(world: IsWorld):
    seeds = kontrahenci(30)
    for k in seeds:
        world.fk.add(k)
    lost = lose(world, "POST", "/clients/clients")
    report = world.settle()
    assert lost.lost == 1
    assert report.status == "ok"
    assert sorted(c["clientCodeExternal"] for c in world.shop.clients.values()) == sorted(
        world.fk.codes()
    ), "one account per customer"
    assert all("-2" not in c["clientLogin"] for c in world.shop.clients.values())
    assert world.problems() == []
    with_addresses = {k.code: len(k.deliveries) for k in seeds}
    assert {
        c["clientCodeExternal"]: len(c["deliveries"]) for c in world.shop.clients.values()
    } == with_addresses, "each delivery address once"


@pytest.mark.rule("G-6", "IS-9")
def test_delivery_addresses_whose_answer_was_lost_are_not_added_twice(world: IsWorld):
    seeds = kontrahenci(30)
    for k in seeds:
        world.fk.add(k)
    lost = lose(world, "POST", "/clients/deliveryAddress")
    world.settle()
    assert lost.lost == 1
    assert len(world.shop.clients) == 30
    assert {c["clientCodeExternal"]: len(c["deliveries"]) for c in world.shop.clients.values()} == {
        k.code: len(k.deliveries) for k in seeds
    }
    assert world.problems() == []


@pytest.mark.rule("G-6")
def test_an_update_whose_answer_was_lost_is_sent_again_harmlessly(world: IsWorld):
    for k in kontrahenci(5):
        world.fk.add(k)
    world.settle()
    code = world.fk.codes()[0]
    world.fk.update(code, street="ul. Nowa 1")
    world.fk.add_delivery(code, "ul. Żytnia 3", "01-234", "Warszawa")
    lost = lose(world, "PUT", "/clients/clients")
    world.settle()
    assert lost.lost == 1
    client = world.client(code)
    assert client["clientBillingAddress"]["clientStreet"] == "ul. Nowa 1"
    streets = [d["clientDeliveryAddressStreet"] for d in client["deliveryAddresses"]]
    assert streets.count("ul. Żytnia 3") == 1


@pytest.mark.rule("G-6", "IS-3")
def test_a_create_without_a_code_is_found_by_its_key_when_replayed(world: IsWorld):
    shop = world.engine.systems["shop"]
    ala = Customer(first_name="Ala", last_name="Nowak", shops=["1"])
    request = WriteRequest(
        entity="customer",
        op=WriteOp.CREATE,
        record=ala,
        fields=["first_name", "last_name", "shops"],
        idempotency_key="sw-store-customer-0123456789abcdef",
    )
    first = world.engine.hooks.apply_change(shop, request)
    again = world.engine.hooks.apply_change(shop, request.model_copy(update={"replay": True}))
    assert first.id == again.id, "the replay adopted the account its first attempt made"
    assert [str(i) for i in world.shop.clients] == [first.id]
    assert first.link_key == request.idempotency_key, "the code the account now carries"
    assert world.shop.clients[int(first.id)]["clientCodeExternal"] == request.idempotency_key
