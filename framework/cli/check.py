"""``syncwright check``: load the configuration and reach every system, one line each."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from framework.check import check_systems
from framework.config import load_config

console = Console()


def check(ctx: typer.Context) -> None:
    """Load the configuration and reach every system: one line each, ok or what is wrong.

    Exit 0 only when every system is ok (1 otherwise; 2 when the configuration is invalid).
    """
    root = ctx.find_root()
    path: Path = root.obj.config if root.obj is not None else Path("syncwright.toml")
    config, hooks = load_config(path)
    console.print(f"configuration {config.source}: ok", highlight=False, soft_wrap=True)
    found = check_systems(config, hooks)
    for item in found:
        mark = "ok  " if item.check.ok else "FAIL"
        console.print(
            f"{mark} {item.name} ({item.connector}): {item.check.detail}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    failed = sum(1 for item in found if not item.check.ok)
    if failed:
        console.print(f"{failed} of {len(found)} system(s) not ok", highlight=False)
        raise typer.Exit(1)
