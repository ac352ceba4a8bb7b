"""The second pair on the command line: plugins, presets, its fakes and its demo."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from fakes.fk import FkDatabase
from framework.cli.app import app

runner = CliRunner()


def test_plugins_lists_the_fk_and_idosell_connectors_and_their_preset():
    result = runner.invoke(app, ["plugins"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    for name in ("fk", "idosell", "fk-idosell"):
        assert f" {name} " in text, name


def test_fake_serve_fk_creates_a_seeded_subiekt_database(tmp_path: Path):
    result = runner.invoke(app, ["fake", "serve", "fk", "--folder", str(tmp_path), "--seed", "12"])
    assert result.exit_code == 0, result.output
    db = FkDatabase(tmp_path / "subiekt.db")
    try:
        assert db.count() == 12
    finally:
        db.close()


def test_demo_fk_idosell_runs_end_to_end():
    result = runner.invoke(app, ["demo", "fk-idosell", "--customers", "40", "--runs", "3"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "initial full upload" in text
    for rule in ("IS-2", "IS-4", "IS-9", "IS-12"):
        assert rule in text, rule
    assert "Jan Kowalski in IdoSell: ul. Nowa 1, jan.kowalski@example.pl" in text, "IS-2"
    assert "a run with nothing changed made 1 IdoSell API call(s)" in text, "IS-6"
    assert "1 open problem(s)" in text, "the IS-4 broken link, reported"
