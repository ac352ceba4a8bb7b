"""The demo shows every Edge <-> Clientbook entity moving, with the rule behind each move."""

from __future__ import annotations

from typer.testing import CliRunner

from framework.cli.app import app


def test_demo_shows_every_entity_moving_under_its_rule():
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        app, ["demo", "--customers", "40", "--runs", "1"]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    for entity, rule in (
        ("product", "CB-10"),
        ("wish", "CB-6"),
        ("note", "CB-7"),
        ("purchase", "CB-8"),
        ("service_job", "CB-8"),
        ("message", "CB-9"),
        ("sms_notification", "CB-12"),
    ):
        assert any(entity in line and rule in line for line in result.output.splitlines()), (
            f"no {entity} move under {rule}"
        )
    assert "open problems: 0" in text
    assert "other collections never move" in text
