"""``syncwright fake``: serve a fake system, list the fakes and the options each takes.

Fakes are found through the entry-point group ``syncwright.fakes``, so the framework never
imports ``fakes/`` by name. Each entry point is a fake object with ``name``, ``summary``,
``serve(options)`` and ``describe()`` (``fakes.toolkit.options.Fake``); the options given
here are handed over as they were given, and the fake refuses any it does not take.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from framework.cli.tables import Column, fitted_table
from framework.errors import SyncwrightError

GROUP = "syncwright.fakes"

fake_app = typer.Typer(help="Fake systems for demos, tests and manual work.", no_args_is_help=True)
console = Console()

FAULT_HELP = escape(
    "KIND[:RATE][@N,N][/EVERY][+after], KIND one of 429 500 502 503 504 slow drop "
    "malformed; +after: the fake does the work, then the answer fails; "
    "e.g. 429:0.1  500@3,7  drop/50  drop:0.05+after, or a rule as JSON"
)


def installed_fakes() -> dict[str, importlib.metadata.EntryPoint]:
    """The fakes installed, by name."""
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=GROUP)}


def _fake(name: str) -> Any:
    fakes = installed_fakes()
    if name not in fakes:
        raise SyncwrightError(f"no fake named {name!r} (installed: {', '.join(sorted(fakes))})")
    return fakes[name].load()


@fake_app.command("serve")
def fake_serve(
    name: Annotated[str, typer.Argument(help="Which fake (see `syncwright fake list`).")],
    port: Annotated[int | None, typer.Option(help="Port on 127.0.0.1 (HTTP fakes).")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed this many customers.")] = None,
    folder: Annotated[Path | None, typer.Option(help="Folder (file and database fakes).")] = None,
    fault: Annotated[list[str] | None, typer.Option(help=FAULT_HELP)] = None,
    rate_limit: Annotated[str | None, typer.Option(help="REQUESTS/SECONDS, e.g. 600/60")] = None,
    api_key: Annotated[str | None, typer.Option(help="API key the fake accepts.")] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            help="A fake's own setting, KEY=VALUE (JSON value), e.g. queue_delay=5; "
            "`syncwright fake list` shows each fake's"
        ),
    ] = None,
) -> None:
    """Serve a fake system (HTTP fakes with uvicorn on 127.0.0.1) until stopped."""
    fake = _fake(name)
    given: dict[str, Any] = {
        key: value
        for key, value in {
            "port": port,
            "seed": seed,
            "folder": None if folder is None else str(folder),
            "faults": [parse_fault(f) for f in fault] if fault else None,
            "rate_limit": parse_rate(rate_limit),
            "api_key": api_key,
        }.items()
        if value is not None
    }
    given.update(parse_option(text) for text in option or [])
    fake.parse(given)  # a bad option fails here, before anything is printed or started
    console.print(f"fake {name}: starting (Ctrl-C to stop)", highlight=False)
    fake.serve(given)


@fake_app.command("list")
def fake_list() -> None:
    """The installed fakes and the options each takes (--option KEY=VALUE)."""
    for name, ep in sorted(installed_fakes().items()):
        fake = ep.load()
        columns = [Column("option"), Column("default", optional=True), Column("what it does")]
        rows = [list(row) for row in fake.describe()]
        table = fitted_table(f"{name}: {fake.summary}", columns, rows, console.width)
        if isinstance(table, Table):
            table.title_justify = "left"
        console.print(table)


def parse_fault(text: str) -> dict[str, Any]:
    """``429:0.1`` / ``500@3,7`` / ``drop/50`` / ``drop:0.1+after`` / JSON -> a fault rule.

    Raises:
        SyncwrightError: one line naming the ``--fault`` value and what is wrong with it.
    """
    if text.lstrip().startswith("{"):
        try:
            parsed: dict[str, Any] = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise SyncwrightError(f"--fault {text!r}: not valid JSON: {exc}") from None
        return parsed
    rule: dict[str, Any] = {}
    rest, plus, when = text.partition("+")
    if plus:
        rule["when"] = when
    head, _, every = rest.partition("/")
    head, _, nth = head.partition("@")
    kind, _, rate = head.partition(":")
    rule["kind"] = kind
    try:
        if rate:
            rule["rate"] = float(rate)
        if nth:
            rule["nth"] = [int(n) for n in nth.split(",")]
        if every:
            rule["every"] = int(every)
    except ValueError:
        raise SyncwrightError(
            f"--fault {text!r}: expected KIND[:RATE][@N,N][/EVERY][+after] with a number "
            "for RATE (0 to 1), N and EVERY, e.g. 429:0.1 or 500@3,7"
        ) from None
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
