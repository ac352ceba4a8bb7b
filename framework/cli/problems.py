"""``syncwright problems``, ``problems retry``, ``problems resolve`` (G-5).

Printing only: what each does is in ``framework/ops/problems.py`` (the console calls the same
functions).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from framework.cli import output, render
from framework.cli.duplicates import JsonOption
from framework.cli.stores import engine_for
from framework.ops.problems import open_problems, requeue_problems, resolve
from framework.ops.runs import run_under_lease

console = Console()

problems_app = typer.Typer(
    help="Quarantined changes (G-5): list them, retry them.", invoke_without_command=True
)


@problems_app.callback()
def problems(ctx: typer.Context, json_out: JsonOption = False) -> None:
    """List open problems (quarantined changes) with their reason and rule."""
    if ctx.invoked_subcommand is not None:
        return
    engine = engine_for(ctx)
    try:
        if json_out:
            output.problems(engine.store.problems())
            return
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
    engine = engine_for(ctx)
    try:
        chosen = open_problems(engine.store, ids)
        for name, done in requeue_problems(engine, chosen).items():
            for item in done:
                console.print(f"problem {item.problem.id}: {item.done}")
            if name in engine.config.pairs:
                render.print_report(console, run_under_lease(engine, name))
        left = engine.store.problems()
        console.print(f"{len(left)} open problem(s) left")
    finally:
        engine.close()


@problems_app.command("resolve")
def problems_resolve(
    ctx: typer.Context,
    ids: Annotated[list[int], typer.Argument(help="Problem ids.")],
) -> None:
    """Close problems by hand: their changes are given up on (a later change goes again)."""
    engine = engine_for(ctx)
    try:
        for problem_id in ids:
            problem = resolve(engine.store, problem_id)
            console.print(
                f"problem {problem.id} resolved: {problem.entity} {problem.record_id} "
                f"on the {problem.side} side",
                highlight=False,
            )
    finally:
        engine.close()
