"""The benchmark's report: rich tables on the terminal, a section appended to RESULTS.md."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.server import ROOT
from benchmarks.store import size_label

PACKAGES = ("httpx", "httpcore", "pydantic", "uvicorn", "starlette", "orjson", "pyrate-limiter")


def machine() -> dict[str, str]:
    """Where and with what the benchmark ran."""
    versions = ", ".join(f"{p} {importlib.metadata.version(p)}" for p in PACKAGES)
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {_cpu_model()}",
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "commit": _commit(),
        "versions": versions,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    # Changes to the results file itself (appended by every run) do not count.
    changed = git("status", "--porcelain", "--", ".", ":!benchmarks/RESULTS.md")
    return f"{commit}{' (uncommitted changes)' if changed else ''}"


# -- figures ----------------------------------------------------------------------------------


def upload_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Per variant of the upload: records/s of engine and floor, their ratio, calls, memory."""
    records = results["records"]
    rows = []
    for variant, measured in results["upload"].items():
        engine, floor = measured["engine"], measured["floor"]
        calls = engine["requests"]["count"]
        rows.append(
            {
                "variant": variant,
                "seconds": engine["seconds"],
                "records_per_second": records / engine["seconds"],
                "floor_seconds": floor["seconds"],
                "floor_records_per_second": records / floor["seconds"],
                "ratio": engine["seconds"] / floor["seconds"],
                "calls": calls,
                "floor_calls": floor["requests"],
                "calls_per_record": calls / records,
                "peak_rss_mb": engine["peak_rss_mb"],
                "read_ahead_rss_mb": engine.get("read_ahead_rss_mb", 0.0),
                "floor_peak_rss_mb": floor["peak_rss_mb"],
                "gc_seconds": engine.get("gc_seconds", 0.0),
                "moved": moved(engine["counts"]),
            }
        )
    return rows


