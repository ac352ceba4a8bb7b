"""``syncwright history``, ``link``, ``unlink``, ``plan``, ``approve``, ``reject``.

Printing only: what each does is in ``framework/ops`` (the console and workers call the same
functions). ``--json`` prints one document (docs/json-output.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console

from framework.cli import output
from framework.cli.duplicates import EntityOption, JsonOption, PairOption
from framework.cli.stores import engine_for
from framework.errors import SyncwrightError
from framework.ops import held as held_ops
from framework.ops import links as link_ops
from framework.ops.history import record_history
from framework.ops.records import choose_pair as _pair
from framework.state.store import HistoryEntry

console = Console()


def _since(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise SyncwrightError(
            f"--since {text!r}: not a date or time (2026-05-01, 2026-05-01T10:00)"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def _value(value: Any) -> str:
    if value is None:
        return "-"
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def history_line(e: HistoryEntry) -> str:
    """One history entry as a line: when, what, which field, old -> new, why."""
    when = e.at.strftime("%Y-%m-%d %H:%M:%S") if e.at else "?"
    what = e.action + (f" {e.toward}" if e.toward and e.action in ("update", "create") else "")
    parts = [when, f"run {e.run_id}" if e.run_id else "by hand", what]
    if e.field:
        parts.append(f"{e.field}: {_value(e.old)} -> {_value(e.new)}")
    elif e.action == "create":
        parts.append(f"created from {e.source}")
    why = ", ".join(x for x in (e.policy, e.rule) if x)
    if why:
        parts.append(f"[{why}]")
    if e.associate:
        parts.append(f"associate {e.associate}")
    if e.note:
        parts.append(e.note)
    return " | ".join(parts)


def history(
    ctx: typer.Context,
    record: Annotated[str, typer.Argument(help="An id on either side, an e-mail, phone or name.")],
    field: Annotated[str | None, typer.Option(help="Only this field.")] = None,
    since: Annotated[str | None, typer.Option(help="Only since this date (ISO 8601).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many entries.", min=1)] = 200,
    pair: PairOption = None,
    entity: EntityOption = "customer",
    json_out: JsonOption = False,
) -> None:
    """Why did this record change? Its timeline, newest first: every field written, by what."""
    engine = engine_for(ctx)
    try:
        name = _pair(engine, pair)
        ref, entries = record_history(
            engine.store, name, entity, record, field=field, since=_since(since), limit=limit
        )
        if json_out:
            output.history(ref, entries)
            return
        ids = "=".join(ref.ids()) if ref.link else f"{ref.id} ({ref.side})"
        console.print(f"{entity} {ids}: {len(entries)} history entries, newest first")
        for e in entries:
            console.print("  " + history_line(e), highlight=False, markup=False, soft_wrap=True)
    finally:
        engine.close()


def link(
    ctx: typer.Context,
    args: Annotated[
        list[str],
        typer.Argument(help="POS_ID PLATFORM_ID: link them; or: show RECORD."),
    ],
    pair: PairOption = None,
    entity: EntityOption = "customer",
    json_out: JsonOption = False,
) -> None:
    """Link two records an operator knows are the same; the next run merges them.

    ``link show RECORD`` shows a record's link: both ids, the shared code, the status, and
    each side's shadow.
    """
    if len(args) == 2 and args[0] == "show":
        link_show(ctx, args[1], pair, entity, json_out)
        return
    if len(args) != 2:
        raise SyncwrightError("link takes two ids: POS_ID PLATFORM_ID (or: link show RECORD)")
    engine = engine_for(ctx)
    try:
        name = _pair(engine, pair)
        with engine.lease(name):  # never beside a run of the pair (it moves links)
            made = link_ops.link(engine.store, name, entity, args[0], args[1], run_id=None)
        if json_out:
            output.emit("link", pair=name, entity=entity, **output.link_dict(made))
            return
        console.print(
            f"linked {entity} {made.pos_id} (pos) = {made.platform_id} (platform); "
            "the next run merges them",
            highlight=False,
        )
    finally:
        engine.close()


def link_show(
    ctx: typer.Context, record: str, pair: str | None, entity: str, json_out: bool
) -> None:
    """A record's link: both ids, the shared code, its status, and each side's shadow."""
    engine = engine_for(ctx)
    try:
        name = _pair(engine, pair)
        view = link_ops.show(engine.store, name, entity, record).as_dict()
        if json_out:
            output.emit("link_show", **view)
            return
        if not view["linked"]:
            side = "pos" if view["pos_id"] else "platform"
            console.print(f"{entity} {view[f'{side}_id']} ({side}) is not linked", highlight=False)
        else:
            console.print(
                f"{entity} {view['pos_id']} (pos) = {view['platform_id']} (platform): "
                f"link {view['link_id']}, status {view['status']}, "
                f"shared code {view['link_key'] or '-'}",
                highlight=False,
            )
        if view["kept_apart_from"]:
            console.print(f"kept apart from: {', '.join(view['kept_apart_from'])}")
        for side, shadow in view["shadow"].items():
            if shadow is not None:
                console.print(f"{side} shadow: {orjson.dumps(shadow).decode()}", highlight=False)
    finally:
        engine.close()


def unlink(
    ctx: typer.Context,
    record: Annotated[str, typer.Argument(help="An id on either side, an e-mail, phone or name.")],
    keep_apart: Annotated[
        bool, typer.Option("--keep-apart", help="Never match these two to each other again.")
    ] = False,
    pair: PairOption = None,
    entity: EntityOption = "customer",
    json_out: JsonOption = False,
) -> None:
    """Stop syncing a linked record's two sides; both records stay."""
    engine = engine_for(ctx)
    try:
        name = _pair(engine, pair)
        with engine.lease(name):
            gone = link_ops.unlink(engine.store, name, entity, record, keep_apart=keep_apart)
        if json_out:
            output.emit(
                "unlink", pair=name, entity=entity, keep_apart=keep_apart, **output.link_dict(gone)
            )
            return
        console.print(
            f"unlinked {entity} {gone.pos_id} (pos) and {gone.platform_id} (platform)"
            + ("; kept apart: never matched to each other again" if keep_apart else ""),
            highlight=False,
        )
    finally:
        engine.close()


