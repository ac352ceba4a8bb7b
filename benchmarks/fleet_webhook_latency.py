"""Webhook latency through a fleet: a change in Square to its write on Edge, via the queue.

As ``webhook_latency.py``, but the webhooks go to ``serve --fleet`` (``serve_fleet`` in this
process), which keeps them in the store's PostgreSQL state and enqueues the pair; a real
``syncwright worker`` process takes the job and makes the targeted run. One store (the
fake Edge's folder, the fake Square over HTTP); ``CHANGES`` changes (four in five new
customers, one in five updates of linked ones) spread evenly over ``SECONDS``; the fake's
delivery delay is 0. Counts the runs the notifications caused (no debounce: a job per
free moment of the pair, a burst while one waits joins it).

    SYNCWRIGHT_BENCH_POSTGRES=postgresql://... \\
    .venv/bin/python -m benchmarks.fleet_webhook_latency [CHANGES] [SECONDS] [--append]

(default database: ``SYNCWRIGHT_TEST_POSTGRES``, else the local ``postgres``; a schema of
its own, dropped at the end).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import tomli_w

from benchmarks.report import machine
from benchmarks.server import ROOT
from benchmarks.webhook_latency import Watcher, _load, percentile, record, spread
from fakes.edge import EdgeFake
from fakes.square import SquareState, make_app, seed_square
from fakes.toolkit import BackgroundServer, free_port
from framework.engine.engine import Engine
from framework.fleet.config import load_fleet
from framework.fleet.workers import ProcrastinateQueue, upgrade_queue
from framework.serve.fleet import serve_fleet
from framework.state.factory import open_store
from framework.state.postgres import PostgresStore, close_pool, upgrade
from tests.square_world import PAIR, TOKEN, edge_square_config

STORE = "shop"


def _database() -> str:
    return (
        os.environ.get("SYNCWRIGHT_BENCH_POSTGRES")
        or os.environ.get("SYNCWRIGHT_TEST_POSTGRES")
        or "postgresql://postgres@127.0.0.1:5432/postgres"
    )


def main(
    changes: int = 300,
    seconds: float = 30.0,
    append: bool = False,
    work: Path | None = None,
    database: str | None = None,
) -> dict[str, float]:
    """Run the measure; its figures (and the RESULTS.md section with ``append``)."""
    import psycopg

    url, schema = database or _database(), f"bench_{uuid.uuid4().hex[:10]}"
    tmp = work or Path(tempfile.mkdtemp(prefix="fleet-webhook-bench-"))
    upgrade(url, schema)
    upgrade_queue(url, schema)
    sq = SquareState(token=TOKEN)
    seed_square(sq, max(10, changes // 5))
    app = make_app(sq)
    fake = BackgroundServer(app).start()
    http = httpx.Client(base_url=fake.url, headers={"authorization": f"Bearer {TOKEN}"})
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    made_sub = http.post(
        "/v2/webhooks/subscriptions",
        json={
            "idempotency_key": "bench",
            "subscription": {
                "name": "syncwright",
                "event_types": ["customer.created", "customer.updated"],
                "notification_url": f"{public}/hooks/{STORE}/square",
            },
        },
    )
    made_sub.raise_for_status()
    data = edge_square_config(tmp)
    data["systems"]["square"].update(
        base_url=fake.url, webhook_signature_key=made_sub.json()["subscription"]["signature_key"]
    )
    (tmp / "store.toml").write_text(tomli_w.dumps(data), encoding="utf-8")
    fleet = tmp / "fleet.toml"
    fleet.write_text(
        tomli_w.dumps(
            {
                "state": {"url": url, "schema": schema},
                "serve": {"public_url": public, "port": port},
                "stores": {STORE: {"config": str(tmp / "store.toml")}},
            }
        ),
        encoding="utf-8",
    )
    config = load_fleet(fleet)
    store_config, hooks = config.store(STORE)
    edge = EdgeFake(tmp / "edt")
    engine = Engine(store_config, hooks, store=open_store(store_config))
    for _ in range(3):  # the initial sync, as a worker's first runs would make it
        edge.run_cycle()
        engine.run_pair(PAIR)
    engine.close()
    linked = [c["id"] for c in sq.customers.live()]
    state = PostgresStore(url, schema=schema, tenant=STORE)
    queue = ProcrastinateQueue(config)
    stop = threading.Event()
    serving = threading.Thread(target=serve_fleet, args=(queue.fleet, stop), daemon=True)
    log = (tmp / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "framework.cli", "worker", "-f", str(fleet)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    load_before = _load()
    try:
        serving.start()
        settled = len(state.runs(PAIR, limit=100))
        deadline = time.monotonic() + 60
        while len(state.runs(PAIR, limit=100)) == settled:  # the worker's first tick's poll
            assert worker.poll() is None, (tmp / "worker.log").read_text()
            assert time.monotonic() < deadline, "the worker ran nothing"
            time.sleep(0.2)
        first_run = state.runs(PAIR, limit=1)[0].id + 1
        watcher = Watcher([edge.outbox])
        watcher.thread.start()
        made: dict[str, float] = {}
        start = time.monotonic()
        for n in range(changes):
            due = start + n * seconds / changes
            time.sleep(max(0.0, due - time.monotonic()))
            email = f"bench{n}@example.com"
            made[email] = time.monotonic()
            if n % 5 == 4 and linked:
                customer = linked.pop()
                http.put(f"/v2/customers/{customer}", json={"email_address": email})
            else:
                http.post(
                    "/v2/customers",
                    json={"given_name": "Fleet", "family_name": "Hook", "email_address": email},
                ).raise_for_status()
        deadline = time.monotonic() + 90
        while len(watcher.seen) < len(made) and time.monotonic() < deadline:
            time.sleep(0.1)
        watcher.stop.set()
        while any(r.status == "running" for r in state.runs(PAIR, limit=5)):  # counts at its end
            assert time.monotonic() < deadline + 30, "a run did not end"
            time.sleep(0.1)
        latencies = [watcher.seen[e] - t for e, t in made.items() if e in watcher.seen]
        runs = [r for r in state.runs(PAIR, limit=5000) if r.id >= first_run]
        targeted = [r for r in runs if r.counts.get("webhook.notifications")]
        counts = state.webhook_stats()[0].counts
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
        stop.set()
        serving.join(timeout=20)
        queue.close()
        state.close()
        app.state.notifier.stop()
        http.close()
        fake.stop()
        close_pool(url, schema)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    info = machine()
    line = (
        f"- {changes} changes over {seconds:g} s, delivery delay 0, one store, serve --fleet "
        f"in-process and one `syncwright worker` process: change→Edge write "
        f"{spread(latencies)}; {len(latencies)} of {changes} written; "
        f"{counts['received']} notifications caused {len(targeted)} targeted runs "
        f"({len(runs) - len(targeted)} poll runs); load average before {load_before}, "
        f"after {_load()}"
    )
    where = f"- machine: {info.get('machine', '')}; {info.get('python', '')}; "
    record("fleet webhook latency", where + f"commit {info.get('commit', '?')}", line, append)
    return {
        "written": len(latencies),
        "p95": percentile(latencies, 0.95),
        "targeted_runs": len(targeted),
    }


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(
        int(args[0]) if args else 300,
        float(args[1]) if len(args) > 1 else 30.0,
        append="--append" in sys.argv,
    )
