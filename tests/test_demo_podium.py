"""``syncwright demo edge-podium``: every Podium rule shows in what moved, over real HTTP."""

from __future__ import annotations

from typer.testing import CliRunner

from framework.cli.app import app


def test_demo_shows_the_podium_pair_moving_under_its_rules():
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        app, ["demo", "edge-podium", "--customers", "20", "--runs", "1"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    text = " ".join(result.output.split())
    assert "PD-1: item sync needs Podium's Clientele+ tier" in text
    for entity, rule in (
        ("customer", "PD-2"),
        ("customer", "PD-3"),
        ("product", "PD-6"),
        ("purchase", "PD-4"),
        ("appointment", "PD-5"),
        ("service_job", "PD-5"),
    ):
        assert any(entity in line and rule in line for line in lines), f"no {entity} {rule}"
    assert "open problems: 0" in text
    assert "| Timeless Piece" in text, "Podium's generated title, shown, never downloaded"
