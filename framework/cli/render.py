"""Rich rendering of run reports, moves, runs and problems for the CLI."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.console import Console, Group
from rich.table import Table

from framework.cli.tables import Column, fitted_table
from framework.engine.report import RunReport
from framework.state.store import Problem, RunRecord, WebhookStats


def connectors_table(
    connectors: list[dict[str, Any]], group: str, width: int = 80
) -> Table | Group:
    """The installed connectors (names and distributions whole: they are typed)."""
    rows = [
        [
            c["name"],
            c["distribution"],
            c["version"],
            c["side"] or "?",
            ", ".join(c["entities"]) or f"(no description: {c.get('error')})",
            ", ".join(c["rules"]),
        ]
        for c in connectors
    ]
    columns = [
        Column("connector"),
        Column("distribution"),
        Column("version"),
        Column("side"),
        Column("entities"),
        Column("rules claimed", optional=True),
    ]
    return fitted_table(f"connectors (entry-point group {group})", columns, rows, width)


def presets_table(presets: list[dict[str, Any]], width: int = 80) -> Table | Group:
    """The pair presets (their names whole)."""
    rows = [[p["name"], p["pos"], p["platform"], p["summary"]] for p in presets]
    columns = [Column("preset"), Column("pos"), Column("platform"), Column("summary", True)]
    return fitted_table("pair presets", columns, rows, width)


def summary_table(report: RunReport, width: int = 80) -> Table | Group:
    """Counts of one run by entity and action, with the calls made."""
    rows = [
        [entity, action.replace(".", " → "), str(n)]
        for entity, actions in report.by_entity().items()
        for action, n in actions.items()
        if n
    ]
    columns = [Column("entity"), Column("what happened"), Column("records", justify="right")]
    title = f"pair {report.pair}: run {report.run_id} ({report.status}, {report.seconds:.1f} s)"
    table = fitted_table(title, columns, rows, width)
    calls = ", ".join(
        f"{k.split('.')[0]}: {v}" for k, v in report.calls.items() if k.endswith(".calls")
    )
    if isinstance(table, Table):
        table.caption = f"API calls: {calls or 'none'}"
    return table


def _record(label: str) -> str:
    """``pos=platform`` with room to wrap between the two ids, never inside one."""
    return label.replace("=", " = ")


def moves_table(report: RunReport, title: str, limit: int = 15, width: int = 80) -> Table | Group:
    """What moved where, and which rule decided it; many moves are grouped by rule."""
    if len(report.moves_sample) > limit:
        rows = [
            [f"{entity} {action} → {toward}", rules, str(count), _record(str(example))]
            for (entity, action, toward, rules), (count, example) in report.by_rule.items()
        ]
        columns = [
            Column("what"),
            Column("rule"),
            Column("records", justify="right"),
            Column("for example (pos = platform)"),
        ]
        return fitted_table(title, columns, rows, width)
    rows = [
        [
            f"{move.entity} {move.action} → {move.toward}",
            _record(move.record),
            ", ".join(move.fields),
            ", ".join(move.rules),
        ]
        for move in report.moves_sample
    ]
    columns = [
        Column("what"),
        Column("record (pos = platform)"),
        Column("fields", optional=True),
        Column("rule"),
    ]
    return fitted_table(title, columns, rows, width)


def runs_table(runs: list[RunRecord], width: int = 80) -> Table | Group:
    """The latest runs (their errors are printed below the table, whole)."""
    rows = []
    for run in runs:
        seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
        moved = sum(
            n
            for k, n in run.counts.items()
            if k.split(".")[1] in ("create", "update", "delete", "link")
        )
        calls = sum(n for k, n in run.calls.items() if k.endswith(".calls"))
        rows.append(
            [
                str(run.id),
                run.pair,
                run.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                f"{seconds:.1f}" if seconds is not None else "-",
                run.status + (" (see below)" if run.error else ""),
                str(moved),
                str(calls),
            ]
        )
    columns = [
        Column("run", justify="right"),
        Column("pair"),
        Column("started (UTC)"),
        Column("seconds", justify="right"),
        Column("status"),
        Column("moved", justify="right"),
        Column("calls", justify="right"),
    ]
    return fitted_table("latest runs", columns, rows, width)


def print_runs(console: Console, runs: list[RunRecord]) -> None:
    """The latest runs, then each one's error on a line of its own."""
    console.print(runs_table(runs, console.width))
    for run in runs:
        if run.error:
            console.print(
                f"  run {run.id}: {run.error}", highlight=False, markup=False, soft_wrap=True
            )


def print_problems(console: Console, problems: list[Problem]) -> None:
    """Quarantined changes, one line each: what, where, which rule, why."""
    console.print(f"{len(problems)} open problem(s)")
    for p in problems:
        held = int((p.payload or {}).get("held_back", 0))
        if held:  # a broken link (IS-4): what it holds back, not how often it was seen
            tries = f", {held} change(s) held back"
        else:
            tries = f", {p.attempts} tries" if p.attempts > 1 else ""
        console.print(
            f"  #{p.id} {p.pair}: {p.entity} {p.record_id} on the {p.side} side "
            f"[{p.rule}{tries}]: {p.reason}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


def print_report(console: Console, report: RunReport) -> None:
    """A run's summary, its errors, and a sample of what moved."""
    console.print(summary_table(report, console.width))
    for error in report.errors:
        console.print(f"error: {error}", style="red", highlight=False, markup=False, soft_wrap=True)
    if report.moves_sample:
        console.print(
            moves_table(report, "what moved, and the rule behind it", width=console.width)
        )


def webhook_line(stats: WebhookStats) -> str:
    """``webhooks square: received 40, verified 39, … ; last 10:02:11 UTC (verified)``."""
    counts = ", ".join(f"{k} {n}" for k, n in stats.counts.items())
    last = ""
    if stats.last_at is not None:
        when = dt.datetime.fromtimestamp(stats.last_at, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        last = f"; last {when} UTC ({stats.last_status})"
    return f"webhooks {stats.system}: {counts}{last}"
