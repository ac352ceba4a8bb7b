"""The console over one tenant of a PostgreSQL state store (issue 19's ``--store/--tenant``).

Skipped in one line without a PostgreSQL server; required in CI (tests/services.py).
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import tomli_w
from starlette.testclient import TestClient

from framework.state.postgres import PostgresStore
from tests.console_world import console_for, logged_in
from tests.services import PgSchema
from tests.square_world import SquareWorld, edge_square_config

CUSTOMERS = 3


def synced_on(world: SquareWorld, pg: PgSchema, tenant: str) -> None:
    """Sync the world's store with its state in ``tenant`` of the PostgreSQL schema."""
    app = console_for(world, settings={"state": pg.state(tenant)})
    engine = app.state.console.engine
    try:
        assert isinstance(engine.store, PostgresStore)
        for _ in range(3):
            world.edge.run_cycle()
            with engine.lease("store") as lease:
                engine.run_pair("store", lease=lease)
    finally:
        app.state.console.close()


def shop(tmp: Path) -> SquareWorld:
    world = SquareWorld(tmp)
    for i in range(CUSTOMERS):
        world.edge.add_customer("Pat", f"Gres{i}", emails=[("Home", f"pat{i}@example.com")])
    return world


@pytest.mark.rule("G-1")
def test_the_console_shows_one_tenant_of_a_postgres_store(tmp_path: Path, pg: PgSchema):
    world = shop(tmp_path)
    try:
        synced_on(world, pg, "shop-1")
        app = console_for(world, settings={"state": pg.state("shop-1")})
        with TestClient(app) as client:
            logged_in(client, "vic")
            overview = client.get("/").text
            assert re.search(r"<dt>linked</dt><dd>3</dd>", overview), overview[:2000]
            found = client.get("/records?q=pat0@example.com").text
            assert "2 found" in found
            key = next(iter(world.edge.customers))
            record = client.get(f"/records/store/customer/pos/{key}")
            assert record.status_code == 200
            assert "Linked" in record.text
            assert "create" in record.text[record.text.index('id="history"') :]
        app.state.console.close()
        other = console_for(world, settings={"state": pg.state("shop-2")})
        with TestClient(other) as client:
            logged_in(client, "vic")
            assert re.search(r"<dt>linked</dt><dd>0</dd>", client.get("/").text)
        other.state.console.close()
    finally:
        world.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_syncwright_console_serves_the_tenant_its_options_name(tmp_path: Path, pg: PgSchema):
    world = shop(tmp_path)
    try:
        synced_on(world, pg, "shop-1")
    finally:
        world.close()
    config = tmp_path / "syncwright.toml"
    settings = edge_square_config(tmp_path)
    settings["state"]["schema"] = pg.schema  # the store's URL and tenant come from the options
    config.write_text(tomli_w.dumps(settings))
    port = free_port()
    argv = [sys.executable, "-m", "framework.cli", "-c", str(config), "console", "--no-auth"]
    argv += ["--port", str(port), "--store", pg.url, "--tenant", "shop-1"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        page = None
        while time.monotonic() < deadline:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                time.sleep(0.2)
        assert page is not None
        assert page.status_code == 200
        assert re.search(r"<dt>linked</dt><dd>3</dd>", page.text)
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=30)[0].decode()
    assert "tenant shop-1" in out
    assert proc.returncode == 0, out