RunArgument = Annotated[int, typer.Argument(help="The run that held writes (syncwright status).")]


def _decided(verb: str, done: held_ops.Outcome, json_out: bool) -> None:
    if json_out:
        output.emit(verb, **done.as_dict())
        return
    console.print(
        f"run {done.run_id} ({done.pair}): {done.made} held write(s) made, "
        f"{done.dropped} dropped (merged again next run)",
        highlight=False,
    )
    for line in done.stale:
        console.print(f"  not made: {line}", highlight=False, markup=False, soft_wrap=True)
    for error in done.report.errors if done.report else []:
        console.print(f"error: {error}", highlight=False, markup=False, soft_wrap=True)


def approve(ctx: typer.Context, run: RunArgument, json_out: JsonOption = False) -> None:
    """Make the writes a run's guard held (each re-checked against the state now)."""
    engine = engine_for(ctx)
    try:
        done = held_ops.approve(engine, run)
        _decided("approve", done, json_out)
        if done.report is not None and done.report.errors:
            raise typer.Exit(1)
    finally:
        engine.close()


def reject(ctx: typer.Context, run: RunArgument, json_out: JsonOption = False) -> None:
    """Drop the writes a run's guard held; their records are merged again next run."""
    engine = engine_for(ctx)
    try:
        _decided("reject", held_ops.reject(engine, run), json_out)
    finally:
        engine.close()


def plan(
    ctx: typer.Context,
    pair: PairOption = None,
    details: Annotated[
        bool, typer.Option("--details", help="Every record, with field-level changes.")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """What a run would do, without doing it: creates, links, updates, deletes, held."""
    from framework.ops.plan import plan as make_plan

    engine = engine_for(ctx)
    try:
        names = [_pair(engine, pair)] if pair else list(engine.config.pairs)
        plans = make_plan(engine, names)
        if json_out:
            output.emit("plan", plans=[p.as_dict(details) for p in plans])
            return
        for p in plans:
            console.print(f"pair {p.pair}: a run would", highlight=False)
            for entity, counts in p.summary().items():
                said = ", ".join(f"{k.replace('.', ' → ')} {n}" for k, n in counts.items())
                console.print(f"  {entity}: {said or 'change nothing'}", highlight=False)
            for line in p.held:
                console.print(f"  hold: {line}", highlight=False, soft_wrap=True)
            for h in p.held_before:
                console.print(
                    f"  held by run {h['run_id']}: {h['reason']}", highlight=False, soft_wrap=True
                )
            for error in p.report.errors:
                console.print(f"  error: {error}", highlight=False, markup=False, soft_wrap=True)
            if details:
                for m in p.moves:
                    console.print(
                        f"  {m[3]} {m[0]} {m[1]} → {m[2]} [{m[5]}] {m[4]}", highlight=False
                    )
                for e in p.changes:
                    if e.field:
                        console.print(
                            f"    {e.entity} {e.pos_id}={e.platform_id} {e.field}: "
                            f"{_value(e.old)} -> {_value(e.new)} [{e.policy}, {e.rule}]",
                            highlight=False,
                            markup=False,
                            soft_wrap=True,
                        )
                for q in p.problems:
                    console.print(
                        f"  quarantine {q['entity']} {q['record_id']} ({q['side']}) "
                        f"[{q['rule']}]: {q['reason']}",
                        highlight=False,
                        markup=False,
                        soft_wrap=True,
                    )
        console.print("nothing was written to any system; no cursor moved")
    finally:
        engine.close()
