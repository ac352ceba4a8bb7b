"""``syncwright serve``: the pairs on their schedule, and the platforms' webhooks.

Printing only: scheduling and receiving are ``framework/serve`` (the fleet's ``serve --fleet``
is ``framework/cli/fleet.py``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from framework.cli.stores import engine_for
from framework.engine.report import RunReport
from framework.errors import SyncwrightError

console = Console()
err_console = Console(stderr=True)


def serve(
    ctx: typer.Context,
    pair: Annotated[str | None, typer.Option(help="Only this pair.")] = None,
    host: Annotated[str | None, typer.Option(help="Listen here (default: serve.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: serve.port).")] = None,
    subscribe: Annotated[
        bool,
        typer.Option(
            "--subscribe",
            help="Register the webhook subscription with platforms that have an API for it.",
        ),
    ] = False,
    fleet: Annotated[
        Path | None,
        typer.Option(
            "--fleet",
            "-f",
            help="Receive the webhooks of every store of this fleet file "
            "(POST /hooks/STORE/SYSTEM) and enqueue their runs for `syncwright worker`.",
        ),
    ] = None,
) -> None:
    """Run the pairs on their schedule and receive platform webhooks (POST /hooks/SYSTEM).

    A notification is verified, kept and acknowledged at once, then a run of its pair reads
    just the records it names; the scheduled poll still catches anything a webhook missed.
    With --fleet, the runs are enqueued for the fleet's workers instead (docs/fleet.md).
    SIGTERM stops it after the record in hand (see docs/webhooks.md).
    """
    if fleet is not None:
        if pair is not None or subscribe:
            raise SyncwrightError(
                "serve --fleet takes no --pair or --subscribe: it serves every store's pairs, "
                "whose notification URLs are set in each platform (docs/fleet.md)"
            )
        from framework.cli.fleet import serve_fleet_command

        serve_fleet_command(fleet, host, port)
        err_console.print("stopped on request", highlight=False)
        return
    from framework.serve.server import Served
    from framework.serve.server import serve as serve_pairs

    engine = engine_for(ctx)
    names = [pair] if pair else list(engine.config.pairs)
    if pair is not None and pair not in engine.config.pairs:
        raise SyncwrightError(f"no pair named {pair!r} in {engine.config.source}")

    def ready(served: Served) -> None:
        for name in served.webhook_systems:
            line = served.subscriptions.get(name, "")
            console.print(
                f"webhooks for {name}: POST {served.url}/hooks/{name} ({line})",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
        for name, seconds in served.poll_seconds.items():
            console.print(f"pair {name}: polled every {seconds / 60:g} minutes", highlight=False)
        console.print("serving (Ctrl-C or SIGTERM to stop)", highlight=False)

    def ran(kind: str, report: RunReport) -> None:
        moved = ", ".join(f"{k} {n}" for k, n in sorted(report.counts.items()) if n)
        console.print(
            f"{time.strftime('%H:%M:%S')} {report.pair}: {kind} run {report.run_id} "
            f"{report.status}: {moved or 'nothing moved'}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )

    try:
        serve_pairs(
            engine,
            names,
            host=host,
            port=port,
            subscribe=subscribe,
            on_ready=ready,
            on_report=ran,
        )
    finally:
        engine.close()
    err_console.print("stopped on request", highlight=False)
