"""``syncwright fleet add/list/remove`` and ``syncwright worker`` (``docs/fleet.md``).

The fleet file names the stores; adding one validates its configuration exactly as ``check``
would (one line naming the file, key and rule on a mistake). Workers run the stores' pairs
as jobs of the fleet's queue (``framework/fleet/workers.py``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import tomli_w
import typer
from rich.console import Console

from framework.cli.tables import Column, fitted_table
from framework.config import load_config
from framework.errors import ConfigError, SyncwrightError
from framework.fleet.config import check_store_name, load_fleet, read_fleet_file

if TYPE_CHECKING:
    from framework.fleet.workers import ProcrastinateQueue

fleet_app = typer.Typer(help="Many stores in one PostgreSQL state: add, list, remove them.")
console = Console()

FleetOption = Annotated[
    Path,
    typer.Option("--fleet", "-f", envvar="SYNCWRIGHT_FLEET", help="The fleet file (TOML)."),
]


def _write(path: Path, data: dict[str, Any]) -> None:
    text = tomli_w.dumps(data)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)  # never a half-written fleet file


@fleet_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The store's name (its tenant in the state).")],
    config: Annotated[Path, typer.Argument(help="The store's configuration file.")],
    fleet: FleetOption = Path("fleet.toml"),
) -> None:
    """Add a store (its configuration file, validated first) to the fleet."""
    check_store_name(name)
    load_config(config)  # systems, secrets, pairs: validated as today, one line if not
    if fleet.exists():
        data = read_fleet_file(fleet)
    else:
        url = getattr(ctx.find_root().obj, "store", None)
        if not url:
            raise ConfigError(
                f"{fleet}: no such fleet file; give its state with --store postgresql://... "
                "to create it (docs/fleet.md)"
            )
        data = {"state": {"url": url}}
    stores = data.setdefault("stores", {})
    if name in stores:
        raise SyncwrightError(f"{fleet}: a store named {name!r} is already in the fleet")
    where = config.resolve()
    try:
        shown = str(where.relative_to(fleet.resolve().parent))
    except ValueError:
        shown = str(where)
    stores[name] = {"config": shown}
    _write(fleet, data)
    load_fleet(fleet).store(name)  # the fleet reads it back as workers will
    console.print(f"store {name} added to {fleet} ({shown})", highlight=False, soft_wrap=True)


@fleet_app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="The store's name.")],
    fleet: FleetOption = Path("fleet.toml"),
) -> None:
    """Remove a store from the fleet: no more runs (its state stays, under its name)."""
    data = read_fleet_file(fleet)
    if name not in data.get("stores", {}):
        raise SyncwrightError(f"{fleet}: no store named {name!r} in the fleet")
    del data["stores"][name]
    _write(fleet, data)
    config = load_fleet(fleet)
    from framework.fleet.schedule import Schedule

    Schedule(config.url, config.state.schema_name).forget(name)
    console.print(
        f"store {name} removed from {fleet} (its state is kept)", highlight=False, soft_wrap=True
    )


@fleet_app.command("list")
def list_stores(fleet: FleetOption = Path("fleet.toml")) -> None:
    """The fleet's stores and pairs: when each is next due, and its latest run."""
    config = load_fleet(fleet)
    from framework.fleet.schedule import Schedule

    seen = Schedule(config.url, config.state.schema_name).overview()
    rows = []
    for name, entry in config.stores.items():
        where = str(entry.get("config", "(inline)"))
        for pair in config.store(name)[0].pairs:
            due, status, started = seen.get((name, pair), (None, None, None))
            rows.append(
                [
                    name,
                    pair,
                    where,
                    due.strftime("%Y-%m-%d %H:%M:%S") if due else "when a worker ticks",
                    f"{status} {started:%H:%M:%S}" if status and started else "never run",
                ]
            )
    columns = [
        Column("store"),
        Column("pair"),
        Column("configuration", optional=True),
        Column("next due (UTC)"),
        Column("latest run"),
    ]
    console.print(fitted_table(f"fleet {fleet}", columns, rows, console.width))
    console.print(
        f"{len(config.stores)} store(s), {len(rows)} pair(s)", highlight=False, soft_wrap=True
    )


def _queue(fleet: Path, concurrency: int | None = None) -> ProcrastinateQueue:
    """The fleet's queue (Procrastinate), or one line saying what to install."""
    config = load_fleet(fleet)
    if concurrency is not None:
        config.worker = config.worker.model_copy(update={"concurrency": concurrency})
    try:
        from framework.fleet.workers import ProcrastinateQueue
    except ImportError as exc:
        raise SyncwrightError(f"workers need {exc.name}: pip install 'syncwright[fleet]'") from None
    return ProcrastinateQueue(config)


def serve_fleet_command(fleet: Path, host: str | None, port: int | None) -> None:
    """``syncwright serve --fleet FILE``: every store's webhooks in, runs to the workers."""
    import threading

    from framework.serve.fleet import serve_fleet

    queue = _queue(fleet)

    def ready(url: str) -> None:
        console.print(
            f"webhooks for every store of {fleet}: POST {url}/hooks/STORE/SYSTEM "
            f"({len(queue.config.stores)} store(s) now); runs go to `syncwright worker`",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        console.print("serving (Ctrl-C or SIGTERM to stop)", highlight=False)

    try:
        serve_fleet(queue.fleet, threading.Event(), host=host, port=port, on_ready=ready)
    finally:
        queue.close()


def worker(
    fleet: FleetOption = Path("fleet.toml"),
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Runs at once in this process (default: fleet's).")
    ] = None,
) -> None:
    """Run fleet jobs (Procrastinate worker) until SIGTERM or Ctrl-C; start more to scale."""
    from framework.fleet.fleet import WORKER

    _queue(fleet, concurrency).work(WORKER)
