"""The ``syncwright`` command line (typer + rich).

Fakes and demos are found through the entry-point groups ``syncwright.fakes`` and
``syncwright.demos``, so this module never imports ``fakes/`` by name.
"""

from __future__ import annotations

import importlib.metadata
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console

from framework.cli import operate, output, render
from framework.cli.check import check
from framework.cli.console import console_app
from framework.cli.duplicates import JsonOption, duplicates_app, find_command
from framework.cli.errors import run_cli
from framework.cli.fake import fake_app
from framework.cli.fleet import fleet_app, worker
from framework.cli.logs import LogFormat, setup_logging
from framework.cli.problems import problems_app
from framework.cli.progress import RunProgress
from framework.cli.serve import serve
from framework.cli.signals import stop_on_signals
from framework.cli.stores import StoreOption, TenantOption, db_app, engine_for
from framework.engine.engine import Engine
from framework.engine.guard import EXIT_HELD, held_runs
from framework.engine.lease import EXIT_BUSY, LeaseHeld, describe
from framework.engine.report import RunReport
from framework.errors import SyncwrightError
from framework.facade import Hooks
from framework.models.base import entity_model, entity_names
from framework.ops.runs import latest_runs, pair_status
from framework.plugin_manager import ENTRY_POINT_GROUP, get_plugin_manager
from framework.state.store import Lease

app = typer.Typer(
    help="Keep a store's POS or ERP in sync with its platforms.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(fake_app, name="fake")
app.add_typer(problems_app, name="problems")
app.add_typer(duplicates_app, name="duplicates")
app.add_typer(db_app, name="db")
app.add_typer(fleet_app, name="fleet")
app.command()(worker)
app.add_typer(console_app, name="console")
app.command("find")(find_command)
app.command()(check)
app.command()(operate.history)  # framework/cli/operate.py: operators' commands (issue 15)
app.command()(operate.unlink)
app.command()(operate.link)
app.command()(operate.plan)
app.command()(operate.approve)
app.command()(operate.reject)

console = Console()
err_console = Console(stderr=True)


@dataclass
class _Options:
    config: Path
    verbose: int
    store: str | None = None
    tenant: str | None = None


ConfigOption = Annotated[
    Path,
    typer.Option("--config", "-c", envvar="SYNCWRIGHT_CONFIG", help="Configuration file (TOML)."),
]


def _version(value: bool) -> None:
    if value:
        console.print(f"syncwright {importlib.metadata.version('syncwright')}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    config: ConfigOption = Path("syncwright.toml"),
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            help="-v: what syncwright does (its own loggers, DEBUG); -vv: libraries' too.",
        ),
    ] = 0,
    log_format: Annotated[
        LogFormat, typer.Option("--log-format", help="text (rich) or json (one object a line).")
    ] = LogFormat.TEXT,
    log_file: Annotated[
        Path | None, typer.Option("--log-file", dir_okay=False, help="Also append the log here.")
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an unexpected error.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    store: StoreOption = None,
    tenant: TenantOption = None,
) -> None:
    """Keep a store's POS or ERP in sync with its platforms."""
    setup_logging(verbose, log_format, log_file, err_console)
    ctx.obj = _Options(config, verbose, store, tenant)


