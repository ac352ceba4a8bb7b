"""IdoSell's account webhook end to end over real HTTP: an edit in the shop reaches F/K in seconds.

The fake IdoSell (uvicorn) calls the URL its panel was given (``notifier.subscribe``) when an
account is created or edited; ``syncwright serve`` reads the client fresh and writes F/K.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fakes.fk import FkDatabase
from fakes.idosell import IdoSellState, make_app
from fakes.toolkit import BackgroundServer, free_port
from framework.config import parse_config
from framework.engine.engine import Engine
from tests.fk_idosell_world import API_KEY, fk_idosell_config
from tests.webhook_world import ServeThread

SECRET = "idosell-panel-secret"
PAIR = "store"


class ShopHooks:
    def __init__(self, tmp: Path):
        self.fk = FkDatabase(tmp / "fk.db", "subiekt_gt")
        self.shop = IdoSellState(api_key=API_KEY)
        self.app = make_app(self.shop)
        self.fake = BackgroundServer(self.app).start()
        port = free_port()
        self.hook_url = f"http://127.0.0.1:{port}/hooks/shop"
        data = fk_idosell_config(
            tmp,
            "subiekt_gt",
            {"flows": {"customer": {"update_pos": True}}},
            base_url=f"{self.fake.url}/api/admin/v6",
            webhook_secret=SECRET,
        )
        data["serve"] = {"public_url": f"http://127.0.0.1:{port}", "debounce_seconds": 0.2}
        config, hooks = parse_config(data, source="test.toml", base_dir=tmp)
        self.engine = Engine(config, hooks)
        self.server = ServeThread(self.engine, port)

    def close(self) -> None:
        if not self.engine.stop.is_set():
            self.server.stop()
        self.app.state.notifier.stop()
        self.fake.stop()
        self.engine.close()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ShopHooks]:
    w = ShopHooks(tmp_path)
    w.fk.add(
        code="K0001",
        first="Jan",
        last="Kowalski",
        name="Jan Kowalski",
        email="jan.kowalski@example.pl",
        phone="601 234 567",
        shops=[1],
    )
    for _ in range(2):
        w.engine.run_pair(PAIR)
    yield w
    w.close()


@pytest.mark.rule("IS-2", "G-5")
def test_an_account_edited_in_the_shop_reaches_fk_within_seconds(world: ShopHooks):
    world.app.state.notifier.subscribe(world.hook_url, SECRET)  # the shop's panel
    subscription = world.engine.hooks.ensure_subscription(
        world.engine.systems["shop"], world.hook_url
    )
    assert subscription is not None
    assert "panel" in subscription.detail
    world.server.start()
    time.sleep(0.5)
    client = world.shop.by_code("K0001")["clientId"]
    world.shop.edit(client, clientEmail="jan@sklep.example.pl")
    deadline = time.monotonic() + 10
    while world.fk.get("K0001")["email"] != "jan@sklep.example.pl":
        assert time.monotonic() < deadline, "the edit did not reach F/K within 10 s"
        time.sleep(0.05)
    stats = world.engine.store.webhook_stats()[0]
    assert stats.system == "shop"
    assert stats.counts["verified"] >= 1


def test_an_unsigned_shop_notification_is_refused(world: ShopHooks):
    world.server.start()
    with httpx.Client(timeout=10) as http:
        answer = http.post(
            world.hook_url,
            json={"event": "clients.edited", "eventId": "x", "clientId": 1},
            headers={"x-idosell-signature": "0" * 64},
        )
    assert answer.status_code == 401
    assert world.engine.store.webhook_stats()[0].counts["rejected"] == 1
