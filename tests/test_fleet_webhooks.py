"""``serve --fleet``: webhooks of every store in, their targeted runs out through the queue.

Two stores, each the fake Edge (its folder) and the fake Square served over HTTP, posting
signed notifications to ``/hooks/{store}/square`` of ``serve_fleet`` (uvicorn, in a thread);
the runs are Procrastinate jobs run by a worker in this process. Skipped in one line
without PostgreSQL (required in CI).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import psycopg
import pytest
import tomli_w

from fakes.edge import EdgeFake
from fakes.square import SquareState, make_app, seed_square
from fakes.toolkit import BackgroundServer, free_port
from fakes.toolkit.webhooks import Notifier
from framework.fleet.config import load_fleet
from framework.fleet.workers import ProcrastinateQueue, upgrade_queue
from framework.serve.fleet import serve_fleet
from framework.state.postgres import PostgresStore
from tests.crash import ROOT
from tests.services import PgSchema
from tests.square_world import PAIR, TOKEN, edge_square_config
from tests.test_fleet import cli, work_until_idle
from tests.webhook_world import edge_imports

DEBOUNCE = 0.5


def work_when_due(queue: ProcrastinateQueue) -> None:
    """A worker until no job is left, once the webhooks' jobs' debounce is over."""
    time.sleep(DEBOUNCE + 0.2)
    work_until_idle(queue, tick=False)


@dataclass
class Shop:
    """One store of the fleet: Edge's folder, Square over HTTP with its subscription."""

    name: str
    edge: EdgeFake
    sq: SquareState
    server: BackgroundServer
    notifier: Notifier
    http: httpx.Client
    hook_url: str
    signature_key: str
    config: Path

    def create(self, email: str) -> str:
        body = {"given_name": "Web", "family_name": "Hook", "email_address": email}
        answer = self.http.post("/v2/customers", json=body)
        answer.raise_for_status()
        return str(answer.json()["customer"]["id"])

    def close(self) -> None:
        self.notifier.stop()
        self.http.close()
        self.server.stop()


