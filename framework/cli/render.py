"""Rich rendering of run reports, moves, runs and problems for the CLI."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from framework.engine.report import RunReport
from framework.state.store import Problem, RunRecord


def connectors_table(connectors: list[dict[str, Any]], group: str) -> Table:
    """The installed connectors; names and distributions are never cut (they are typed)."""
    table = Table(title=f"connectors (entry-point group {group})")
    table.add_column("connector", no_wrap=True)
    table.add_column("distribution", no_wrap=True)
    table.add_column("version", no_wrap=True)
    table.add_column("side")
    table.add_column("entities")
    table.add_column("rules claimed")
    for c in connectors:
        entities = ", ".join(c["entities"]) or f"(no description: {c.get('error')})"
        table.add_row(
            c["name"],
            c["distribution"],
            c["version"],
            c["side"] or "?",
            entities,
            ", ".join(c["rules"]),
        )
    return table


def presets_table(presets: list[dict[str, Any]]) -> Table:
    """The pair presets; their names are never cut."""
    table = Table(title="pair presets")
    table.add_column("preset", no_wrap=True)
    table.add_column("pos", no_wrap=True)
    table.add_column("platform", no_wrap=True)
    table.add_column("summary")
    for p in presets:
        table.add_row(p["name"], p["pos"], p["platform"], p["summary"])
    return table


def summary_table(report: RunReport) -> Table:
    """Counts of one run by entity and action, with the calls made."""
    table = Table(
        title=f"pair {report.pair}: run {report.run_id} ({report.status}, {report.seconds:.1f} s)"
    )
    table.add_column("entity")
    table.add_column("what happened")
    table.add_column("records", justify="right")
    for entity, actions in report.by_entity().items():
        for action, n in actions.items():
            if n:
                table.add_row(entity, action.replace(".", " → "), str(n))
    calls = ", ".join(
        f"{k.split('.')[0]}: {v}" for k, v in report.calls.items() if k.endswith(".calls")
    )
    table.caption = f"API calls: {calls or 'none'}"
    return table


def moves_table(report: RunReport, title: str, limit: int = 15) -> Table:
    """What moved where, and which rule decided it; many moves are grouped by rule."""
    table = Table(title=title)
    if len(report.moves_sample) > limit:
        for name in ("entity", "action", "toward", "rule", "records", "for example"):
            table.add_column(name)
        for (entity, action, toward, rules), (count, example) in report.by_rule.items():
            table.add_row(entity, action, toward, rules, str(count), str(example))
        return table
    for name in ("entity", "record (pos=platform)", "toward", "action", "fields", "rule"):
        table.add_column(name)
    for move in report.moves_sample:
        table.add_row(
            move.entity,
            move.record,
            move.toward,
            move.action,
            ", ".join(move.fields)[:40],
            ", ".join(move.rules),
        )
    return table


def runs_table(runs: list[RunRecord]) -> Table:
    """The latest runs."""
    table = Table(title="latest runs")
    for name in ("run", "pair", "started (UTC)", "seconds", "status", "moved", "calls", "error"):
        table.add_column(name)
    for run in runs:
        seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
        moved = sum(
            n
            for k, n in run.counts.items()
            if k.split(".")[1] in ("create", "update", "delete", "link")
        )
        calls = sum(n for k, n in run.calls.items() if k.endswith(".calls"))
        table.add_row(
            str(run.id),
            run.pair,
            run.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            f"{seconds:.1f}" if seconds is not None else "-",
            run.status,
            str(moved),
            str(calls),
            (run.error or "")[:80],
        )
    return table


def print_problems(console: Console, problems: list[Problem]) -> None:
    """Quarantined changes, one line each: what, where, which rule, why."""
    console.print(f"{len(problems)} open problem(s)")
    for p in problems:
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
    console.print(summary_table(report))
    for error in report.errors:
        console.print(f"[red]error:[/red] {error}")
    if report.moves_sample:
        console.print(moves_table(report, "what moved, and the rule behind it"))