def connector_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The installed connectors (name, distribution, version, side, entities, rules) and presets."""
    pm = get_plugin_manager()
    hooks = Hooks(pm)
    connectors = []
    for plugin, dist in pm.list_plugin_distinfo():
        name = pm.get_name(plugin) or "?"
        row: dict[str, Any] = {
            "name": name,
            "distribution": dist.project_name,
            "version": dist.version,
        }
        try:
            info = hooks.describe(name)
            row |= {"side": info.side, "entities": list(info.entities), "rules": info.rules}
        except SyncwrightError as exc:
            row |= {"side": None, "entities": [], "rules": [], "error": str(exc)}
        connectors.append(row)
    presets = [
        {
            "name": str(p.get("name")),
            "pos": str(p.get("pos_connector")),
            "platform": str(p.get("platform_connector")),
            "summary": str(p.get("summary", "")),
        }
        for p in sorted(hooks.presets(), key=lambda p: str(p.get("name")))
    ]
    return connectors, presets


@app.command()
def plugins(json_out: JsonOption = False) -> None:
    """List the connectors found through entry points, with versions and presets."""
    connectors, presets = connector_rows()
    if json_out:
        output.plugins(connectors, presets)
        return
    console.print(render.connectors_table(connectors, ENTRY_POINT_GROUP, console.width))
    console.print(render.presets_table(presets, console.width))


@app.command()
def run(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Run every pair once, then stop.")] = False,
    pair: Annotated[str | None, typer.Option(help="Only this pair.")] = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait",
            help="When another process runs a pair, wait for it to finish "
            "(default: refuse at once, exit code 75).",
        ),
    ] = False,
    wait_max: Annotated[
        float, typer.Option(help="With --wait: give up after this many seconds.", min=0)
    ] = 3600.0,
    json_out: JsonOption = False,
) -> None:
    """Sync: the first run uploads everything (G-2), later runs move what changed.

    One process runs a pair at a time: a pair another process is running is refused in
    one line naming it (exit code 75), or waited for with ``--wait``.
    """
    engine = engine_for(ctx)
    names = [pair] if pair else list(engine.config.pairs)
    unknown = [n for n in names if n not in engine.config.pairs]
    if unknown:
        raise SyncwrightError(f"no pair named {unknown[0]!r} in {engine.config.source}")
    try:
        with stop_on_signals(engine.stop):
            _run_rounds(
                engine, names, once=once, json_out=json_out, wait=wait_max if wait else None
            )
    finally:
        engine.close()


def _run_one(engine: Engine, name: str, wait: float | None, *, show: bool) -> RunReport:
    """Run one pair under its lease, waiting up to ``wait`` seconds for a busy pair."""

    def waiting(holder: Lease | None) -> None:
        who = describe(holder) if holder is not None else "another process"
        err_console.print(
            f"pair {name!r} is being run by {who}; waiting (up to {wait:g} s)",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )

    with engine.lease(name, wait=wait, on_wait=waiting) as held:
        if not show:  # standard output holds the JSON document alone
            return engine.run_pair(name, lease=held)
        with RunProgress(console) as progress:
            report = engine.run_pair(name, progress, lease=held)
        render.print_report(console, report)
        return report


def _run_rounds(
    engine: Engine, names: list[str], *, once: bool, json_out: bool, wait: float | None
) -> None:
    """Run the pairs, once or on their interval, until done or asked to stop (SIGTERM).

    A pair another process runs is refused in one line (or waited for, ``wait``); the
    round goes on with the other pairs, and ends with exit code 75 (``EXIT_BUSY``).
    """
    while True:
        failed = busy = held = False
        reports = []
        for name in names:
            try:
                report = _run_one(engine, name, wait, show=not json_out)
            except LeaseHeld as exc:
                err_console.print(f"error: {exc}", highlight=False, markup=False, soft_wrap=True)
                busy = True
                continue
            reports.append(report)
            failed = failed or report.status not in ("ok", "stopped", "held")
            held = held or report.status == "held"
            if engine.stop.is_set():
                break
        if json_out:
            output.run(reports)
        if engine.stop.is_set():
            err_console.print(
                "stopped on request: what is left waits, staged or journaled, for the next run",
                highlight=False,
            )
            return
        if busy:  # a scheduler sees the run did not happen, and why (one line above)
            raise typer.Exit(EXIT_BUSY)
        if once:
            if failed:  # a scheduler (cron, systemd) sees that the run did not finish
                raise typer.Exit(1)
            if held:  # the guard held a mass change: someone must approve or reject it
                raise typer.Exit(EXIT_HELD)
            return
        interval = min(engine.config.pairs[n].interval_minutes for n in names)
        if not json_out:
            console.print(f"next run in {interval:g} minutes (Ctrl-C or SIGTERM to stop)")
        if engine.stop.wait(interval * 60):
            err_console.print("stopped on request between runs", highlight=False)
            return


@app.command()
def status(ctx: typer.Context, json_out: JsonOption = False) -> None:
    """The latest runs, what they moved, and open problems."""
    engine = engine_for(ctx)
    try:
        runs = latest_runs(engine.store, limit=10)
        if json_out:
            output.status(engine.store, engine.config.pairs, runs)
            return
        render.print_runs(console, runs)
        for name in engine.config.pairs:
            pair = pair_status(engine, name, runs=0)
            console.print(
                f"pair {name}: {pair.linked} linked records, "
                f"{pair.staged} staged, "
                f"{pair.pending_writes} journaled writes pending"
                + (f"; running now: {pair.running}" if pair.running is not None else ""),
                highlight=False,
            )
            for line in pair.held_lines:
                console.print(f"  held back: {line}", highlight=False)
            for line in held_runs(engine.store, name):
                console.print(f"  held by the guard: {line}", highlight=False, soft_wrap=True)
        for stats in engine.store.webhook_stats():
            console.print(render.webhook_line(stats), highlight=False)
        problems = engine.store.problems()
        console.print(
            f"{len(problems)} open problem(s)"
            + (" — see `syncwright problems`" if problems else "")
        )
    finally:
        engine.close()


app.command()(serve)  # framework/cli/serve.py (after status, as the help lists it)


@app.command()
def demo(
    name: Annotated[str, typer.Argument(help="Which demo.")] = "edge-clientbook",
    customers: Annotated[int, typer.Option(help="Customers in the fake store.")] = 300,
    runs: Annotated[int, typer.Option(help="Incremental runs after the upload.")] = 3,
    folder: Annotated[
        Path | None,
        typer.Option(help="Keep the demo's state here (default: a new temporary folder)."),
    ] = None,
) -> None:
    """Start fakes seeded with realistic data, sync, edit both sides, sync again, show it."""
    demos = {ep.name: ep for ep in importlib.metadata.entry_points(group="syncwright.demos")}
    if name not in demos:
        raise SyncwrightError(f"no demo named {name!r} (installed: {', '.join(sorted(demos))})")
    demos[name].load()(console, customers=customers, runs=runs, folder=folder)


@app.command()
def schema(entity: Annotated[str | None, typer.Argument(help="One entity.")] = None) -> None:
    """Print the JSON schema of the canonical model (every entity, or one)."""
    if entity is not None and entity not in entity_names():
        raise SyncwrightError(f"no entity named {entity!r} (known: {', '.join(entity_names())})")
    names = [entity] if entity else entity_names()
    schemas = {n: entity_model(n).model_json_schema() for n in names}
    console.print_json(orjson.dumps(schemas if entity is None else schemas[entity]).decode())


COMMANDS_GROUP = "syncwright.commands"


def add_plugin_commands() -> None:
    """Add the typer apps other packages register under ``syncwright.commands``."""
    present = {group.name for group in app.registered_groups}
    for ep in importlib.metadata.entry_points(group=COMMANDS_GROUP):
        if ep.name in present:
            continue
        try:
            app.add_typer(ep.load(), name=ep.name)
        except Exception as exc:  # one broken command never takes the CLI down
            logging.getLogger(__name__).warning("command %r failed to load: %s", ep.name, exc)


def main() -> None:
    """Console-script entry point: one clear line for any error (``framework.cli.errors``)."""
    add_plugin_commands()
    raise SystemExit(run_cli(typer.main.get_command(app)))
