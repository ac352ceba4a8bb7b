"""``syncwright serve`` as a service runs it: a real process, webhooks in, SIGTERM out.

Then ``syncwright status`` (text and JSON) shows the webhook counts of what it received.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest
import tomli_w

from fakes.edge import EdgeFake
from fakes.square import SquareState, make_app, seed_square
from fakes.toolkit import BackgroundServer, free_port
from framework.state import SQLiteStore
from tests.square_world import TOKEN, edge_square_config

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def test_serve_receives_webhooks_and_stops_on_sigterm(tmp_path: Path):
    square = SquareState(token=TOKEN)
    seed_square(square, 3)
    app = make_app(square)
    fake = BackgroundServer(app).start()
    EdgeFake(tmp_path / "edt").run_cycle()
    port = free_port()
    hook_url = f"http://127.0.0.1:{port}/hooks/square"
    http = httpx.Client(base_url=fake.url, headers={"authorization": f"Bearer {TOKEN}"})
    made = http.post(
        "/v2/webhooks/subscriptions",
        json={"subscription": {"event_types": ["customer.updated"], "notification_url": hook_url}},
    ).json()["subscription"]
    data = edge_square_config(tmp_path)
    data["systems"]["square"].update(
        base_url=fake.url, webhook_signature_key="env:TEST_SQUARE_WEBHOOK_KEY"
    )
    data["serve"] = {"public_url": f"http://127.0.0.1:{port}", "port": port}
    cfg = tmp_path / "syncwright.toml"
    cfg.write_text(tomli_w.dumps(data))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "COLUMNS": "200",
        "TEST_SQUARE_WEBHOOK_KEY": made["signature_key"],
    }
    cli = [sys.executable, "-m", "framework.cli", "-c", str(cfg)]
    proc = subprocess.Popen(
        [*cli, "serve"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "serve did not listen"
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        forged = httpx.post(hook_url, content=b'{"event_id": "x"}', timeout=5)
        assert forged.status_code == 401
        customer = next(iter(square.customers.live()))["id"]
        http.put(f"/v2/customers/{customer}", json={"nickname": "Hooked"}).raise_for_status()
        state = SQLiteStore(tmp_path / "state.db")  # what `status` reads, while serve runs
        try:
            while not any(s.counts["runs"] for s in state.webhook_stats()):
                assert time.monotonic() < deadline + 30, "the notification ran nothing"
                time.sleep(0.1)
        finally:
            state.close()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        app.state.notifier.stop()
        fake.stop()
        http.close()
    assert proc.returncode == 0, err
    assert f"POST http://127.0.0.1:{port}/hooks/square" in out
    assert "stopped on request" in err
    assert "store: poll run" in out, out
    assert "webhook.notifications 1" in next(x for x in out.splitlines() if "webhook run" in x)
    assert made["signature_key"] not in out + err, "the signature key was shown"
    status = subprocess.run(
        [*cli, "status"], capture_output=True, text=True, env=env, timeout=60, check=True
    )
    line = next(x for x in status.stdout.splitlines() if x.startswith("webhooks square"))
    assert "rejected 1" in line
    assert "verified 1" in line
    document = subprocess.run(
        [*cli, "status", "--json"], capture_output=True, text=True, env=env, timeout=60, check=True
    )
    [hooks] = orjson.loads(document.stdout)["webhooks"]
    assert hooks["system"] == "square"
    assert hooks["received"] == 2
    assert hooks["runs"] == 1
