"""The ``syncwright`` command line (typer + rich).

Fakes and demos are found through the entry-point groups ``syncwright.fakes`` and
``syncwright.demos``, so this module never imports ``fakes/`` by name.
"""

from __future__ import annotations

import importlib.metadata
import logging
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from framework.cli import render
from framework.cli.duplicates import duplicates_app, find
from framework.cli.progress import RunProgress
from framework.config import load_config
from framework.engine.engine import Engine
from framework.engine.held import held_back
from framework.engine.lease import EXIT_BUSY, LeaseHeld, LeaseLost, describe, holder_now, run_states
from framework.engine.problems import requeue
from framework.engine.report import RunReport
from framework.errors import SyncwrightError
from framework.facade import Hooks
from framework.models.base import entity_model, entity_names
from framework.plugin_manager import ENTRY_POINT_GROUP, get_plugin_manager
from framework.secrets import install_log_redaction, redact
from framework.state.store import Lease

app = typer.Typer(
    help="Keep a store's POS or ERP in sync with its platforms.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
fake_app = typer.Typer(help="Fake systems for demos, tests and manual work.", no_args_is_help=True)
problems_app = typer.Typer(
    help="Quarantined changes (G-5): list them, retry them.", invoke_without_command=True
)
app.add_typer(fake_app, name="fake")
app.add_typer(problems_app, name="problems")
app.add_typer(duplicates_app, name="duplicates")
app.command()(find)

console = Console()
err_console = Console(stderr=True)


@dataclass
class _Options:
    config: Path
    verbose: bool


ConfigOption = Annotated[
    Path,
    typer.Option("--config", "-c", envvar="SYNCWRIGHT_CONFIG", help="Configuration file (TOML)."),
]


@app.callback()
def _main(
    ctx: typer.Context,
    config: ConfigOption = Path("syncwright.toml"),
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Keep a store's POS or ERP in sync with its platforms."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False)],
    )
    install_log_redaction()
    if not verbose:
        logging.getLogger("httpx").setLevel(logging.WARNING)
    ctx.obj = _Options(config, verbose)


def _engine(ctx: typer.Context) -> Engine:
    options: _Options = ctx.obj
    config, hooks = load_config(options.config)
    return Engine(config, hooks)


@app.command()
def plugins() -> None:
    """List the connectors found through entry points, with versions and presets."""
    pm = get_plugin_manager()
    hooks = Hooks(pm)
    table = Table(title=f"connectors (entry-point group {ENTRY_POINT_GROUP})")
    for name in ("connector", "distribution", "version", "side", "entities", "rules claimed"):
        table.add_column(name)
    for plugin, dist in pm.list_plugin_distinfo():
        name = pm.get_name(plugin) or "?"
        side: str
        try:
            info = hooks.describe(name)
            side, entities, rules = info.side, ", ".join(info.entities), ", ".join(info.rules)
        except SyncwrightError as exc:
            side, entities, rules = "?", f"(no description: {exc})", ""
        table.add_row(name, dist.project_name, dist.version, side, entities, rules)
    console.print(table)
    presets = Table(title="pair presets")
    presets.add_column("preset")
    presets.add_column("pos")
    presets.add_column("platform")
    presets.add_column("summary")
    for preset in sorted(hooks.presets(), key=lambda p: str(p.get("name"))):
        presets.add_row(
            str(preset.get("name")),
            str(preset.get("pos_connector")),
            str(preset.get("platform_connector")),
            str(preset.get("summary", "")),
        )
    console.print(presets)


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
) -> None:
    """Sync: the first run uploads everything (G-2), later runs move what changed.

    One process runs a pair at a time: a pair another process is running is refused in
    one line naming it (exit code 75), or waited for with ``--wait``.
    """
    engine = _engine(ctx)
    names = [pair] if pair else list(engine.config.pairs)
    unknown = [n for n in names if n not in engine.config.pairs]
    if unknown:
        raise SyncwrightError(f"no pair named {unknown[0]!r} in {engine.config.source}")
    try:
        while True:
            failed = busy = False
            for name in names:
                try:
                    report = _run_one(engine, name, wait_max if wait else None)
                except LeaseHeld as exc:
                    err_console.print(
                        f"error: {exc}", highlight=False, markup=False, soft_wrap=True
                    )
                    busy = True
                    continue
                render.print_report(console, report)
                failed = failed or report.status != "ok"
            if busy:  # a scheduler sees the run did not happen, and why (one line above)
                raise typer.Exit(EXIT_BUSY)
            if once:
                if failed:  # a scheduler (cron, systemd) sees that the run did not finish
                    raise typer.Exit(1)
                return
            interval = min(engine.config.pairs[n].interval_minutes for n in names)
            console.print(f"next run in {interval:g} minutes (Ctrl-C to stop)")
            time.sleep(interval * 60)
    finally:
        engine.close()


