"""Many stores on workers: the fleet file, the queue's guarantees, a killed worker's job.

Stores are real test worlds (the fake Edge's folder, the fake Clientbook served over
HTTP, a configuration file each); their state is one PostgreSQL schema, each store's rows
under its name; runs go through Procrastinate jobs. Skipped in one line without PostgreSQL
(required in CI).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer

from framework.cli.app import add_plugin_commands, app
from framework.cli.errors import run_cli
from framework.fleet.config import load_fleet
from framework.fleet.workers import ProcrastinateQueue, upgrade_queue
from framework.state.postgres import PostgresStore
from tests.crash import ROOT, CrashWorld
from tests.services import PgSchema

STORES = 3


def cli(args: list[str], capfd: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    add_plugin_commands()
    code = run_cli(typer.main.get_command(app), args)
    out, err = capfd.readouterr()
    return code, out, err


def worlds(tmp: Path, n: int = STORES, edge: int = 40) -> list[CrashWorld]:
    return [
        CrashWorld(tmp / f"shop-{i}", edge_customers=edge, clientbook_clients_n=6, shared=2)
        for i in range(n)
    ]


def fleet_file(tmp: Path, pg: PgSchema, stores: list[CrashWorld], worker: str = "") -> Path:
    path = tmp / "fleet.toml"
    lines = [f'[state]\nurl = "{pg.url}"\nschema = "{pg.schema}"\n', f"[worker]\n{worker}\n"]
    lines += [f'[stores.shop-{i}]\nconfig = "{w.config}"\n' for i, w in enumerate(stores)]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def work_until_idle(queue: ProcrastinateQueue, *, tick: bool = True) -> None:
    """One tick (retry stalled jobs, enqueue due pairs), then a worker until no job is left."""
    queue.close()  # its own connections: the worker opens (and closes) the app

    async def go() -> None:
        async with queue.app.open_async():
            if tick:
                await queue._tick_job(0)
            await queue.app.run_worker_async(
                queues=[queue.config.worker.queue],
                wait=False,
                install_signal_handlers=False,
                concurrency=2,
            )

    asyncio.run(go())


def test_fleet_add_validates_the_store_then_list_and_remove(
    tmp_path: Path, pg: PgSchema, capfd: pytest.CaptureFixture[str]
):
    [world] = worlds(tmp_path, 1)
    try:
        fleet = tmp_path / "fleet.toml"
        store = f"postgresql://{pg.url.split('://', 1)[1]}"
        code, _, err = cli(["fleet", "add", "shop-1", str(world.config), "-f", str(fleet)], capfd)
        assert code == 2
        assert "--store postgresql://" in err
        bad = world.tmp / "bad.toml"
        bad.write_text(world.config.read_text().replace('pos = "edge"', 'pos = "edgy"'))
        args = ["--store", store, "fleet", "add", "shop-1", str(bad), "-f", str(fleet)]
        code, _, err = cli(args, capfd)
        assert code == 2
        [line] = err.strip().splitlines()
        assert "bad.toml" in line, line
        assert "edgy" in line, line
        assert not fleet.exists(), "nothing written for a store that does not validate"
        args = ["--store", store, "fleet", "add", "shop-1", str(world.config), "-f", str(fleet)]
        code, out, err = cli(args, capfd)
        assert code == 0, err
        text = fleet.read_text()  # this test's schema, not the default one
        fleet.write_text(text.replace("[state]", f'[state]\nschema = "{pg.schema}"'))
        code, _, err = cli(["fleet", "add", "shop-1", str(world.config), "-f", str(fleet)], capfd)
        assert "already in the fleet" in err
        code, _, err = cli(["fleet", "add", "shop 2", str(world.config), "-f", str(fleet)], capfd)
        assert code == 2
        assert "store name 'shop 2'" in err
        code, out, err = cli(["fleet", "list", "-f", str(fleet)], capfd)
        assert code == 0, err
        assert "shop-1" in out
        assert "1 store(s), 1 pair(s)" in out
        code, out, err = cli(["fleet", "remove", "shop-1", "-f", str(fleet)], capfd)
        assert code == 0, err
        assert load_fleet(fleet).stores == {}
    finally:
        world.close()


@pytest.mark.rule("G-2", "G-6")
def test_workers_run_every_stores_pairs_one_job_per_pair(tmp_path: Path, pg: PgSchema):
    stores = worlds(tmp_path)
    try:
        upgrade_queue(pg.url, pg.schema)
        config = load_fleet(fleet_file(tmp_path, pg, stores))
        queue = ProcrastinateQueue(config)
        for world in stores:
            world.edge.run_cycle()
        assert queue.fleet.tick() == STORES
        assert queue.fleet.tick() == 0, "not due again until an interval passed"
        assert queue.enqueue("shop-0", "store", time.time()) is False, "one waits already"
        queue.close()
        work_until_idle(queue, tick=False)
        for i, world in enumerate(stores):
            store = PostgresStore(pg.url, schema=pg.schema, tenant=f"shop-{i}")
            try:
                [run] = store.runs()
                assert run.status == "ok", run
                clients = list(world.cb.clients.live())
                assert len(clients) > 30, "the store's customers were uploaded"
                assert store.links_count("store", "customer") == len(clients)
            finally:
                store.close()
        lags = queue.fleet.schedule.lag()
        assert len(lags) == STORES
        assert all(0 <= seconds < 60 for *_, seconds in lags), lags
        assert queue.fleet.enqueue_run("shop-1/store", ["cl_1"]) is True
        with pytest.raises(Exception, match="no store named 'shop-9'"):
            queue.fleet.enqueue_run("shop-9/store")
        with pytest.raises(Exception, match="no pair named 'nope'"):
            queue.fleet.enqueue_run("shop-1/nope")
        queue.close()
    finally:
        for world in stores:
            world.close()


@pytest.mark.slow
@pytest.mark.rule("G-5", "G-6")
def test_a_killed_workers_job_is_retried_and_resumes_from_the_journal(tmp_path: Path, pg: PgSchema):
    [world] = worlds(tmp_path, 1, edge=600)
    try:
        upgrade_queue(pg.url, pg.schema)
        fleet = fleet_file(
            tmp_path, pg, [world], "heartbeat_seconds = 0.5\nstalled_seconds = 2\ntick_seconds = 1"
        )
        config = load_fleet(fleet)
        queue = ProcrastinateQueue(config)
        world.edge.run_cycle()
        assert queue.fleet.tick() == 1
        queue.close()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        log = (tmp_path / "worker.log").open("wb")
        worker = subprocess.Popen(
            [sys.executable, "-m", "framework.cli", "worker", "-f", str(fleet)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        store = PostgresStore(pg.url, schema=pg.schema, tenant="shop-0")
        try:
            # Killed right after Clientbook carried out a write of the run.
            world.switch.arm(1, lambda: worker.send_signal(signal.SIGKILL), ("POST",))
            assert world.switch.fired.wait(60), (tmp_path / "worker.log").read_text()
            worker.wait(timeout=30)
            world.switch.disarm()
            assert [r.status for r in store.runs()] == ["running"]
            time.sleep(3)  # its heartbeat lapses
            work_until_idle(queue)
            statuses = [r.status for r in reversed(store.runs())]
            assert statuses == ["interrupted", "ok"], statuses
            for _ in range(3):  # Edge imports land and are read back
                world.edge.run_cycle()
                queue.fleet.schedule.push([("shop-0", "store")], 0)
                work_until_idle(queue)
            assert store.intents("store") == []
            assert store.inbox_count("store") == 0
            live_edge = [c for c in world.edge.customers.values() if not c.get("CustomerInactive")]
            clients = list(world.cb.clients.live())
            assert len(live_edge) == len(clients) == store.links_count("store", "customer")
        finally:
            store.close()
            queue.close()
    finally:
        world.close()


def test_a_store_added_or_removed_while_workers_run_is_seen_without_a_restart(
    tmp_path: Path, pg: PgSchema, capfd: pytest.CaptureFixture[str]
):
    stores = worlds(tmp_path, 2)
    try:
        upgrade_queue(pg.url, pg.schema)
        fleet = fleet_file(tmp_path, pg, stores[:1])
        ticking = ProcrastinateQueue(load_fleet(fleet))  # a worker's tick, started before
        working = ProcrastinateQueue(load_fleet(fleet))  # another worker, started before
        assert ticking.fleet.tick() == 1
        work_until_idle(working, tick=False)
        args = ["fleet", "add", "shop-1", str(stores[1].config), "-f", str(fleet)]
        code, _, err = cli(args, capfd)
        assert code == 0, err
        assert ticking.fleet.tick() == 1, "the added store's pair is due at once"
        work_until_idle(working, tick=False)  # its job: a store this worker never read
        added = PostgresStore(pg.url, schema=pg.schema, tenant="shop-1")
        try:
            assert [r.status for r in added.runs()] == ["ok"]
            code, _, err = cli(["fleet", "remove", "shop-1", "-f", str(fleet)], capfd)
            assert code == 0, err
            ticking.fleet.schedule.push([("shop-0", "store")], 0)
            assert ticking.fleet.tick() == 1, "the removed store is not enqueued"
            code, _, err = cli(args, capfd)  # back again: due at once
            assert code == 0, err
            assert ticking.fleet.tick() == 1
            work_until_idle(working, tick=False)
            assert [r.status for r in added.runs()] == ["ok", "ok"]
        finally:
            added.close()
        ticking.close()
    finally:
        for world in stores:
            world.close()
