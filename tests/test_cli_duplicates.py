"""``syncwright duplicates``, ``duplicates merge`` and ``find`` against a served fake Square."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fakes.square import SquareState, make_app
from fakes.toolkit import BackgroundServer
from framework.cli.app import app

runner = CliRunner(env={"COLUMNS": "250"})


@pytest.fixture
def square() -> Iterator[tuple[SquareState, str]]:
    state = SquareState(token="cli-token")
    server = BackgroundServer(make_app(state)).start()
    yield state, server.url
    server.stop()


def config_file(tmp_path: Path, url: str) -> Path:
    (tmp_path / "edt").mkdir(exist_ok=True)
    path = tmp_path / "syncwright.toml"
    path.write_text(f"""
[state]
path = "state.db"
[engine]
retry_attempts = 2
retry_initial_wait = 0.01
[systems.edge]
connector = "edge"
folder = "edt"
store_license_id = "1001"
settle_seconds = 0
[systems.square]
connector = "square"
base_url = "{url}"
api_key = "cli-token"
[pairs.store]
preset = "edge-square"
pos = "edge"
platform = "square"
default_associate = "1"
""")
    return path


@pytest.mark.rule("SQ-2", "SQ-3")
def test_duplicates_listed_merged_only_on_request_and_found(tmp_path, square):
    state, url = square
    a = state.create_customer(
        {"given_name": "Noa", "family_name": "Twice", "email_address": "noa@example.com"},
        "DIRECTORY",
    )
    b = state.create_customer(
        {
            "given_name": "Noa",
            "family_name": "Twice",
            "email_address": "NOA@example.com",
            "phone_number": "+12175550155",
        },
        "APPOINTMENTS",
    )
    cfg = str(config_file(tmp_path, url))
    assert runner.invoke(app, ["-c", cfg, "run", "--once"]).exit_code == 0

    listed = runner.invoke(app, ["-c", cfg, "duplicates", "--side", "platform"])
    assert listed.exit_code == 0, listed.output
    assert a["id"] in listed.output
    assert b["id"] in listed.output
    assert "nothing merged" in listed.output

    refused = runner.invoke(app, ["-c", cfg, "duplicates", "merge", a["id"], b["id"]], input="n\n")
    assert refused.exit_code == 1
    assert len(list(state.customers.live())) == 2, "no merge without a yes"

    merged = runner.invoke(app, ["-c", cfg, "duplicates", "merge", a["id"], b["id"], "--yes"])
    assert merged.exit_code == 0, merged.output
    assert [c["id"] for c in state.customers.live()] == [a["id"]]
    assert "bookings_moved" in merged.output
    # The report says where each value of both went (SQ-2).
    assert "where the survivor keeps it" in merged.output
    rows = [line for line in merged.output.splitlines() if b["id"] in line]
    assert any("+12175550155" in r and "phone_number" in r for r in rows), merged.output
    assert any("NOA@example.com" in r and "email_address" in r for r in rows), merged.output
    history = runner.invoke(app, ["-c", cfg, "duplicates", "history"])
    assert b["id"] in history.output

    # B was reported as a duplicate of A (G-3), never copied to Edge: the phone it had is
    # the survivor's now, and the next run reads it there.
    assert runner.invoke(app, ["-c", cfg, "run", "--once"]).exit_code == 0
    found = runner.invoke(app, ["-c", cfg, "find", "(217) 555-0155"])
    assert found.exit_code == 0, found.output
    assert "Noa Twice" in found.output
    by_name = runner.invoke(app, ["-c", cfg, "find", "twice"])
    assert a["id"] in by_name.output
    assert f"(platform) {b['id']}:" not in by_name.output, "a merged-away record is not found"
    assert f"linked to square {a['id']}" in by_name.output, "Edge's record is the survivor's"