def _run_one(engine: Engine, name: str, wait: float | None) -> RunReport:
    """Run one pair under its lease, waiting up to ``wait`` seconds for a busy pair."""

    def waiting(holder: Lease | None) -> None:
        who = describe(holder) if holder is not None else "another process"
        console.print(
            f"pair {name!r} is being run by {who}; waiting (up to {wait:g} s)",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )

    with engine.lease(name, wait=wait, on_wait=waiting) as held, RunProgress(console) as progress:
        return engine.run_pair(name, progress, lease=held)


@app.command()
def status(ctx: typer.Context) -> None:
    """The latest runs, what they moved, and open problems."""
    engine = _engine(ctx)
    try:
        console.print(render.runs_table(run_states(engine.store, engine.store.runs(limit=10))))
        for name in engine.config.pairs:
            holder = holder_now(engine.store, name)
            console.print(
                f"pair {name}: {engine.store.links_count(name)} linked records, "
                f"{engine.store.inbox_count(name)} staged, "
                f"{len(engine.store.intents(name))} journaled writes pending"
                + (f"; running now: {describe(holder)}" if holder is not None else ""),
                highlight=False,
            )
            for line in held_back(engine.store, name):
                console.print(f"  held back: {line}", highlight=False)
        problems = engine.store.problems()
        console.print(
            f"{len(problems)} open problem(s)"
            + (" — see `syncwright problems`" if problems else "")
        )
    finally:
        engine.close()


@problems_app.callback()
def problems(ctx: typer.Context) -> None:
    """List open problems (quarantined changes) with their reason and rule."""
    if ctx.invoked_subcommand is not None:
        return
    engine = _engine(ctx)
    try:
        render.print_problems(console, engine.store.problems())
    finally:
        engine.close()


@problems_app.command("retry")
def problems_retry(
    ctx: typer.Context,
    ids: Annotated[
        list[int] | None, typer.Argument(help="Problem ids (default: all open).")
    ] = None,
) -> None:
    """Queue quarantined changes again (after a fix) and run their pairs once."""
    engine = _engine(ctx)
    try:
        chosen = [p for p in engine.store.problems() if not ids or p.id in ids]
        for name in sorted({p.pair for p in chosen}):
            if name not in engine.config.pairs:  # queued; a configuration with it runs it
                for problem in (p for p in chosen if p.pair == name):
                    console.print(f"problem {problem.id}: {requeue(engine.store, problem)}")
                continue
            with engine.lease(name) as held:  # never under a run of the pair going on
                for problem in (p for p in chosen if p.pair == name):
                    console.print(f"problem {problem.id}: {requeue(engine.store, problem)}")
                render.print_report(console, engine.run_pair(name, lease=held))
        left = engine.store.problems()
        console.print(f"{len(left)} open problem(s) left")
    finally:
        engine.close()


@fake_app.command("serve")
def fake_serve(
    name: Annotated[str, typer.Argument(help="Which fake (clientbook, edge, …).")],
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (HTTP fakes).")] = 8801,
    seed: Annotated[int, typer.Option(help="Seed this many customers.")] = 0,
    folder: Annotated[Path, typer.Option(help="Exchange folder (file fakes).")] = Path("edt"),
    fault: Annotated[
        list[str] | None,
        typer.Option(
            help="KIND[:RATE][@N,N][/EVERY][+after], KIND one of 429 500 502 503 504 slow "
            "drop malformed; +after: the fake does the work, then the answer fails; "
            "e.g. 429:0.1  500@3,7  drop/50  drop:0.05+after, or a rule as JSON"
        ),
    ] = None,
    rate_limit: Annotated[str | None, typer.Option(help="REQUESTS/SECONDS, e.g. 600/60")] = None,
    api_key: Annotated[str | None, typer.Option(help="API key the fake accepts.")] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(help="A fake's own setting, KEY=VALUE (JSON value), e.g. queue_delay=5"),
    ] = None,
) -> None:
    """Serve a fake system (HTTP fakes with uvicorn on 127.0.0.1)."""
    fakes = {ep.name: ep for ep in importlib.metadata.entry_points(group="syncwright.fakes")}
    if name not in fakes:
        raise SyncwrightError(f"no fake named {name!r} (installed: {', '.join(sorted(fakes))})")
    options: dict[str, Any] = {
        "port": port,
        "seed": seed,
        "folder": str(folder),
        "faults": [parse_fault(f) for f in fault or []],
        "rate_limit": parse_rate(rate_limit),
        "api_key": api_key,
    }
    options.update(parse_option(text) for text in option or [])
    console.print(f"fake {name}: serving (Ctrl-C to stop)")
    fakes[name].load()(options)


