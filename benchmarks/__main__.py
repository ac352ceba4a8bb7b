"""``python -m benchmarks [--size 1k|10k|100k|N] [--pair NAME]``: run the benchmark, print and
record it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console

from benchmarks.pairs import PAIRS
from benchmarks.report import append_results, machine, markdown, print_report
from benchmarks.runner import Bench, Options
from benchmarks.server import ROOT
from benchmarks.store import parse_size


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--size", default="10k", help="1k, 10k, 100k or a number of customers")
    parser.add_argument(
        "--pair",
        default="edge-clientbook",
        choices=list(PAIRS),
        help="the bundled pair whose upload is measured (incremental runs: edge-clientbook only)",
    )
    parser.add_argument("--rate-limit", default="600/60", help="the fake's cap, REQUESTS/SECONDS")
    parser.add_argument(
        "--rate-seconds", type=float, default=30.0, help="rate-limited run time (0: no such run)"
    )
    parser.add_argument(
        "--latency",
        default="100ms",
        help="the served fake's delay before each answer in the latency runs (0: no such runs)",
    )
    parser.add_argument(
        "--in-flight",
        default="1,8",
        help="requests in flight of the latency runs, engine and floor (comma-separated)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="only the uploads, profiled (pyinstrument)"
    )
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / ".work")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    parser.add_argument("--no-append", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument("--note", default="", help="a remark for RESULTS.md")
    args = parser.parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 120)
    options = Options(
        size=parse_size(args.size),
        pair=args.pair,
        work=args.work,
        rate_limit=args.rate_limit,
        rate_seconds=args.rate_seconds,
        profile=args.profile,
        latency=parse_latency(args.latency),
        in_flight=tuple(int(n) for n in args.in_flight.split(",") if n.strip()),
        log=lambda text: console.print(f"[dim]{text}[/dim]"),
    )
    results = Bench(options).run()
    info = machine()
    (args.work / "results.json").write_text(json.dumps({"info": info, **results}, indent=1))
    if args.profile:
        for variant, measured in results["upload"].items():
            engine = measured["engine"]
            console.rule(f"profile of the upload ({variant}), {engine['seconds']:.1f} s profiled")
            console.print(f"GC: {engine['gc_seconds']:.2f} s {engine['gc_collections']}")
            for title, key in (("parts of the code", "parts"), ("functions", "top")):
                console.print(f"[bold]{title}, by own time[/bold]")
                for item in engine["profile"][key][:15]:
                    console.print(f"{item['seconds']:7.2f} s {item['share']:6.1%}  {item['where']}")
            sql = engine["sql"]
            console.print(
                f"[bold]SQL statements, by time[/bold]: {sql['statements']:,} "
                f"in {sql['seconds']:.2f} s (timed, so slower than unprofiled)"
            )
            for item in sql["top"][:15]:
                console.print(f"{item['seconds']:7.2f} s {item['count']:9,}  {item['sql']}")
        return  # a profiled run is slower: its figures are not the benchmark's
    print_report(console, results, info)
    if not args.no_append:
        append_results(args.results, markdown(results, info, args.note))
        console.print(f"appended to {args.results}")


def parse_latency(text: str) -> float:
    """``100ms``, ``0.1s``, ``0.1`` (seconds) or ``0``: seconds."""
    text = text.strip().lower()
    try:
        if text.endswith("ms"):
            return float(text[:-2]) / 1000
        return float(text.removesuffix("s"))
    except ValueError:
        raise SystemExit(f"--latency {text!r}: a delay such as 100ms, 0.1s or 0") from None


if __name__ == "__main__":
    main()
