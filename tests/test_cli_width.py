"""At 80 columns nothing a user types next is cut: no ellipsis, no line past the edge."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from conformance.scenarios import bundled_scenarios
from fakes.edge import EdgeFake
from fakes.square import SquareState, make_app
from fakes.toolkit import BackgroundServer
from tests.test_cli_duplicates import config_file

ROOT = Path(__file__).resolve().parent.parent
BOX = set("│┃┏┓┗┛┡┩└┘━─╇┳┻")


def syncwright(*args: str) -> str:
    """Run a command at 80 columns; unless it prints JSON, check no line is cut or too long."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80"}
    done = subprocess.run(
        [sys.executable, "-m", "framework.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    if "--json" in args:
        return done.stdout
    for line in done.stdout.splitlines():
        if set(line) & BOX:  # a table's line: cropped at the edge if wider (plain lines wrap)
            assert len(line) <= 80, f"past 80 columns: {line!r}"
        assert "…" not in line, f"cut: {line!r}"
    return done.stdout


def test_scenario_names_are_whole():
    out = syncwright("scenario", "list")
    for scenario in bundled_scenarios():
        assert scenario.name in out


def test_connector_distribution_preset_and_entity_names_are_whole():
    out = syncwright("plugins")
    doc = orjson.loads(syncwright("plugins", "--json"))
    words = set(out.replace(",", " ").split())
    for connector in doc["connectors"]:
        assert connector["name"] in words
        assert connector["distribution"] in words
        for entity in connector["entities"]:
            assert entity in words, entity
    for preset in doc["presets"]:
        assert preset["name"] in words


def test_fake_options_and_conformance_subjects_are_whole():
    out = syncwright("fake", "list")
    assert "queue_delay" in out
    assert "store_license_id" in out
    out = syncwright("conformance", "--list")
    assert "fk-wf-mag" in out
    assert "fk-generic" in out


@pytest.fixture
def square_store(tmp_path: Path) -> Iterator[Path]:
    state = SquareState(token="cli-token")
    for n, first in enumerate(["Noa", "Ivo", "Mara"]):
        state.create_customer(
            {"given_name": first, "family_name": "Long", "email_address": f"{first}@x.example"},
            "DIRECTORY",
        )
        state.create_customer(
            {
                "given_name": first,
                "family_name": "Long",
                "email_address": f"{first.upper()}@x.example",
                "phone_number": f"+1217555{n:04d}",
            },
            "APPOINTMENTS",
        )
    server = BackgroundServer(make_app(state)).start()
    edge = EdgeFake(tmp_path / "edt")
    edge.add_customer("Edge", "Person", emails=[("Home", "edge.person@x.example")])
    edge.run_cycle()
    yield config_file(tmp_path, server.url)
    server.stop()


def whole(word: str, text: str) -> bool:
    """``word`` appears in ``text`` whole (not as part of a longer id)."""
    return re.search(rf"(?<![\w~-]){re.escape(word)}(?![\w-])", text) is not None


def test_record_ids_are_whole_in_runs_moves_duplicates_status_and_find(square_store: Path):
    cfg = str(square_store)
    moves = syncwright("-c", cfg, "run", "--once")
    found = orjson.loads(syncwright("-c", cfg, "find", "Long", "--json"))
    assert found["results"]
    shown = syncwright("-c", cfg, "find", "Long")
    problems = syncwright("-c", cfg, "problems")
    for result in found["results"]:
        assert whole(result["id"], shown)
        if result["id"].startswith("~"):  # a create not yet imported shows as "(new)"
            pass
        elif result["linked_to"] is not None:
            assert whole(result["id"], moves), "the run's moves name each record whole"
        else:  # a duplicate of a linked record: reported (G-3), never moved
            assert whole(result["id"], problems), "problems name each record whole"
        linked = result["linked_to"]
        if linked and not linked["id"].startswith("~"):  # ~: its id is not assigned yet
            assert whole(linked["id"], shown)
    duplicates = orjson.loads(syncwright("-c", cfg, "duplicates", "--json"))
    ids = {r["id"] for g in duplicates["groups"] for r in g["records"]}
    assert ids
    listed = syncwright("-c", cfg, "duplicates")
    for record in ids:
        assert whole(record, listed), record
    status = syncwright("-c", cfg, "status")
    assert " store " in status


def test_a_table_too_wide_drops_optional_columns_then_becomes_paragraphs():
    from rich.console import Console

    from framework.cli.tables import Column, fitted_table

    def shown(long_id: str, width: int) -> str:
        columns = [Column("what"), Column("rule"), Column("note", optional=True), Column("id")]
        rows = [["appointment create → platform", "PD-5", "a few words of note", long_id]]
        console = Console(width=width, record=True)
        console.print(fitted_table("moves", columns, rows, width))
        return console.export_text()

    long_id = "sw-store-appointment-d0381a79501147068d1a85da825f8e99"
    text = shown(long_id, 80)
    assert long_id in text
    assert "│" in text, "still a table"
    assert "note" not in text.split("(too narrow")[0], "the optional column went first"
    assert "too narrow for: note" in text
    longer = long_id + "-and-then-some-more"
    text = shown(longer, 80)
    assert longer in text, "whole, in a paragraph"
    assert "rule: PD-5" in text
    wide = shown(long_id, 200)
    assert "a few words of note" in wide
    assert "│" in wide