def latency_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Per number in flight of the latency runs: records/s of engine and floor, their ratio."""
    latency = results.get("latency")
    if not latency:
        return []
    records = results["records"]
    rows = []
    for n, measured in latency["by_in_flight"].items():
        engine, floor = measured["engine"], measured["floor"]
        rows.append(
            {
                "in_flight": int(n),
                "latency_ms": latency["latency_seconds"] * 1000,
                "seconds": engine["seconds"],
                "records_per_second": records / engine["seconds"],
                "floor_seconds": floor["seconds"],
                "floor_records_per_second": records / floor["seconds"],
                "of_floor": floor["seconds"] / engine["seconds"],
                "calls": engine["requests"]["count"],
                "calls_per_record": engine["requests"]["count"] / records,
                "peak_rss_mb": engine["peak_rss_mb"],
                "same_statuses": floor["statuses"] == engine["requests"]["statuses"],
                "errors": engine["errors"],
            }
        )
    return rows


def cpu_line(results: dict[str, Any]) -> str | None:
    """Where the CPU of the upload over uvicorn went: the engine's process and its server,
    the floor's client and its server (``None`` for results recorded without it).

    An engine process near one core for its whole run is bound by its own interpreter, not
    by the platform: overlapping more cannot shorten it (benchmarks/README.md).
    """
    measured = results["upload"].get("uvicorn")
    if measured is None or "cpu_seconds" not in measured["engine"]:
        return None
    engine, floor = measured["engine"], measured["floor"]

    def part(run: dict[str, Any]) -> str:
        share = run["cpu_seconds"] / run["seconds"] if run["seconds"] else 0.0
        text = f"{run['cpu_seconds']:.1f} s in {run['seconds']:.1f} s ({share:.0%} of a core)"
        if "server_cpu_seconds" in run:
            text += f", its server {run['server_cpu_seconds']:.1f} s"
        return text

    records = results["records"]
    per_record = (
        f"; per record {engine['cpu_seconds'] / records * 1000:.2f} ms of CPU in the engine's "
        f"process, {floor['cpu_seconds'] / records * 1000:.2f} ms in the floor's client"
    )
    return (
        f"CPU over uvicorn: engine process {part(engine)}; floor client {part(floor)}"
        + per_record
        + (bounds(engine, floor, results.get("cpus")) or "")
    )


def bounds(engine: dict[str, Any], floor: dict[str, Any], cpus: int | None) -> str | None:
    """What no arrangement of today's work could beat on this machine, as engine/floor.

    The engine's main thread (reading, reconciling, settling: the state store's statements in
    order) is one sequence, so however the rest were moved elsewhere the upload would take
    at least its seconds; and the engine's process and its server, spread over every core
    without a moment lost, would take their CPU over the cores (benchmarks/README.md, "What
    is left"). ``None`` for results kept before the main thread's CPU and the cores were.
    """
    if "main_thread_cpu_seconds" not in engine or not cpus or not floor["seconds"]:
        return None
    spread = (engine["cpu_seconds"] + engine["server_cpu_seconds"]) / cpus
    main = engine["main_thread_cpu_seconds"]
    return (
        f"; the engine's main thread {main:.1f} s ({main / floor['seconds']:.2f} x the floor's "
        f"seconds), its other threads {engine['cpu_seconds'] - main:.1f} s; the engine and its "
        f"server spread over {cpus} cores without loss {spread:.1f} s "
        f"({spread / floor['seconds']:.2f} x the floor)"
    )


def moved(counts: dict[str, int]) -> int:
    """Records created, updated, deleted or linked on either side."""
    return sum(
        n for k, n in counts.items() if k.split(".")[1] in ("create", "update", "delete", "link")
    )


def read(counts: dict[str, int]) -> int:
    """Records read from either side."""
    return sum(n for k, n in counts.items() if ".read." in k)


def incremental_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Per incremental run: time, calls, pages read per feed, records read and moved, memory."""
    rows = []
    for name, run in results["incremental"].items():
        feeds = {k: v for k, v in run["requests"]["by_route"].items() if k.startswith("GET ")}
        rows.append(
            {
                "run": name,
                "seconds": run["seconds"],
                "calls": run["requests"]["count"],
                "most_pages_per_feed": max(feeds.values(), default=0),
                "read": read(run["counts"]),
                "moved": moved(run["counts"]),
                "changed": run.get("changed"),
                "peak_rss_mb": run["peak_rss_mb"],
                "errors": run["errors"],
            }
        )
    return rows


# -- terminal -----------------------------------------------------------------------------------


def print_report(console: Console, results: dict[str, Any], info: dict[str, str]) -> None:
    """The figures as tables."""
    platform = results.get("platform", "Clientbook")
    console.rule(
        f"syncwright benchmark, {results.get('pair', 'edge-clientbook')}, "
        f"{size_label(results['size'])} customers"
    )
    console.print(
        f"{info['date']} · {info['machine']} · {info['python']} · commit {info['commit']}\n"
        f"{info['versions']}\nload average before {_load(results['load_before'])}, "
        f"after {_load(results['load_after'])}"
    )
    store = ", ".join(f"{v} {k}" for k, v in results["store"].items())
    console.print(f"store: {store} ({results['records']} records)")
    table = Table(
        title=f"initial upload to {platform} (engine vs floor, "
        f"{results.get('in_flight', 1)} in flight)"
    )
    for column in (
        platform,
        "engine s",
        "rec/s",
        "floor s",
        "floor rec/s",
        "engine/floor",
        "calls",
        "calls/rec",
        "GC s",
        "peak RSS MB",
        "read-ahead RSS MB",
        "floor RSS MB",
    ):
        table.add_column(column, justify="right" if column != platform else "left")
    for r in upload_rows(results):
        table.add_row(
            r["variant"],
            f"{r['seconds']:.2f}",
            f"{r['records_per_second']:.0f}",
            f"{r['floor_seconds']:.2f}",
            f"{r['floor_records_per_second']:.0f}",
            f"{r['ratio']:.2f}",
            str(r["calls"]),
            f"{r['calls_per_record']:.3f}",
            f"{r['gc_seconds']:.2f}",
            f"{r['peak_rss_mb']:.0f}",
            f"{r['read_ahead_rss_mb']:.0f}",
            f"{r['floor_peak_rss_mb']:.0f}",
        )
    console.print(table)
    if (cpu := cpu_line(results)) is not None:
        console.print(cpu)
    if "incremental" in results:
        table = Table(title=f"incremental runs ({platform} over uvicorn)")
        for column in ("run", "s", "calls", "pages/feed", "read", "moved", "peak RSS MB"):
            table.add_column(column, justify="right" if column != "run" else "left")
        for r in incremental_rows(results):
            table.add_row(
                r["run"],
                f"{r['seconds']:.2f}",
                str(r["calls"]),
                str(r["most_pages_per_feed"]),
                str(r["read"]),
                str(r["moved"]),
                f"{r['peak_rss_mb']:.0f}",
            )
        console.print(table)
    for line in rate_lines(results.get("rate_limit")):
        console.print(line)
    rows = latency_rows(results)
    if rows:
        table = Table(title=f"upload with {rows[0]['latency_ms']:g} ms latency (uvicorn)")
        for column in LATENCY_COLUMNS:
            table.add_column(column, justify="right")
        for r in rows:
            table.add_row(*_latency_cells(r))
        console.print(table)


LATENCY_COLUMNS = (
    "in flight",
    "engine s",
    "rec/s",
    "floor s",
    "floor rec/s",
    "of the floor",
    "calls",
    "calls/rec",
    "peak RSS MB",
)


def _latency_cells(r: dict[str, Any]) -> list[str]:
    return [
        str(r["in_flight"]),
        f"{r['seconds']:.2f}",
        f"{r['records_per_second']:.0f}",
        f"{r['floor_seconds']:.2f}",
        f"{r['floor_records_per_second']:.0f}",
        f"{r['of_floor']:.1%}",
        str(r["calls"]),
        f"{r['calls_per_record']:.3f}",
        f"{r['peak_rss_mb']:.0f}",
    ]


def rate_lines(rate: dict[str, Any] | None) -> list[str]:
    """The rate-limited run in words: one line per window (none when it did not run)."""
    if not rate:
        return []
    lines = [
        f"rate limit: the fake allows {rate['allowed_per_second']:.2f} requests/s, the engine "
        f"is configured to {rate['cap_per_minute']}/min"
    ]
    for name, what in (("start", "from its first request"), ("steady", "the next")):
        w = rate[name]
        early = " (the upload finished early)" if w["finished_early"] else ""
        lines.append(
            f"{what} {w['seconds']:.1f} s{early}: {w['achieved_per_second']:.2f} requests/s = "
            f"{w['efficiency']:.1%} of the allowed rate; {w['share_429']:.2%} answered 429 "
            f"({w['rate_limited']} of {w['requests'] + w['rate_limited']})"
        )
    return lines


def _load(load: list[float] | tuple[float, ...]) -> str:
    return " ".join(f"{x:.2f}" for x in load)


# -- RESULTS.md ---------------------------------------------------------------------------------


def markdown(results: dict[str, Any], info: dict[str, str], note: str = "") -> str:
    """One section of RESULTS.md."""
    pair = results.get("pair", "edge-clientbook")
    platform = results.get("platform", "Clientbook")
    title = f"{size_label(results['size'])} customers"
    if pair != "edge-clientbook":  # the sections before --pair are all Edge -> Clientbook
        title = f"{pair}, {title}"
    lines = [
        f"## {title} — {info['date']}",
        "",
        f"- machine: {info['machine']}; {info['os']}; {info['python']}",
        f"- commit {info['commit']}; {info['versions']}",
        f"- load average before {_load(results['load_before'])}, "
        f"after {_load(results['load_after'])}" + (f"; {note}" if note else ""),
        "- store: "
        + ", ".join(f"{v} {k}" for k, v in results["store"].items())
        + f" ({results['records']} records)",
        "",
        f"uploads without latency: {results.get('in_flight', 1)} requests in flight, engine "
        "and floor",
        "",
        f"| upload, {platform} | engine s | rec/s | floor s | floor rec/s | engine/floor "
        "| calls | calls/rec | GC s | peak RSS MB (+ read ahead) (floor) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in upload_rows(results):
        lines.append(
            f"| {r['variant']} | {r['seconds']:.2f} | {r['records_per_second']:.0f} "
            f"| {r['floor_seconds']:.2f} | {r['floor_records_per_second']:.0f} "
            f"| {r['ratio']:.2f} | {r['calls']} | {r['calls_per_record']:.3f} "
            f"| {r['gc_seconds']:.2f} | {r['peak_rss_mb']:.0f} "
            f"(+ {r['read_ahead_rss_mb']:.0f}) ({r['floor_peak_rss_mb']:.0f}) |"
        )
    routes = results["upload"]["uvicorn"]["engine"]["requests"]["by_route"]
    lines += [
        "",
        "- upload calls by route: " + ", ".join(f"{n} {route}" for route, n in routes.items()),
        *([f"- {cpu}"] if (cpu := cpu_line(results)) is not None else []),
        "",
    ]
    if "incremental" in results:
        lines += [
            "| incremental run | s | calls | most pages of one feed | read | moved | peak RSS MB |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in incremental_rows(results):
            lines.append(
                f"| {r['run']} | {r['seconds']:.2f} | {r['calls']} | {r['most_pages_per_feed']} "
                f"| {r['read']} | {r['moved']} | {r['peak_rss_mb']:.0f} |"
            )
        lines.append("")
    rate = rate_lines(results.get("rate_limit"))
    if rate:
        lines += [*(f"- {line}" for line in rate), ""]
    rows = latency_rows(results)
    if rows:
        lines += [
            f"| {rows[0]['latency_ms']:g} ms latency | " + " | ".join(LATENCY_COLUMNS[1:]) + " |",
            "|---" * len(LATENCY_COLUMNS) + "|",
            *("| " + " | ".join(_latency_cells(r)) + " |" for r in rows),
            "",
        ]
    return "\n".join(lines)


def append_results(path: Path, text: str) -> None:
    """Append a section to RESULTS.md (created with its heading when missing)."""
    if not path.exists():
        path.write_text(HEADER)
    with path.open("a") as f:
        f.write("\n" + text)


HEADER = """# Benchmark results

Appended by `nox -s bench` (`python -m benchmarks`); the method is in `benchmarks/README.md`.
"""
