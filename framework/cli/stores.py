"""The state store a command works on: the configuration's, or ``--store``/``--tenant``.

``syncwright --store postgresql://... --tenant shop-12 status`` reads one store of a fleet
in PostgreSQL; ``syncwright db upgrade`` brings a PostgreSQL schema to this version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from framework.config import Config, StateConfig, load_config
from framework.engine.engine import Engine
from framework.errors import SyncwrightError
from framework.facade import Hooks
from framework.state.factory import describe_store, is_postgres, shown, with_store

db_app = typer.Typer(help="The PostgreSQL state store: bring its schema up to date.")
console = Console()

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        envvar="SYNCWRIGHT_STORE",
        help="State store: a postgresql:// URL or a SQLite file (default: the configuration's).",
    ),
]
TenantOption = Annotated[
    str | None,
    typer.Option(
        "--tenant",
        envvar="SYNCWRIGHT_TENANT",
        help="Which store of a fleet, in a PostgreSQL state store (default: the configuration's).",
    ),
]


def chosen_config(ctx: typer.Context) -> Config:
    """The configuration of the command line, with the store it chose."""
    config, _ = chosen(ctx)
    return config


def chosen(ctx: typer.Context) -> tuple[Config, Hooks]:
    """The configuration and hooks, with ``--store``/``--tenant`` applied."""
    root = ctx.find_root().obj
    path: Path = getattr(root, "config", None) or Path("syncwright.toml")
    config, hooks = load_config(path)
    return with_store(config, getattr(root, "store", None), getattr(root, "tenant", None)), hooks


def engine_for(ctx: typer.Context) -> Engine:
    """The engine of the command line's configuration, on the store it chose."""
    config, hooks = chosen(ctx)
    return Engine(config, hooks)


def _postgres(ctx: typer.Context) -> StateConfig:
    """The PostgreSQL store of ``--store`` (no configuration needed) or of the configuration."""
    root = ctx.find_root().obj
    store = getattr(root, "store", None)
    if is_postgres(store):
        state = StateConfig(url=store)
        tenant = getattr(root, "tenant", None)
        return state if tenant is None else state.model_copy(update={"tenant": tenant})
    config = chosen_config(ctx)
    if not config.state.url:
        raise SyncwrightError(
            f"the state store is the SQLite file {describe_store(config)}, which needs no "
            "upgrade; `db` is for a PostgreSQL store ([state] url or --store postgresql://...)"
        )
    return config.state


@db_app.command()
def upgrade(ctx: typer.Context) -> None:
    """Apply the migrations the PostgreSQL schema lacks."""
    from framework.state.postgres import upgrade as apply

    state = _postgres(ctx)
    assert state.url is not None
    done = apply(state.url, state.schema_name)
    where = f"{shown(state.url)} (schema {state.schema_name})"
    if not done:
        console.print(f"{where}: up to date", highlight=False, soft_wrap=True)
    for step in done:
        console.print(
            f"{where}: applied {step.version:04d} {step.name}", highlight=False, soft_wrap=True
        )
    try:
        from framework.fleet.workers import upgrade_queue
    except ImportError:  # no workers here (syncwright[fleet] not installed): no queue
        return
    if upgrade_queue(state.url, state.schema_name):
        console.print(
            f"{where}: created the task queue (Procrastinate)", highlight=False, soft_wrap=True
        )


@db_app.command("status")
def db_status(ctx: typer.Context) -> None:
    """The PostgreSQL schema's version and this syncwright's."""
    from framework.state.postgres import current, latest

    state = _postgres(ctx)
    assert state.url is not None
    have, want = current(state.url, state.schema_name), latest()
    verdict = "up to date" if have == want else "run `syncwright db upgrade`"
    console.print(
        f"{shown(state.url)} (schema {state.schema_name}): version {have}, "
        f"this syncwright {want}: {verdict}",
        highlight=False,
        soft_wrap=True,
    )