def shop(tmp: Path, name: str, public_url: str) -> Shop:
    folder = tmp / name
    folder.mkdir()
    sq = SquareState(token=TOKEN)
    seed_square(sq, 4)
    app = make_app(sq)
    server = BackgroundServer(app).start()
    http = httpx.Client(
        base_url=server.url, headers={"authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    hook_url = f"{public_url}/hooks/{name}/square"
    made = http.post(
        "/v2/webhooks/subscriptions",
        json={
            "idempotency_key": name,
            "subscription": {
                "name": "syncwright",
                "event_types": ["customer.created", "customer.updated"],
                "notification_url": hook_url,
            },
        },
    )
    made.raise_for_status()
    key = str(made.json()["subscription"]["signature_key"])
    data = edge_square_config(folder)
    data["systems"]["square"].update(base_url=server.url, webhook_signature_key=key)
    config = folder / "store.toml"
    config.write_text(tomli_w.dumps(data), encoding="utf-8")
    return Shop(
        name, EdgeFake(folder / "edt"), sq, server, app.state.notifier, http, hook_url, key, config
    )


def eventually(check: Callable[[], bool], timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def waiting_jobs(pg: PgSchema) -> list[dict[str, object]]:
    """The waiting jobs' arguments, and ``later``: whether one waits for its debounce."""
    with psycopg.connect(pg.url) as conn:
        rows = conn.execute(
            f"SELECT args, scheduled_at IS NOT NULL FROM {pg.schema}.procrastinate_jobs "
            "WHERE status='todo' ORDER BY id"
        ).fetchall()
    return [dict(r[0]) | {"later": r[1]} for r in rows]


@dataclass
class FleetWorld:
    pg: PgSchema
    shops: dict[str, Shop]
    fleet: Path
    serving: ProcrastinateQueue
    working: ProcrastinateQueue
    url: str
    stop: threading.Event
    thread: threading.Thread

    def state(self, name: str) -> PostgresStore:
        return PostgresStore(self.pg.url, schema=self.pg.schema, tenant=name)


@pytest.fixture
def world(tmp_path: Path, pg: PgSchema) -> Iterator[FleetWorld]:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    shops = {n: shop(tmp_path, n, public) for n in ("shop-a", "shop-b")}
    fleet = tmp_path / "fleet.toml"
    fleet.write_text(
        tomli_w.dumps(
            {
                "state": {"url": pg.url, "schema": pg.schema},
                "serve": {"public_url": public, "port": port, "debounce_seconds": DEBOUNCE},
                "stores": {n: {"config": str(s.config)} for n, s in shops.items()},
            }
        ),
        encoding="utf-8",
    )
    upgrade_queue(pg.url, pg.schema)
    working = ProcrastinateQueue(load_fleet(fleet))
    assert working.fleet.tick() == 2  # both stores' first poll: their customers linked
    work_until_idle(working, tick=False)
    for s in shops.values():
        s.edge.run_cycle()
    serving = ProcrastinateQueue(load_fleet(fleet))
    ready = threading.Event()
    stop = threading.Event()
    found: list[str] = []

    def on_ready(url: str) -> None:
        found.append(url)
        ready.set()

    thread = threading.Thread(
        target=serve_fleet, args=(serving.fleet, stop), kwargs={"on_ready": on_ready}, daemon=True
    )
    thread.start()
    assert ready.wait(20), "serve --fleet did not start"
    w = FleetWorld(pg, shops, fleet, serving, working, found[0], stop, thread)
    try:
        yield w
    finally:
        stop.set()
        thread.join(timeout=20)
        serving.close()
        working.close()
        for s in shops.values():
            s.close()


@pytest.mark.rule("G-5", "G-4")
def test_a_burst_of_webhooks_for_store_b_is_one_queued_targeted_run_on_a_worker(
    world: FleetWorld, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, "syncwright.serve")
    a, b = world.shops["shop-a"], world.shops["shop-b"]
    b_state, a_state = world.state("shop-b"), world.state("shop-a")
    try:
        [a_first] = a_state.runs(PAIR)
        [b_first] = b_state.runs(PAIR)
        emails = ["fleet.one@example.com", "fleet.two@example.com"]
        for email in emails:
            b.create(email)
        assert eventually(lambda: len(b_state.pending_notifications(PAIR)) == 2)
        assert eventually(lambda: caplog.text.count("shop-b/store: 1 record(s) notified") == 2)
        assert "a run of it waits already" in caplog.text
        jobs = waiting_jobs(world.pg)
        assert len(jobs) == 1, jobs  # the second enqueue found the first waiting
        assert jobs[0]["store"] == "shop-b"
        assert jobs[0]["webhook"] is True
        assert jobs[0]["later"] is True, "started after [serve] debounce_seconds"
        assert edge_imports(b.edge).count("fleet.one@example.com") == 0, "serve ran nothing"

        work_when_due(world.working)

        [targeted, first] = b_state.runs(PAIR)
        assert first.id == b_first.id
        assert targeted.status == "ok", targeted
        assert targeted.counts.get("webhook.notifications") == 2, targeted.counts
        assert targeted.counts.get("customer.create.pos") == 2, targeted.counts
        written = edge_imports(b.edge)
        assert all(e in written for e in emails), "both changes written to Edge"
        assert b_state.pending_notifications(PAIR) == []
        assert waiting_jobs(world.pg) == []
        stats = {s.system: s.counts for s in b_state.webhook_stats()}
        assert stats["square"]["verified"] == 2
        assert stats["square"]["runs"] == 1
        # store A: not run again, nothing kept, nothing written
        assert [r.id for r in a_state.runs(PAIR)] == [a_first.id]
        assert a_state.webhook_stats() == []
        assert not any(e in edge_imports(a.edge) for e in emails)
    finally:
        a_state.close()
        b_state.close()


@pytest.mark.rule("G-5")
def test_a_bad_signature_or_unknown_store_is_refused_and_nothing_is_enqueued(world: FleetWorld):
    b = world.shops["shop-b"]
    b_state = world.state("shop-b")
    try:
        victim = next(iter(b.sq.customers.live()))["id"]
        body = orjson.dumps(
            {
                "merchant_id": "MLFAKE0000001",
                "type": "customer.updated",
                "event_id": "forged-1",
                "created_at": "2026-12-07T00:00:00Z",
                "data": {"type": "customer", "id": victim, "object": {}},
            }
        )
        a_key = world.shops["shop-a"].signature_key  # another store's secret: not B's
        signed_by_a = {"x-square-hmacsha256-signature": _sign(a_key, b.hook_url, body)}
        with httpx.Client(timeout=10) as http:
            forged = http.post(b.hook_url, content=body, headers=signed_by_a)
            missing = http.post(b.hook_url, content=body)
            unknown = http.post(f"{world.url}/hooks/shop-z/square", content=body)
        assert (forged.status_code, missing.status_code, unknown.status_code) == (401, 401, 404)
        assert b"forged-1" not in forged.content
        assert waiting_jobs(world.pg) == []
        assert b_state.pending_notifications(PAIR) == []
        [stats] = b_state.webhook_stats()
        assert stats.counts["rejected"] == 2
        assert stats.counts["verified"] == 0
    finally:
        b_state.close()


def _sign(key: str, url: str, body: bytes) -> str:
    import base64
    import hashlib
    import hmac

    return base64.b64encode(
        hmac.new(key.encode(), url.encode() + body, hashlib.sha256).digest()
    ).decode()


@pytest.mark.rule("G-5")
def test_a_webhook_finding_a_due_run_waiting_is_consumed_by_it_after_its_poll(
    world: FleetWorld, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, "syncwright.serve")
    b = world.shops["shop-b"]
    b_state = world.state("shop-b")
    try:
        [b_first] = b_state.runs(PAIR)
        world.working.fleet.schedule.push([("shop-b", PAIR)], 0)
        assert world.working.fleet.tick() == 1  # B's due (poll) run waits
        b.create("fleet.late@example.com")
        assert eventually(lambda: "a run of it waits already" in caplog.text)
        [job] = waiting_jobs(world.pg)
        assert job["webhook"] is False, "the webhook's enqueue found the due run waiting"

        work_until_idle(world.working, tick=False)

        targeted, poll, first = b_state.runs(PAIR)
        assert first.id == b_first.id
        assert not poll.counts.get("webhook.notifications"), poll.counts
        assert targeted.counts.get("webhook.notifications") == 1, targeted.counts
        assert b_state.pending_notifications(PAIR) == []
        assert "fleet.late@example.com" in edge_imports(b.edge)
    finally:
        b_state.close()


def test_a_store_added_while_serving_is_served_without_a_restart(world: FleetWorld, tmp_path: Path):
    c = shop(tmp_path, "shop-c", world.url)
    c_state = world.state("shop-c")
    try:
        with httpx.Client(timeout=10) as http:
            assert http.post(c.hook_url, content=b"{}").status_code == 404, "not yet a store"
        data = tomllib.loads(world.fleet.read_text(encoding="utf-8"))
        data["stores"]["shop-c"] = {"config": str(c.config)}
        world.fleet.write_text(tomli_w.dumps(data), encoding="utf-8")
        c.create("fleet.new@example.com")
        assert eventually(lambda: len(waiting_jobs(world.pg)) == 1)
        assert len(c_state.pending_notifications(PAIR)) == 1
        [job] = waiting_jobs(world.pg)
        assert (job["store"], job["webhook"]) == ("shop-c", True)
        work_when_due(world.working)
        assert "fleet.new@example.com" in edge_imports(c.edge)
    finally:
        c_state.close()
        c.close()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_the_serve_fleet_command_enqueues_and_stops_on_sigterm(
    tmp_path: Path, pg: PgSchema, capfd: pytest.CaptureFixture[str]
):
    port = free_port()
    a = shop(tmp_path, "shop-a", f"http://127.0.0.1:{port}")
    fleet = tmp_path / "fleet.toml"
    fleet.write_text(
        tomli_w.dumps(
            {
                "state": {"url": pg.url, "schema": pg.schema},
                "serve": {"public_url": f"http://127.0.0.1:{port}", "port": port},
                "stores": {"shop-a": {"config": str(a.config)}},
            }
        ),
        encoding="utf-8",
    )
    upgrade_queue(pg.url, pg.schema)
    code, _, err = cli(["serve", "--fleet", str(fleet), "--pair", "store"], capfd)
    assert code == 2
    [line] = err.strip().splitlines()
    assert "--fleet takes no --pair" in line
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "framework.cli", "serve", "--fleet", str(fleet)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert eventually(lambda: _healthy(port) or proc.poll() is not None, 30)
        assert proc.poll() is None, proc.communicate()
        a.create("fleet.cli@example.com")
        assert eventually(lambda: len(waiting_jobs(pg)) == 1)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        a.close()
    assert proc.returncode == 0, err
    assert f"POST http://127.0.0.1:{port}/hooks/STORE/SYSTEM" in out, out
    assert "stopped on request" in err
    assert a.signature_key not in out + err, "a store's signature key was shown"


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_the_fleet_latency_benchmark_runs(tmp_path: Path, pg: PgSchema):
    from benchmarks.fleet_webhook_latency import main

    figures = main(10, 1.0, work=tmp_path, database=pg.url)
    assert figures["written"] == 10
    assert 1 <= figures["targeted_runs"] <= 10, figures
