"""The command line: plugins, run, status, problems, fake serve, demo, schema, errors."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from fakes.clientbook import ClientbookState, make_app
from fakes.edge import EdgeFake
from fakes.toolkit import BackgroundServer, free_port
from framework.cli.app import app, main
from framework.cli.fake import parse_fault, parse_rate
from tests.configs import edge_clientbook_toml

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture
def served() -> Iterator[tuple[ClientbookState, str]]:
    state = ClientbookState(api_key="cli-key")
    state.add_associate("as_12", "Maria", "12")
    server = BackgroundServer(make_app(state)).start()
    yield state, server.url
    server.stop()


def config_file(tmp_path: Path, url: str) -> Path:
    return edge_clientbook_toml(tmp_path, url, "cli-key")


def test_plugins_lists_the_bundled_connectors_and_preset():
    result = runner.invoke(app, ["plugins"])
    assert result.exit_code == 0, result.output
    assert "edge" in result.output
    assert "clientbook" in result.output
    assert "syncwright" in result.output
    assert "edge-clientbook" in result.output


def test_run_once_then_status_and_problems(tmp_path, served):
    state, url = served
    edge = EdgeFake(tmp_path / "edt")
    edge.add_customer("Cli", "User", emails=[("Home", "cli@example.com")])
    edge.add_customer("Bad", "Mail", emails=[("Home", "bad@")])
    edge.run_cycle()
    cfg = str(config_file(tmp_path, url))
    result = runner.invoke(app, ["-c", cfg, "run", "--once"])
    assert result.exit_code == 0, result.output
    assert "create → platform" in result.output
    assert "CB-1" in result.output
    assert [c["email"] for c in state.clients.live()] == ["cli@example.com"]
    status = runner.invoke(app, ["-c", cfg, "status"])
    assert status.exit_code == 0
    assert "1 linked records" in status.output
    assert "1 open problem" in status.output
    problems = runner.invoke(app, ["-c", cfg, "problems"])
    assert "invalid e-mail address" in problems.output
    assert "G-5" in problems.output


def test_run_once_exits_nonzero_when_a_system_is_unreachable_and_says_so_once(tmp_path):
    port = free_port()
    cfg = str(config_file(tmp_path, f"http://127.0.0.1:{port}"))
    EdgeFake(tmp_path / "edt").run_cycle()
    result = runner.invoke(app, ["-c", cfg, "run", "--once"])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert f"cannot reach 127.0.0.1:{port}: connection refused" in text
    assert text.count("cannot reach") == 1, "said once, not by the log and the report both"
    assert "gave up after 2 attempts in " in text


def test_errors_are_one_line_with_exit_code_2(tmp_path, monkeypatch, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[systems.x]\nconnector = "nope"\n')
    monkeypatch.setattr(sys, "argv", ["syncwright", "-c", str(bad), "status"])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:")
    assert "systems.x.connector" in err
    assert len(err.splitlines()) == 1


def test_fake_serve_clientbook_on_loopback(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "framework.cli",
            "fake",
            "serve",
            "clientbook",
            "--port",
            str(port),
            "--seed",
            "5",
            "--api-key",
            "k",
            "--fault",
            "503@1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{url}/_fake/health")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "fake did not start"
                time.sleep(0.1)
        auth = {"authorization": "Bearer k"}
        assert httpx.get(f"{url}/v1/clients", headers=auth).status_code == 503, "--fault 503@1"
        body = httpx.get(f"{url}/v1/clients", headers=auth).json()
        assert len(body["data"]) == 5
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_fault_and_rate_options_parse():
    assert parse_fault("429:0.1") == {"kind": "429", "rate": 0.1}
    assert parse_fault("500@3,7") == {"kind": "500", "nth": [3, 7]}
    assert parse_fault("drop/50") == {"kind": "drop", "every": 50}
    assert parse_rate("600/60") == {"requests": 600, "window": 60.0}


def test_demo_runs_end_to_end():
    result = runner.invoke(app, ["demo", "--customers", "40", "--runs", "1"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # whatever the terminal width
    assert "initial full upload" in text
    assert "CB-2" in text
    assert "CB-3" in text
    assert "open problems: 0" in text


def test_schema_exports_the_canonical_model():
    result = runner.invoke(app, ["schema", "customer"])
    assert result.exit_code == 0
    assert '"emails"' in result.output
    assert '"acquisition"' in result.output
