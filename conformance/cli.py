"""``syncwright conformance`` and ``syncwright scenario``: the suite from the command line.

Both are typer apps registered under the ``syncwright.commands`` entry-point group, so the
framework's CLI gains them without importing this package.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console

from framework.cli.tables import Column, fitted_table
from framework.errors import SyncwrightError

console = Console()

conformance_app = typer.Typer(
    help="Run the conformance suite on connectors (all declared ones, or those named).",
    invoke_without_command=True,
    add_completion=False,
    context_settings={"allow_interspersed_args": True},  # `conformance edge -k echo`
)
scenario_app = typer.Typer(
    help="Declarative scenarios: run them, list the bundled ones, print the format's schema.",
    no_args_is_help=True,
    add_completion=False,
)


@conformance_app.callback()
def conformance(
    names: Annotated[
        list[str] | None, typer.Argument(help="Subjects to test (default: every one).")
    ] = None,
    list_only: Annotated[bool, typer.Option("--list", help="List the subjects.")] = False,
    keyword: Annotated[
        str | None, typer.Option("-k", help="Only checks matching this pytest expression.")
    ] = None,
    exitfirst: Annotated[bool, typer.Option("-x", help="Stop at the first failure.")] = False,
) -> None:
    """Run the suite (pytest) on the subjects declared under ``syncwright.conformance``."""
    from conformance.subject import load_subjects

    try:
        subjects = load_subjects(names or None)
    except LookupError as exc:
        raise SyncwrightError(str(exc)) from None
    if list_only:
        rows = [[subject.label, subject.connector] for subject in subjects]
        title = "conformance subjects (entry-point group syncwright.conformance)"
        columns = [Column("subject"), Column("connector")]
        console.print(fitted_table(title, columns, rows, console.width))
        return
    try:
        import pytest
    except ImportError:
        raise SyncwrightError(
            "syncwright conformance runs the suite with pytest, which is not installed: "
            "pip install 'pytest>=8' (or install syncwright with its [conformance] extra)"
        ) from None

    args = [str(Path(__file__).with_name("suite.py")), "--syncwright-conformance", "-q"]
    args += ["-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    for name in names or []:
        args += ["--syncwright-subject", name]
    if keyword:
        args += ["-k", keyword]
    if exitfirst:
        args.append("-x")
    raise typer.Exit(int(pytest.main(args)))


@scenario_app.command("run")
def scenario_run(
    files: Annotated[
        list[str], typer.Argument(help="Scenario files (YAML or JSON), or bundled names.")
    ],
) -> None:
    """Play scenarios against the fakes through the real engine; exit 1 if one fails."""
    from conformance.scenarios import bundled_scenarios, load
    from conformance.scenarios.runner import run_scenario

    bundled = {s.name: s for s in bundled_scenarios()}
    failed = 0
    for name in files:
        scenario = bundled[name] if name in bundled and not Path(name).exists() else load(name)
        with tempfile.TemporaryDirectory(prefix="syncwright-scenario-") as tmp:
            failures = run_scenario(scenario, Path(tmp))
        rules = ", ".join(scenario.rules)
        if failures:
            failed += 1
            console.print(f"[red]FAIL[/red] {scenario.name} ({rules})")
            for failure in failures:
                console.print(f"  {failure}", markup=False, highlight=False)
        else:
            console.print(f"[green]pass[/green] {scenario.name} ({rules})")
    if failed:
        raise typer.Exit(1)


@scenario_app.command("list")
def scenario_list() -> None:
    """The bundled scenarios: the examples of the source documents."""
    from conformance.scenarios import bundled_scenarios

    rows = []
    for s in bundled_scenarios():
        pos, platform = (", ".join(s.subjects_on(side)) or "?" for side in ("pos", "platform"))
        rows.append([s.name, ", ".join(s.rules), pos, platform, s.summary.split(". ")[0]])
    columns = [
        Column("scenario"),
        Column("rules"),
        Column("pos", optional=True),
        Column("platform", optional=True),
        Column("summary", optional=True),
    ]
    title = "bundled scenarios (syncwright scenario run NAME)"
    console.print(fitted_table(title, columns, rows, console.width))


@scenario_app.command("schema")
def scenario_schema() -> None:
    """Print the JSON Schema of the scenario format."""
    from conformance.scenarios import schema

    typer.echo(orjson.dumps(schema(), option=orjson.OPT_INDENT_2).decode())
