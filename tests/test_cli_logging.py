"""What ``-v``, ``-vv``, ``--log-format json`` and ``--log-file`` show, from a real run."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from fakes.clientbook import ClientbookState, make_app
from fakes.edge import EdgeFake
from fakes.toolkit import BackgroundServer, free_port
from tests.configs import edge_clientbook_toml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def config(tmp_path: Path) -> Iterator[Path]:
    state = ClientbookState(api_key="log-key")
    state.add_associate("as_12", "Maria", "12")
    server = BackgroundServer(make_app(state)).start()
    edge = EdgeFake(tmp_path / "edt")
    edge.add_customer("Log", "Line", emails=[("Home", "log@example.com")])
    edge.run_cycle()
    yield edge_clientbook_toml(tmp_path, server.url, "log-key")
    server.stop()


def syncwright(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "framework.cli", "-c", str(cfg), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_v_shows_syncwright_loggers_not_http_internals(config: Path):
    done = syncwright(config, "-v", "run", "--once")
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stderr.split())
    assert "store: run 1 started" in text, "what the sync does, at INFO"
    assert "read 1 customer record(s) from edge" in text
    assert "clientbook: POST /v1/clients -> 20" in text, "its own calls, at DEBUG"
    assert "httpcore" not in done.stderr
    assert "HTTP Request" not in done.stderr
    assert "connect_tcp" not in done.stderr


def test_vv_adds_third_party_debug(config: Path):
    done = syncwright(config, "-vv", "run", "--once")
    assert done.returncode == 0, done.stderr
    assert "HTTP Request" in done.stderr or "connect_tcp" in done.stderr


def test_quiet_by_default(config: Path):
    done = syncwright(config, "run", "--once")
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == ""


def test_json_logs_and_a_log_file(tmp_path: Path):
    edge = EdgeFake(tmp_path / "edt")
    edge.run_cycle()
    port = free_port()
    cfg = edge_clientbook_toml(tmp_path, f"http://127.0.0.1:{port}", "log-key")
    log = tmp_path / "sync.log"
    done = syncwright(cfg, "--log-format", "json", "--log-file", str(log), "run", "--once")
    assert done.returncode == 1
    records = [orjson.loads(line) for line in done.stderr.splitlines() if line.strip()]
    assert records, "the error is logged"
    errors = [r for r in records if r["level"] == "ERROR"]
    assert any(f"cannot reach 127.0.0.1:{port}" in r["message"] for r in errors)
    for record in records:
        assert {"time", "level", "logger", "message"} <= record.keys()
    in_file = [orjson.loads(line) for line in log.read_text().splitlines()]
    assert [r["message"] for r in in_file] == [r["message"] for r in records]
    assert "log-key" not in log.read_text()
