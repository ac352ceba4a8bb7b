"""The service recipes in examples/service/ (docs/service.md) start commands that work, and
their settings match what the command does: exit codes, SIGTERM, one run at a time."""

from __future__ import annotations

import configparser
import os
import shutil
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.clientbook import ClientbookState, make_app
from fakes.edge import EdgeFake
from fakes.toolkit import BackgroundServer
from framework.cli.errors import USAGE
from tests.configs import edge_clientbook_toml

ROOT = Path(__file__).resolve().parent.parent
SERVICE = ROOT / "examples" / "service"
TASK_NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Path]:
    state = ClientbookState(api_key="svc-key")
    server = BackgroundServer(make_app(state)).start()
    edge = EdgeFake(tmp_path / "edt")
    edge.add_customer("Ser", "Vice", emails=[("Home", "ser.vice@example.com")])
    edge.run_cycle()
    yield edge_clientbook_toml(tmp_path, server.url, "svc-key")
    server.stop()


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(SERVICE / "syncwright.service")
    return parser


def command(words: list[str], config: Path, log: Path | None = None) -> list[str]:
    """The recipe's command, run here: this Python, this checkout, a test configuration."""
    assert Path(words[0].replace("\\", "/")).stem == "syncwright", words[0]
    args = words[1:]
    args[args.index("-c") + 1] = str(config)
    if "--log-file" in args:
        assert log is not None
        args[args.index("--log-file") + 1] = str(log)
    return [sys.executable, "-m", "framework.cli", *args]


def spawn(cmd: list[str]) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


@pytest.mark.skipif(sys.platform == "win32", reason="systemd")
def test_the_systemd_unit_runs_syncwright_and_stops_it_cleanly(store: Path):
    service = unit()["Service"]
    assert service["Restart"] == "on-failure"
    assert int(service["RestartSec"]) > 0
    assert service["KillSignal"] == "SIGTERM"
    assert int(service["TimeoutStopSec"]) >= 60, "time to finish the record in hand"
    assert service["RestartPreventExitStatus"] == str(USAGE), "a bad configuration: no restart"
    words = service["ExecStart"].split()
    assert words[-1] == "run", "runs every pair on its interval until stopped"
    proc = spawn(command(words, store))
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("next run in"):
                break
        proc.send_signal(getattr(signal, service["KillSignal"]))
        _, err = proc.communicate(timeout=int(service["TimeoutStopSec"]))
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, "a clean stop, which Restart=on-failure does not restart"
    assert '"level": "WARNING"' in err, "--log-format json: the journal gets JSON"


def test_a_bad_configuration_exits_with_the_status_the_unit_does_not_restart(tmp_path: Path):
    words = unit()["Service"]["ExecStart"].split()
    bad = tmp_path / "syncwright.toml"
    bad.write_text("[systems.x]\nconnector = 'nope'\n")
    proc = spawn(command(words, bad))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == USAGE
    assert len(err.strip().splitlines()) == 1


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_accepts_the_unit(tmp_path: Path):
    installed = Path(sys.executable).parent / "syncwright"  # this environment's command
    text = (SERVICE / "syncwright.service").read_text()
    copy = tmp_path / "syncwright.service"
    copy.write_text(text.replace("/srv/syncwright/.venv/bin/syncwright", str(installed)))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_the_windows_task_runs_once_every_15_minutes_never_twice_at_once(
    store: Path, tmp_path: Path
):
    task = ET.parse(SERVICE / "syncwright-task.xml").getroot()
    settings = task.find("t:Settings", TASK_NS)
    assert settings is not None
    assert settings.findtext("t:MultipleInstancesPolicy", namespaces=TASK_NS) == "IgnoreNew"
    interval = task.findtext(".//t:Repetition/t:Interval", namespaces=TASK_NS)
    assert interval == "PT15M"
    exe = task.find(".//t:Exec", TASK_NS)
    assert exe is not None
    words = [exe.findtext("t:Command", namespaces=TASK_NS) or ""]
    words += (exe.findtext("t:Arguments", namespaces=TASK_NS) or "").split()
    assert words[-2:] == ["run", "--once"]
    log = tmp_path / "syncwright.log"
    proc = spawn(command(words, store, log))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "create → platform" in out
    assert log.exists(), "--log-file: Task Scheduler shows no output, the file keeps it"
