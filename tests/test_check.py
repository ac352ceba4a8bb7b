"""``syncwright check``: every system reached, one line each, exit 0 only when all are ok."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fakes.clientbook import ClientbookState, make_app
from fakes.edge import EdgeFake
from fakes.fk import seeded
from fakes.idosell import PREFIX, IdoSellState
from fakes.idosell import make_app as idosell_app
from fakes.toolkit import BackgroundServer, free_port
from framework.check import check_systems
from framework.cli.app import app
from framework.config import load_config, parse_config
from framework.facade import Hooks
from framework.models import SystemCheck, SystemContext
from framework.plugin_manager import get_plugin_manager
from plugins.clientbook import ClientbookConnector
from plugins.edge import plugin as edge_plugin
from tests.configs import edge_clientbook_toml

runner = CliRunner(env={"COLUMNS": "80"})


@pytest.fixture
def clientbook() -> Iterator[str]:
    server = BackgroundServer(make_app(ClientbookState(api_key="check-key"))).start()
    yield server.url
    server.stop()


def lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


def test_every_system_ok_exits_0_one_line_each(tmp_path: Path, clientbook: str):
    EdgeFake(tmp_path / "edt").run_cycle()
    cfg = edge_clientbook_toml(tmp_path, clientbook, "check-key")
    result = runner.invoke(app, ["-c", str(cfg), "check"])
    assert result.exit_code == 0, result.output
    out = lines(result.output)
    assert out[0] == f"configuration {cfg}: ok"
    assert out[1].startswith(f"ok   edge (edge): folder {tmp_path / 'edt' / '1001'}")
    assert out[2].startswith("ok   clientbook (clientbook): reached: read ")
    assert len(out) == 3
    assert not (tmp_path / "state.db").exists(), "a check opens no state, writes nothing"


def test_bad_credentials_are_named_and_exit_1(tmp_path: Path, clientbook: str):
    EdgeFake(tmp_path / "edt").run_cycle()
    cfg = edge_clientbook_toml(tmp_path, clientbook, "wrong-key")
    result = runner.invoke(app, ["-c", str(cfg), "check"])
    assert result.exit_code == 1
    out = lines(result.output)
    assert out[1].startswith("ok   edge")
    assert out[2].startswith("FAIL clientbook (clientbook): ")
    assert "401" in out[2]
    assert "wrong-key" not in result.output
    assert out[3] == "1 of 2 system(s) not ok"


def test_an_unreachable_base_url_names_host_port_and_how(tmp_path: Path):
    EdgeFake(tmp_path / "edt").run_cycle()
    port = free_port()
    cfg = edge_clientbook_toml(tmp_path, f"http://127.0.0.1:{port}", "k")
    result = runner.invoke(app, ["-c", str(cfg), "check"])
    assert result.exit_code == 1
    [line] = [x for x in lines(result.output) if x.startswith("FAIL")]
    assert line == (
        f"FAIL clientbook (clientbook): clientbook: cannot reach 127.0.0.1:{port}: "
        "connection refused (nothing listens there)"
    )


def test_an_edge_folder_without_the_store_is_named(tmp_path: Path, clientbook: str):
    cfg = edge_clientbook_toml(tmp_path, clientbook, "check-key")  # edt/ exists, 1001/ not
    result = runner.invoke(app, ["-c", str(cfg), "check"])
    assert result.exit_code == 1
    [line] = [x for x in lines(result.output) if x.startswith("FAIL")]
    assert line.startswith(f"FAIL edge (edge): no folder {tmp_path / 'edt' / '1001'}")
    assert "store_license_id" in line


def _fk_idosell(tmp: Path, url: str, db: str = "fk.db") -> Path:
    path = tmp / "syncwright.toml"
    path.write_text(f"""
[systems.fk]
connector = "fk"
url = "sqlite:///{db}"
[systems.shop]
connector = "idosell"
base_url = "{url}{PREFIX}"
api_key = "ido-key"
[pairs.store]
preset = "fk-idosell"
pos = "fk"
platform = "shop"
default_associate = "1"
""")
    return path


def test_fk_database_and_idosell_shop(tmp_path: Path):
    seeded(tmp_path / "fk.db", n=3).close()
    (tmp_path / "broken.db").write_bytes(b"this is not a database" * 100)
    server = BackgroundServer(idosell_app(IdoSellState(api_key="ido-key")), date_header=False)
    server.start()
    try:
        good = runner.invoke(app, ["-c", str(_fk_idosell(tmp_path, server.url)), "check"])
        assert good.exit_code == 0, good.output
        assert lines(good.output)[1].startswith("ok   fk (fk): reached: read 1 customer")
        bad = runner.invoke(
            app, ["-c", str(_fk_idosell(tmp_path, server.url, "broken.db")), "check"]
        )
    finally:
        server.stop()
    assert bad.exit_code == 1
    assert lines(bad.output)[1].startswith("FAIL fk (fk): fk: ")
    assert "not a database" in lines(bad.output)[1]


def test_a_third_party_connector_takes_part_through_the_hook(tmp_path: Path, clientbook: str):
    class Checked(ClientbookConnector):
        def check(self, system: SystemContext) -> SystemCheck:
            return SystemCheck(ok=False, detail=f"{system.name}: the plan has no API access")

    EdgeFake(tmp_path / "edt").run_cycle()
    pm = get_plugin_manager(entry_points=False)
    pm.register(edge_plugin, name="edge")
    pm.register(Checked(), name="clientbook")
    config, hooks = load_config(edge_clientbook_toml(tmp_path, clientbook, "k"), Hooks(pm))
    found = {c.name: c.check for c in check_systems(config, hooks)}
    assert found["edge"].ok
    assert found["clientbook"] == SystemCheck(
        ok=False, detail="clientbook: the plan has no API access"
    )


def test_a_connector_bug_is_one_line_for_its_system_only(tmp_path: Path):
    class Broken(ClientbookConnector):
        def check(self, system: SystemContext) -> SystemCheck:
            raise KeyError("oops")

    (tmp_path / "edt").mkdir()
    EdgeFake(tmp_path / "edt").run_cycle()
    pm = get_plugin_manager(entry_points=False)
    pm.register(edge_plugin, name="edge")
    pm.register(Broken(), name="clientbook")
    data = {
        "systems": {
            "edge": {"connector": "edge", "folder": "edt", "store_license_id": "1001"},
            "clientbook": {"connector": "clientbook", "base_url": "http://x.test"},
        }
    }
    config, hooks = parse_config(data, source="t", base_dir=tmp_path, hooks=Hooks(pm))
    found = {c.name: c.check for c in check_systems(config, hooks)}
    assert found["edge"].ok
    assert found["clientbook"] == SystemCheck(ok=False, detail="unexpected KeyError: 'oops'")