def parse_fault(text: str) -> dict[str, Any]:
    """``429:0.1`` / ``500@3,7`` / ``drop/50`` / ``drop:0.1+after`` / JSON -> a fault rule."""
    if text.lstrip().startswith("{"):
        try:
            parsed: dict[str, Any] = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise SyncwrightError(f"--fault {text!r}: not valid JSON: {exc}") from None
        return parsed
    rule: dict[str, Any] = {}
    text, plus, when = text.partition("+")
    if plus:
        rule["when"] = when
    head, _, every = text.partition("/")
    head, _, nth = head.partition("@")
    kind, _, rate = head.partition(":")
    rule["kind"] = kind
    if rate:
        rule["rate"] = float(rate)
    if nth:
        rule["nth"] = [int(n) for n in nth.split(",")]
    if every:
        rule["every"] = int(every)
    return rule


def parse_option(text: str) -> tuple[str, Any]:
    """``queue_delay=5`` -> (``queue_delay``, 5): the value as JSON, else as text."""
    key, eq, value = text.partition("=")
    if not eq or not key:
        raise SyncwrightError(f"--option {text!r}: expected KEY=VALUE")
    try:
        return key, orjson.loads(value)
    except orjson.JSONDecodeError:
        return key, value


def parse_rate(text: str | None) -> dict[str, float] | None:
    """``600/60`` -> at most 600 requests per 60 seconds."""
    if not text:
        return None
    requests, _, window = text.partition("/")
    try:
        return {"requests": int(requests), "window": float(window or 60)}
    except ValueError:
        raise SyncwrightError(f"--rate-limit {text!r}: expected REQUESTS/SECONDS") from None


@app.command()
def demo(
    name: Annotated[str, typer.Argument(help="Which demo.")] = "edge-clientbook",
    customers: Annotated[int, typer.Option(help="Customers in the fake store.")] = 300,
    runs: Annotated[int, typer.Option(help="Incremental runs after the upload.")] = 3,
) -> None:
    """Start fakes seeded with realistic data, sync, edit both sides, sync again, show it."""
    demos = {ep.name: ep for ep in importlib.metadata.entry_points(group="syncwright.demos")}
    if name not in demos:
        raise SyncwrightError(f"no demo named {name!r} (installed: {', '.join(sorted(demos))})")
    demos[name].load()(console, customers=customers, runs=runs)


@app.command()
def schema(entity: Annotated[str | None, typer.Argument(help="One entity.")] = None) -> None:
    """Print the JSON schema of the canonical model (every entity, or one)."""
    names = [entity] if entity else entity_names()
    schemas = {n: entity_model(n).model_json_schema() for n in names}
    console.print_json(orjson.dumps(schemas if entity is None else schemas[entity]).decode())


COMMANDS_GROUP = "syncwright.commands"


def add_plugin_commands() -> None:
    """Add the typer apps other packages register under ``syncwright.commands``."""
    for ep in importlib.metadata.entry_points(group=COMMANDS_GROUP):
        try:
            app.add_typer(ep.load(), name=ep.name)
        except Exception as exc:  # one broken command never takes the CLI down
            logging.getLogger(__name__).warning("command %r failed to load: %s", ep.name, exc)


def main() -> None:
    """Console-script entry point: one clear line for any error we expect."""
    add_plugin_commands()
    try:
        app()
    except (LeaseHeld, LeaseLost) as exc:  # another process runs the pair: try again later
        err_console.print(f"error: {exc}", highlight=False, markup=False, soft_wrap=True)
        raise SystemExit(EXIT_BUSY) from None
    except SyncwrightError as exc:
        err_console.print(
            f"error: {redact(str(exc))}", highlight=False, markup=False, soft_wrap=True
        )
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        err_console.print("stopped")
        raise SystemExit(130) from None
    except Exception:  # a bug: its traceback, never a secret a frame or message held
        err_console.print(
            redact(traceback.format_exc()), highlight=False, markup=False, soft_wrap=True
        )
        raise SystemExit(1) from None
