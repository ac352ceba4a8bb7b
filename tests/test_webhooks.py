"""``syncwright serve`` end to end over real HTTP: Square's webhooks reach Edge in seconds.

The fake Square (uvicorn) sends signed notifications to the server (uvicorn); the engine
reads Square over HTTP and writes Edge's import files. Polling stays the safety net.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from framework.config import parse_config
from framework.engine.engine import Engine
from framework.serve.server import check_subscriptions, poll_intervals
from tests.square_world import PAIR
from tests.webhook_world import WebhookWorld


@pytest.fixture
def world(tmp_path: Path) -> Iterator[WebhookWorld]:
    w = WebhookWorld(tmp_path, poll_minutes=0.1)  # a poll every 6 s catches what was dropped
    w.settle()
    yield w
    w.close()


def _runs_since(world: WebhookWorld, first: int) -> list[dict[str, int]]:
    return [r.counts for r in world.engine.store.runs(PAIR, limit=500) if r.id >= first]


def _next_run_id(world: WebhookWorld) -> int:
    """The id the next run will have, once no run is in progress.

    A run in progress may read what the test does next (a poll reading Edge's export after
    the edit): it is waited for, so every run that can see the test's change comes after.
    """
    _eventually(lambda: all(r.finished_at for r in world.engine.store.runs(PAIR, limit=1)), 30)
    runs = world.engine.store.runs(PAIR, limit=1)
    if not runs:
        return 1
    return runs[0].id + 1 if runs[0].finished_at else runs[0].id  # still running: it counts


def _eventually(check: Callable[[], bool], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _sign(key: str, url: str, body: bytes) -> str:
    return base64.b64encode(
        hmac.new(key.encode(), url.encode() + body, hashlib.sha256).digest()
    ).decode()


@pytest.mark.rule("G-5")
def test_a_change_in_square_reaches_edge_within_seconds(world: WebhookWorld):
    world.start()
    linked = next(iter(world.sq.customers.live()))["id"]
    world.create("new.client@example.com")
    world.update(linked, email_address="moved.client@example.com")
    seen = world.wait_for_edge(["new.client@example.com", "moved.client@example.com"], 10)
    assert set(seen) == {"new.client@example.com", "moved.client@example.com"}, seen
    assert max(seen.values()) < 5, seen  # the poll (every 6 s) did not have to catch them
    # The receiver writes its counts a moment after the run it triggered may have written
    # Edge: none yet is "not yet", not an error (seen under load: an IndexError).
    assert _eventually(
        lambda: any(s.counts["runs"] >= 1 for s in world.engine.store.webhook_stats())
    )
    assert world.engine.store.webhook_stats()[0].counts["verified"] >= 2
    targeted = [c for c in _runs_since(world, 1) if c.get("webhook.notifications")]
    assert targeted, "a run was triggered by the notifications"


@pytest.mark.rule("G-5", "G-6", "G-4")
def test_dropped_duplicated_reordered_lose_nothing_and_write_nothing_twice(world: WebhookWorld):
    world.faults(drop=0.3, duplicate=0.2, reorder=0.2, seed=7)
    world.start()
    first = _next_run_id(world)
    linked = [c["id"] for c in world.sq.customers.live()][:5]
    emails = []
    for n in range(12):
        email = f"burst{n}@example.com"
        emails.append(email)
        if n < len(linked):
            world.update(linked[n], email_address=email)
        else:
            world.create(email)
        time.sleep(0.05)
    seen = world.wait_for_edge(emails, 30)
    assert set(seen) == set(emails), f"lost: {set(emails) - set(seen)}"
    faults = {s.fault for s in world.notifier.log}
    assert {"drop", "duplicate"} <= faults, faults  # the faults really happened
    text = world.edge_imports()
    twice = [e for e in emails if text.count(e) != 1]
    assert not twice, f"written more than once: {twice}"
    counts = _runs_since(world, first)
    written_back = sum(n for c in counts for k, n in c.items() if k.endswith(".platform"))
    assert written_back == sum(c.get("customer.read.platform", 0) for c in counts), (
        "nothing but reads on Square"
    )
    assert not any(
        k.startswith(("customer.create.platform", "customer.update.platform"))
        for c in counts
        for k in c
    )
    assert world.engine.store.webhook_stats()[0].counts["duplicates"] >= 1


@pytest.mark.rule("G-4")
def test_the_notification_of_our_own_write_moves_nothing(world: WebhookWorld):
    world.start()
    key = next(iter(world.edge.customers))
    first = _next_run_id(world)  # before the edit: a poll may start (and take it) at once
    world.edge.edit_customer(key, CustomerFirstName="Echoed")
    world.edge.run_cycle()  # Edge exports the edit; the next poll writes it to Square
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        counts = _runs_since(world, first)
        if any(c.get("customer.echo") and c.get("webhook.notifications") for c in counts):
            break
        time.sleep(0.1)
    counts = _runs_since(world, first)
    assert any(c.get("customer.update.platform") for c in counts), "the edit reached Square"
    echoes = [c for c in counts if c.get("webhook.notifications")]
    assert echoes, counts
    assert all(c.get("customer.echo") for c in echoes), counts
    assert not any(
        k.endswith(".pos") and not k.startswith("customer.read") for c in echoes for k in c
    )
    assert "Echoed" not in world.edge_imports(), "the echo was written back to Edge"


@pytest.mark.rule("G-5")
def test_a_forged_or_replayed_notification_is_refused_and_changes_nothing(world: WebhookWorld):
    world.start()
    victim = next(iter(world.sq.customers.live()))["id"]
    body = orjson.dumps(
        {
            "merchant_id": "MLFAKE0000001",
            "type": "customer.deleted",
            "event_id": "forged-1",
            "created_at": "2026-12-07T00:00:00Z",
            "data": {"type": "customer", "id": victim, "deleted": True, "object": {}},
        }
    )
    with httpx.Client(timeout=10) as http:
        forged = http.post(
            world.hook_url,
            content=body,
            headers={"x-square-hmacsha256-signature": _sign("not-the-key", world.hook_url, body)},
        )
        missing = http.post(world.hook_url, content=body)
        assert (forged.status_code, missing.status_code) == (401, 401)
        assert b"forged-1" not in forged.content
        # an authentic notification, then the same one again (a replay)
        update = orjson.loads(body) | {"type": "customer.updated", "event_id": "real-1"}
        raw = orjson.dumps(update)
        signed = {"x-square-hmacsha256-signature": _sign(world.signature_key, world.hook_url, raw)}
        first = http.post(world.hook_url, content=raw, headers=signed)
        time.sleep(1.0)
        replay = http.post(world.hook_url, content=raw, headers=signed)
    assert first.json() == {"ok": True, "events": 1, "duplicates": 0}
    assert replay.json() == {"ok": True, "events": 0, "duplicates": 1}
    stats = world.engine.store.webhook_stats()[0]
    assert stats.counts["rejected"] == 2
    assert stats.counts["duplicates"] == 1
    assert _eventually(lambda: not world.engine.store.pending_notifications(PAIR))
    assert world.sq.customer(victim)["id"] == victim
    assert world.engine.store.link_by_id(PAIR, "customer", "platform", victim) is not None
    assert "Deleted" not in world.edge_imports()


def test_serve_checks_and_makes_the_square_subscription(world: WebhookWorld):
    system = world.engine.systems["square"]
    url = f"{world.public_url}/hooks/other"
    found = world.engine.hooks.ensure_subscription(system, world.hook_url)
    assert found is not None
    assert found.ok
    assert found.id
    missing = world.engine.hooks.ensure_subscription(system, url)
    assert missing is not None
    assert not missing.ok
    assert "--subscribe" in missing.detail
    made = world.engine.hooks.ensure_subscription(system, url, create=True)
    assert made is not None
    assert made.ok
    assert made.created
    assert made.signing_secret
    assert made.signing_secret not in made.detail
    listed = world.http.get("/v2/webhooks/subscriptions").json()["subscriptions"]
    assert {s["notification_url"] for s in listed} == {world.hook_url, url}


def test_the_latency_benchmark_runs(tmp_path: Path):
    from benchmarks.webhook_latency import main

    figures = main(20, 2.0, work=tmp_path)
    assert figures["written"] == 20
    assert figures["targeted_runs"] <= figures["windows"]


def test_a_burst_of_notifications_for_one_pair_is_one_run(tmp_path: Path):
    world = WebhookWorld(tmp_path, debounce=3.0)
    try:
        world.settle()
        served = world.start()
        assert _eventually(lambda: served.dispatcher.schedule.runs.get("poll", 0) >= 1)
        first = _next_run_id(world)
        emails = [f"burst.one.{n}@example.com" for n in range(10)]
        for email in emails:
            world.create(email)
        assert set(world.wait_for_edge(emails, 15)) == set(emails)
        targeted = [c for c in _runs_since(world, first) if c.get("webhook.notifications")]
        assert len(targeted) == served.dispatcher.schedule.windows == 1, targeted
        assert targeted[0]["webhook.notifications"] == 10
        assert targeted[0]["customer.create.pos"] == 10
    finally:
        world.close()


def test_the_poll_is_longer_only_while_webhooks_are_live(tmp_path: Path):
    world = WebhookWorld(tmp_path, poll_minutes=90.0)
    try:
        lines, live = check_subscriptions(world.engine, ["square"], subscribe=False)
        assert live == ["square"], lines
        assert poll_intervals(world.engine, [PAIR], live) == {PAIR: 90 * 60}
        data = world.config_data
        del data["systems"]["square"]["webhook_signature_key"]
        config, hooks = parse_config(data, source="test.toml", base_dir=tmp_path)
        keyless = Engine(config, hooks)
        try:
            lines, live = check_subscriptions(keyless, ["square"], subscribe=False)
            assert live == []
            assert "webhook_signature_key is not set" in lines["square"]
            interval = config.pairs[PAIR].interval_minutes * 60
            assert poll_intervals(keyless, [PAIR], live) == {PAIR: interval}
        finally:
            keyless.close()
    finally:
        world.close()
