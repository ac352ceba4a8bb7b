"""Nothing answers with a traceback: every command's help, and bad invocations in one line.

The commands are discovered from the typer app, with those other packages register under
``syncwright.commands``, so a new command is covered without touching this file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from framework.cli.app import add_plugin_commands, app
from framework.cli.errors import run_cli


def _command_paths() -> list[list[str]]:
    add_plugin_commands()
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(command: Any, path: list[str]) -> None:
        paths.append(path)
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(root, [])
    return paths


PATHS = _command_paths()


def _run(args: list[str], capfd: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    add_plugin_commands()
    code = run_cli(typer.main.get_command(app), args)
    out, err = capfd.readouterr()
    return code, out, err


def test_the_discovery_sees_plugin_commands_and_subcommands():
    names = {" ".join(p) for p in PATHS}
    assert {"conformance", "scenario run", "fake serve", "problems retry", "check"} <= names


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "syncwright")
def test_every_command_has_a_help_page(path: list[str], capfd):
    code, out, err = _run([*path, "--help"], capfd)
    assert code == 0, err
    assert "Traceback" not in out + err
    assert "Usage" in out
    assert err == ""


def _table(tmp: Path) -> list[tuple[list[str], str]]:
    folder = tmp / "a-folder"
    folder.mkdir()
    bad_toml = tmp / "bad.toml"
    bad_toml.write_text("[systems\n")
    return [
        (["fake", "serve"], "Missing argument"),
        (["fake", "serve", "nosuch"], "no fake named 'nosuch'"),
        (["fake", "serve", "clientbook", "--fault", "429:abc"], "429:abc"),
        (["fake", "serve", "clientbook", "--fault", "{not json"], "not valid JSON"),
        (["fake", "serve", "clientbook", "--fault", "418"], "--fault"),
        (["fake", "serve", "clientbook", "--rate-limit", "many"], "--rate-limit"),
        (["fake", "serve", "clientbook", "--option", "nope=1"], "'nope'"),
        (["fake", "serve", "clientbook", "--option", "novalue"], "KEY=VALUE"),
        (["fake", "serve", "edge", "--port", "9000"], "'port'"),
        (["fake", "serve", "podium", "--option", "tier=gold"], "tier"),
        (["schema", "custmer"], "'custmer'"),
        (["-c", str(folder), "status"], "is a folder"),
        (["-c", str(tmp / "missing.toml"), "status"], "no such configuration file"),
        (["-c", str(bad_toml), "status"], "not valid TOML"),
        (["nosuch"], "No such command"),
        (["run", "--bogus"], "No such option"),
        (["demo", "nosuch"], "no demo named 'nosuch'"),
        (["conformance", "nosuch"], "nosuch"),
        (["scenario", "run", str(tmp / "missing.yaml")], "missing.yaml"),
        (["duplicates", "merge"], "Missing argument"),
        (["--log-format", "xml", "status"], "xml"),
    ]


@pytest.mark.parametrize("case", range(21))
def test_a_bad_invocation_is_one_line_and_exit_2(case: int, tmp_path, capfd):
    table = _table(tmp_path)
    assert len(table) == 21
    args, named = table[case]
    code, out, err = _run(args, capfd)
    assert code == 2, (args, out, err)
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, (args, err)
    assert lines[0].startswith("error:")
    assert named in lines[0], (args, lines[0])


def test_an_unexpected_error_is_one_line_with_a_hint_and_debug_shows_the_traceback(
    monkeypatch, capfd
):
    import framework.cli.app as cli

    def broken(entity: str) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "entity_model", broken)
    code, _, err = _run(["schema", "customer"], capfd)
    assert code == 70
    assert err.strip().splitlines() == [
        "error: unexpected RuntimeError: boom (a bug in syncwright or a plugin; re-run with "
        "--debug for the traceback)"
    ]
    code, _, err = _run(["--debug", "schema", "customer"], capfd)  # masked, like any output
    assert code == 70
    assert "Traceback (most recent call last)" in err
    assert "RuntimeError: boom" in err


def _console(args: list[str], *prelude: str) -> subprocess.CompletedProcess[str]:
    code = "; ".join(
        [
            "import sys",
            *prelude,
            f"sys.argv = ['syncwright', *{args!r}]",
            "from framework.cli.app import main",
            "main()",
        ]
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_fake_serve_help_renders_in_a_real_terminal_run():
    done = _console(["fake", "serve", "--help"])
    assert done.returncode == 0, done.stderr
    assert "[/EVERY]" in done.stdout
    assert "Traceback" not in done.stderr


def test_conformance_without_pytest_says_what_to_install():
    done = _console(
        ["conformance", "edge"], "sys.modules['pytest'] = None", "sys.modules['_pytest'] = None"
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "pip install 'pytest>=8'" in lines[0]


def test_version():
    done = _console(["--version"])
    assert done.returncode == 0
    assert done.stdout.startswith("syncwright 0.1.0")


def test_shell_completion_is_available():
    # Named, not detected: detecting the shell reads the process tree, which a loaded
    # machine under xdist does not always show (typer's own tests switch it off too).
    done = _console(
        ["--show-completion", "bash"],
        "import os",
        "os.environ['_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION'] = '1'",
    )
    assert done.returncode == 0, done.stderr
    assert "complete" in done.stdout
    assert "_SYNCWRIGHT_COMPLETE" in done.stdout
