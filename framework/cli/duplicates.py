"""``syncwright duplicates`` (SQ-2) and ``syncwright find`` (SQ-3).

The report lists duplicate candidates; a merge happens only when a user runs
``syncwright duplicates merge`` and confirms it: the engine never merges on its own.
"""

from __future__ import annotations

from typing import Annotated

import orjson
import typer
from rich.console import Console, RenderableType

from framework.cli import output
from framework.cli.stores import engine_for
from framework.cli.tables import Column, fitted_table
from framework.engine.duplicates import find_duplicates
from framework.ops.records import choose_pair, choose_side, find, merge

duplicates_app = typer.Typer(
    help="Duplicate candidates within one system (SQ-2): list them, merge on request.",
    invoke_without_command=True,
)
console = Console()

PairOption = Annotated[str | None, typer.Option(help="The pair (default: the only one).")]
SideOption = Annotated[str, typer.Option(help="pos or platform.")]
EntityOption = Annotated[str, typer.Option(help="The entity.")]
JsonOption = Annotated[
    bool, typer.Option("--json", help="One JSON document (docs/json-output.md) instead.")
]


@duplicates_app.callback()
def duplicates(
    ctx: typer.Context,
    pair: PairOption = None,
    side: Annotated[str | None, typer.Option(help="Only pos or platform.")] = None,
    json_out: JsonOption = False,
) -> None:
    """List duplicate candidates: records of one system sharing an e-mail or phone."""
    if ctx.invoked_subcommand is not None:
        return
    engine = engine_for(ctx)
    try:
        name = choose_pair(engine, pair)
        groups = find_duplicates(engine, name, side=choose_side(side))
        if json_out:
            output.duplicates(name, groups)
            return
        for n, group in enumerate(groups, 1):
            keys = ", ".join(f"{k} {v}" for k, v in group.keys)
            rows = []
            for r in group.records:
                linked = r.linked_to or "-"
                if r.link_status not in (None, "ok"):
                    linked += f" ({r.link_status})"
                rows.append([r.id, r.name, ", ".join(r.emails), ", ".join(r.phones), linked])
            columns = [
                Column("id"),
                Column("name"),
                Column("e-mails"),
                Column("phones", optional=True),
                Column("linked to"),
            ]
            title = f"{n}. {group.entity} on {group.system} ({group.side}): {keys}"
            console.print(fitted_table(title, columns, rows, console.width))
            console.print(
                f"  merge: syncwright duplicates merge {' '.join(group.ids)} "
                f"--pair {name} --side {group.side} --entity {group.entity}",
                highlight=False,
                soft_wrap=True,
            )
        console.print(f"{len(groups)} group(s) of duplicate candidates (SQ-2); nothing merged")
    finally:
        engine.close()


@duplicates_app.command("merge")
def merge_command(
    ctx: typer.Context,
    survivor: Annotated[str, typer.Argument(help="The record that stays.")],
    others: Annotated[list[str], typer.Argument(help="The records merged into it.")],
    pair: PairOption = None,
    side: SideOption = "platform",
    entity: EntityOption = "customer",
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Merge duplicates into SURVIVOR: every contact method kept, links moved, recorded."""
    engine = engine_for(ctx)
    try:
        name = choose_pair(engine, pair)
        chosen = choose_side(side) or "platform"
        question = f"merge {', '.join(others)} into {survivor} on the {chosen} side of {name}?"
        if not yes and not typer.confirm(question):
            raise typer.Exit(1)
        done = merge(engine, name, entity, chosen, survivor, others)
        console.print(f"merge {done.id}: {', '.join(done.merged)} -> {done.survivor}")
        console.print(kept_table(done.details.get("kept") or [], console.width))
        rest = {k: v for k, v in done.details.items() if k != "kept"}
        console.print_json(orjson.dumps(rest).decode())
    finally:
        engine.close()


def kept_table(kept: list[dict[str, str]], width: int) -> RenderableType:
    """Where every value of the merged records is now (SQ-2: nothing is lost)."""
    columns = [Column("what"), Column("value"), Column("from"), Column("now in")]
    rows = [(k["field"], k["value"], k["source"], k["place"]) for k in kept]
    title = "every value of the merged records, and where the survivor keeps it"
    return fitted_table(title, columns, rows, width)


@duplicates_app.command("history")
def history(ctx: typer.Context, pair: PairOption = None) -> None:
    """The merges made so far, with what each kept and moved."""
    engine = engine_for(ctx)
    try:
        rows = [
            [
                str(m.id),
                m.created_at.strftime("%Y-%m-%d %H:%M"),
                m.pair,
                m.side,
                m.survivor,
                ", ".join(m.merged),
                orjson.dumps(m.details).decode(),
            ]
            for m in engine.store.merges(pair)
        ]
        columns = [
            Column("#", justify="right"),
            Column("when", optional=True),
            Column("pair"),
            Column("side"),
            Column("survivor"),
            Column("merged"),
            Column("what was done", optional=True),
        ]
        console.print(fitted_table("merges (SQ-2)", columns, rows, console.width))
        for m in engine.store.merges(pair):
            line = f"merge {m.id}: {', '.join(m.merged)} -> {m.survivor}"
            console.print(line, highlight=False, soft_wrap=True)
    finally:
        engine.close()


def find_command(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="An e-mail, a phone number, or part of a name.")],
    pair: PairOption = None,
    entity: EntityOption = "customer",
    json_out: JsonOption = False,
) -> None:
    """Find records by phone, e-mail or name, on both sides of a pair (SQ-3).

    Each result says which record it is linked to on the other side.
    """
    engine = engine_for(ctx)
    try:
        name = choose_pair(engine, pair)
        found = find(engine, name, entity, text)
        spec = engine.config.pairs[name]
        systems = {"pos": spec.pos, "platform": spec.platform}
        if json_out:
            output.find(name, entity, text, found, systems)
            return
        for f in found:
            contacts = ", ".join([*f.emails, *f.phones]) or "-"
            there = systems["platform" if f.side == "pos" else "pos"]
            if f.linked_to is None:
                linked = "not linked"
            elif f.linked_to.startswith("~"):
                linked = f"linked to {there} (its id not assigned yet)"
            else:
                linked = f"linked to {there} {f.linked_to}"
            if f.link_status:
                linked += f" ({f.link_status})"
            console.print(
                f"{systems[f.side]} ({f.side}) {f.id}: {f.name} | {contacts} | by {f.by} | "
                f"{linked}",
                highlight=False,
                soft_wrap=True,
            )
        console.print(f"{len(found)} found")
    finally:
        engine.close()
