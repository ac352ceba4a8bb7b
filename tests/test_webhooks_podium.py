"""Podium's webhooks end to end over real HTTP: a contact made in Podium reaches Edge in seconds.

The fake Podium (uvicorn, OAuth and API on 127.0.0.1) gets its webhook through the
connector (``ensure_subscription``, ``POST /v4/webhooks`` with the signing secret) and posts
signed contact events to ``syncwright serve``.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from fakes.edge import EdgeFake
from fakes.podium import PodiumState, make_app
from fakes.toolkit import BackgroundServer, free_port
from framework.config import parse_config
from framework.engine.engine import Engine
from tests.podium_world import (
    CLIENT_ID,
    CLIENT_SECRET,
    PAIR,
    REFRESH_TOKEN,
    edge_podium_config,
)
from tests.webhook_world import ServeThread, edge_imports, wait_for_texts

SECRET = "podium-webhook-secret-value"


class PodiumHooks:
    def __init__(self, tmp: Path):
        self.edge = EdgeFake(tmp / "edt")
        self.podium = PodiumState(
            visibility_delay=0.0,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            refresh_token=REFRESH_TOKEN,
        )
        self.podium.add_contact("Ada Lovelace", email="ada@example.com", phone="+12175550101")
        self.app = make_app(self.podium)
        self.fake = BackgroundServer(self.app).start()
        port = free_port()
        self.hook_url = f"http://127.0.0.1:{port}/hooks/podium"
        data = edge_podium_config(
            tmp,
            podium={
                "base_url": self.fake.url,
                "token_url": f"{self.fake.url}/oauth/token",
                "webhook_secret": SECRET,
            },
        )
        data["serve"] = {"public_url": f"http://127.0.0.1:{port}", "debounce_seconds": 0.2}
        config, hooks = parse_config(data, source="test.toml", base_dir=tmp)
        self.engine = Engine(config, hooks)
        self.server = ServeThread(self.engine, port)

    def close(self) -> None:
        if not self.engine.stop.is_set():
            self.server.stop()
        self.app.state.webhooks.notifier.stop()
        self.fake.stop()
        self.engine.close()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[PodiumHooks]:
    w = PodiumHooks(tmp_path)
    for _ in range(3):
        w.edge.run_cycle()
        w.engine.run_pair(PAIR)
    yield w
    w.close()


def _signed(body: bytes, stamp: str, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"podium-timestamp": stamp, "podium-signature": digest}


@pytest.mark.rule("G-5")
def test_a_contact_made_in_podium_reaches_edge_within_seconds(world: PodiumHooks):
    system = world.engine.systems["podium"]
    made = world.engine.hooks.ensure_subscription(system, world.hook_url, create=True)
    assert made is not None
    assert made.ok, made.detail
    hooks = list(world.app.state.webhooks.hooks.values())
    assert [h["secret"] for h in hooks] == [SECRET], "the webhook signs with our secret"
    again = world.engine.hooks.ensure_subscription(system, world.hook_url)
    assert again is not None
    assert again.ok, again.detail
    assert "(signed)" in again.detail
    world.server.start()
    time.sleep(0.5)
    world.podium.add_contact("Grace Hopper", email="grace@example.com")
    seen = wait_for_texts(lambda: edge_imports(world.edge), ["grace@example.com"], 10)
    assert "grace@example.com" in seen
    assert seen["grace@example.com"] < 5
    stats = world.engine.store.webhook_stats()[0]
    assert stats.system == "podium"
    assert stats.counts["verified"] >= 1


def test_an_unsigned_or_stale_podium_event_is_refused(world: PodiumHooks):
    world.server.start()
    uid = next(iter(world.podium.contacts.live()))["id"]
    body = orjson.dumps(
        {
            "data": {"after": None, "before": {"uid": uid}, "errors": []},
            "metadata": {"eventType": "contact.deleted", "eventUid": "e-1", "version": "1"},
        }
    )
    now = str(int(time.time() * 1000))
    stale = str(int((time.time() - 3600) * 1000))
    with httpx.Client(timeout=10) as http:
        unsigned = http.post(world.hook_url, content=body)
        old = http.post(world.hook_url, content=body, headers=_signed(body, stale))
        wrong = http.post(world.hook_url, content=body, headers=_signed(body, now, "guess"))
        good = http.post(world.hook_url, content=body, headers=_signed(body, now))
    assert [r.status_code for r in (unsigned, old, wrong)] == [401, 401, 401]
    assert good.status_code == 200
    assert world.engine.store.webhook_stats()[0].counts["rejected"] == 3
    deadline = time.monotonic() + 10
    while world.engine.store.pending_notifications(PAIR) and time.monotonic() < deadline:
        time.sleep(0.05)
    # the authentic event named a contact that is still there: read fresh, nothing deleted
    assert world.podium.contacts.get(uid)["id"] == uid
    assert world.engine.store.link_by_id(PAIR, "customer", "platform", uid) is not None
