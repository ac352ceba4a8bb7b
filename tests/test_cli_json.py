"""``--json``: each command's document parses, carries its version and kind, and every field
it holds is documented in docs/json-output.md."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from fakes.clientbook import ClientbookState, make_app
from fakes.edge import EdgeFake
from fakes.toolkit import BackgroundServer
from framework.cli.app import app
from framework.cli.output import VERSION
from tests.configs import edge_clientbook_toml

runner = CliRunner(env={"COLUMNS": "80"})
DOC = (Path(__file__).parent.parent / "docs" / "json-output.md").read_text()
DOCUMENTED = set(re.findall(r"`([a-z_]+)`", DOC))


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("json")
    state = ClientbookState(api_key="json-key")
    state.add_associate("as_12", "Maria", "12")
    server = BackgroundServer(make_app(state)).start()
    edge = EdgeFake(tmp / "edt")
    edge.add_customer("Ann", "Twice", emails=[("Home", "ann@example.com")])
    edge.add_customer("Ann", "Again", emails=[("Home", "ANN@example.com")])
    edge.add_customer("Bad", "Mail", emails=[("Home", "bad@")])
    edge.add_customer("Cal", "Linked", emails=[("Home", "cal@example.com")])
    edge.run_cycle()
    cfg = edge_clientbook_toml(tmp, server.url, "json-key")
    result = runner.invoke(app, ["-c", str(cfg), "run", "--once", "--json"])
    (tmp / "run.json").write_text(result.stdout)
    yield cfg
    server.stop()


def document(args: list[str], kind: str) -> dict[str, Any]:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, "one document on one line, nothing else on standard output"
    doc: dict[str, Any] = orjson.loads(lines[0])
    assert doc["version"] == VERSION
    assert doc["kind"] == kind
    undocumented = _keys(doc) - DOCUMENTED
    assert not undocumented, f"not in docs/json-output.md: {sorted(undocumented)}"
    return doc


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {k for k in value if k.isidentifier()}
        for k, v in value.items():
            # maps by entity.action / system.outcome, and records' own values (history, shadows)
            if k not in ("counts", "calls", "summary", "old", "new", "shadow"):
                found |= _keys(v)
        return found
    if isinstance(value, list):
        return set().union(*(_keys(v) for v in value)) if value else set()
    return set()


def test_run_json(synced: Path):
    text = (synced.parent / "run.json").read_text()
    [line] = text.strip().splitlines()
    doc = orjson.loads(line)
    assert doc["version"] == VERSION
    assert doc["kind"] == "run"
    [report] = doc["reports"]
    assert report["pair"] == "store"
    assert report["counts"]["customer.create.platform"] >= 1
    assert any(m["rules"] for m in report["moves"])
    assert not _keys(doc) - DOCUMENTED


def test_status_json(synced: Path):
    doc = document(["-c", str(synced), "status", "--json"], "status")
    assert doc["runs"][0]["pair"] == "store"
    assert doc["pairs"][0]["name"] == "store"
    assert doc["open_problems"] >= 1


def test_problems_json(synced: Path):
    doc = document(["-c", str(synced), "problems", "--json"], "problems")
    assert any(p["rule"] == "G-5" and "e-mail" in p["reason"] for p in doc["problems"])


def test_find_json_says_what_each_result_is_linked_to(synced: Path):
    doc = document(["-c", str(synced), "find", "cal@example.com", "--json"], "find")
    by_side = {r["side"]: r for r in doc["results"]}
    assert by_side["pos"]["linked_to"]["system"] == "clientbook"
    assert by_side["pos"]["linked_to"]["id"] == by_side["platform"]["id"]
    assert by_side["platform"]["linked_to"]["id"] == by_side["pos"]["id"]


def test_find_text_says_what_each_result_is_linked_to(synced: Path):
    result = runner.invoke(app, ["-c", str(synced), "find", "cal@example.com"])
    assert result.exit_code == 0
    pos = next(line for line in result.stdout.splitlines() if line.startswith("edge (pos)"))
    assert "| linked to clientbook " in pos


def test_duplicates_json(synced: Path):
    doc = document(["-c", str(synced), "duplicates", "--json"], "duplicates")
    [group] = [g for g in doc["groups"] if g["side"] == "pos"]
    assert len(group["records"]) == 2
    assert {r["id"] for r in group["records"]} <= set(group["merge"].split())
    assert group["merge"].startswith("syncwright duplicates merge ")


def test_plugins_json():
    doc = document(["plugins", "--json"], "plugins")
    names = {c["name"] for c in doc["connectors"]}
    assert {"edge", "clientbook", "fk", "idosell", "podium", "square"} <= names
    assert "edge-clientbook" in {p["name"] for p in doc["presets"]}


def test_plan_json_writes_nothing(synced: Path):
    before = document(["-c", str(synced), "status", "--json"], "status")["pairs"]
    doc = document(["-c", str(synced), "plan", "--details", "--json"], "plan")
    [plan] = doc["plans"]
    assert plan["pair"] == "store"
    assert plan["errors"] == []
    assert "moves" in plan
    assert "changes" in plan
    assert document(["-c", str(synced), "status", "--json"], "status")["pairs"] == before


def test_history_and_link_show_json(synced: Path):
    doc = document(["-c", str(synced), "history", "cal@example.com", "--json"], "history")
    assert doc["record"]["ids"][0]
    assert doc["entries"][-1]["action"] in ("create", "link")
    shown = document(["-c", str(synced), "link", "show", "cal@example.com", "--json"], "link_show")
    assert shown["linked"] is True
    assert shown["status"] == "ok"


def test_plan_text_says_what_a_run_would_do(synced: Path):
    result = runner.invoke(app, ["-c", str(synced), "plan", "--details"])
    assert result.exit_code == 0, result.output
    assert "pair store: a run would" in result.stdout
    assert "nothing was written to any system; no cursor moved" in result.stdout
