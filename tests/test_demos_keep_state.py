"""Demos keep their state in a folder they name, and name only commands that exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from framework.cli.app import add_plugin_commands, app

runner = CliRunner(env={"COLUMNS": "250"})
DEMOS = ["edge-clientbook", "edge-square", "edge-podium", "fk-idosell"]


def _command(args: list[str]) -> tuple[Any, list[str]]:
    """The command an argument list names (with its options), or fail naming the words."""
    add_plugin_commands()
    command: Any = typer.main.get_command(app)
    rest = list(args)
    while rest and rest[0] in getattr(command, "commands", {}):
        command = command.commands[rest.pop(0)]
    if getattr(command, "commands", None):
        assert command.invoke_without_command, f"{args}: a group, not a command"
    return command, rest


def assert_valid(line: str) -> None:
    """Every option a hinted command line uses is one its command takes."""
    words = shlex.split(line)
    words = words[words.index("syncwright") + 1 :]
    options: set[str] = set()
    root = typer.main.get_command(app)
    for param in root.params:
        options.update(param.opts)
        if words and words[0] in param.opts:  # a root option (and its value) first
            flag = getattr(param, "is_flag", False) or getattr(param, "count", False)
            words = words[1:] if flag else words[2:]
    if not words:
        return  # root options alone: --version
    command, rest = _command(words)
    for param in command.params:
        options.update(param.opts)
    for word in rest:
        if word.startswith("--"):
            assert word in options, f"{line}: {word} is not an option of {command.name}"


@pytest.mark.parametrize("name", DEMOS)
def test_a_demo_names_its_folder_and_the_commands_that_look_at_it(name: str, tmp_path: Path):
    folder = tmp_path / "demo"
    result = runner.invoke(
        app, ["demo", name, "--customers", "30", "--runs", "1", "--folder", str(folder)]
    )
    assert result.exit_code == 0, result.output
    assert f"The demo's state is kept in {folder}" in result.output
    hinted = re.findall(r"^\s+(syncwright -c \S+ .+)$", result.output, flags=re.M)
    assert len(hinted) >= 3
    for line in hinted:
        assert_valid(line)
        args = shlex.split(line)[1:]
        done = runner.invoke(app, args)
        assert done.exit_code == 0, (line, done.output)
        # What those commands print (problems' hints) names commands that exist, too.
        for mention in re.findall(r"syncwright [a-z][^;)`\n]*", done.output):
            assert_valid(mention)
        assert "link it again" not in done.output, "there is no link command"
    for mention in re.findall(r"`(syncwright [^`]+)`", result.output):
        assert_valid(mention)
    assert (folder / "syncwright.toml").exists()


def test_a_duplicate_left_by_a_merge_is_reported_with_the_command_that_merges_it(
    tmp_path: Path,
):
    folder = tmp_path / "demo"
    result = runner.invoke(
        app, ["demo", "edge-square", "--customers", "30", "--runs", "1", "--folder", str(folder)]
    )
    assert result.exit_code == 0, result.output
    problems = runner.invoke(app, ["-c", str(folder / "syncwright.toml"), "problems"])
    duplicates = [line for line in problems.output.splitlines() if "duplicates" in line]
    assert duplicates, problems.output  # each duplicate names the command that merges it
    for line in duplicates:
        assert "merge them: syncwright duplicates merge " in line
        assert_valid(line[line.index("syncwright") :].rstrip(")"))


def test_a_demo_refuses_a_folder_that_is_not_empty(tmp_path: Path):
    (tmp_path / "x").write_text("mine")
    result = runner.invoke(app, ["demo", "--folder", str(tmp_path)])
    assert result.exit_code != 0
    assert (tmp_path / "x").read_text() == "mine"
