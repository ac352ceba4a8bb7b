"""``python -m benchmarks.console [--size 100k]``: how fast each console page answers.

A state store like a store's after a year: ``--size`` customers on both sides, linked,
indexed by e-mail and phone; a move log of ``--moves`` entries over 50 runs (the runs the
log keeps); ``--history`` history entries spread over the customers (issue 15: every field
written, link, approval); 1,000 open problems of a few kinds; 500 duplicate pairs on the
platform. Each
page is asked ``--repeat`` times through the console's own application (Starlette's test
client: no network, the whole of the page's work), logged in as an operator; the median and
the slowest are reported, and appended to ``benchmarks/RESULTS.md``.

The state is a SQLite file in ``--work`` (kept: later runs reuse it), or with ``--store
postgresql://...`` a PostgreSQL schema (``--schema``, tenant ``shop``; kept likewise).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from benchmarks.console_pg import copy_state
from benchmarks.server import ROOT
from benchmarks.store import parse_size, size_label
from framework.config import parse_config
from framework.console.app import create_app
from framework.console.auth import Auth, hash_password
from framework.state.sqlite import SQLiteStore
from framework.state.store import HistoryEntry, StateStore, StoredRecord

PAIR = "store"
RUNS = 50
PROBLEMS = 1_000
DUPLICATES = 500
TARGET_MS = 300


def state_settings(work: Path, url: str | None, schema: str) -> dict[str, str]:
    """Where the state is: the SQLite file in ``work``, or a PostgreSQL schema."""
    if url is None:
        return {"path": str(work / "state.db")}
    return {"url": url, "schema": schema, "tenant": "shop"}


def open_store(state: dict[str, str]) -> StateStore:
    """The benchmark's state store (a PostgreSQL schema is brought to this version first)."""
    if "url" not in state:
        return SQLiteStore(state["path"])
    from framework.state.postgres import PostgresStore, upgrade

    upgrade(state["url"], state["schema"])
    return PostgresStore(state["url"], schema=state["schema"], tenant=state["tenant"])


def config(work: Path, password_hash: str, state: dict[str, str] | None = None) -> dict[str, Any]:
    (work / "edt").mkdir(parents=True, exist_ok=True)
    return {
        "state": state or {"path": str(work / "state.db")},
        "systems": {
            "edge": {"connector": "edge", "folder": str(work / "edt"), "store_license_id": "1"},
            "square": {
                "connector": "square",
                "base_url": "http://127.0.0.1:9",
                "api_key": "bench-square-token",
            },
        },
        "pairs": {
            PAIR: {
                "preset": "edge-square",
                "pos": "edge",
                "platform": "square",
                "default_associate": "1",
            }
        },
        "console": {"users": [{"name": "op", "password_hash": password_hash, "role": "operator"}]},
    }


def customer(i: int, email: str | None = None) -> dict[str, Any]:
    return {
        "first_name": f"First{i}",
        "last_name": f"Last{i % 9973}",
        "emails": [{"address": email or f"c{i}@example.com", "label": "Home", "preferred": True}],
        "phones": [{"number": f"+1217{i:07d}", "label": "Cell", "preferred": True}],
        "custom": {"Ring size": str(4 + i % 8)},
    }


def seed(store: StateStore, size: int, moves: int, log: Any) -> None:
    """Write the state store (kept: later runs reuse it)."""
    started = time.monotonic()
    with store.transaction():
        for i in range(size):
            pos_id, platform_id = f"001-{i:08d}", f"SQ{i:010d}"
            data = customer(i)
            keys = {"email": [f"c{i}@example.com"], "phone": [f"+1217{i:07d}"]}
            link = store.add_link(PAIR, "customer", pos_id, platform_id, None)
            for side, rid in (("pos", pos_id), ("platform", platform_id)):
                store.put_record(PAIR, "customer", StoredRecord(side, rid, data, None, link.id))
                store.index_keys(PAIR, "customer", side, rid, keys)
            if i and i % 20_000 == 0:
                log(f"  {i} customers seeded")
        for d in range(DUPLICATES):  # a second record on the platform with the same e-mail
            rid = f"DUP{d:07d}"
            data = customer(d, f"c{d}@example.com")
            store.put_record(PAIR, "customer", StoredRecord("platform", rid, data))
            store.index_keys(PAIR, "customer", "platform", rid, {"email": [f"c{d}@example.com"]})
        for n in range(PROBLEMS):
            rid = f"001-{n:08d}"
            reason = (
                f"Edge customer {rid}: Emails[0]: address: invalid e-mail address "
                f"'x{n}@': There must be something after the @-sign."
                if n % 2
                else f"square refused the write of customer SQ{n:010d}: given_name too long"
            )
            store.add_problem(PAIR, "customer", "pos", rid, "G-5", reason, {"id": rid})
    per_run = moves // RUNS
    for r in range(RUNS):
        run_id = store.start_run(PAIR)
        rows = [
            ("customer", f"001-{k:08d}=SQ{k:010d}", "platform", "update", "custom", "G-4")
            for k in range(r * per_run, (r + 1) * per_run)
        ]
        with store.transaction():
            store.add_moves(run_id, rows)
        store.finish_run(
            run_id,
            "ok",
            {"customer.read.pos": per_run, "customer.update.platform": per_run},
            {"square.calls": per_run // 100},
            None,
        )
    log(f"seeded in {time.monotonic() - started:.0f} s")


HISTORY_FIELDS = ("emails", "phones", "first_name", "last_name", "custom")


def seed_history(store: StateStore, size: int, entries: int, log: Any) -> None:
    """``entries`` history entries over the customers, as runs write them (added once)."""
    have = store.history_count()
    if have >= entries:
        return
    started = time.monotonic()
    at = dt.datetime.now(dt.UTC) - dt.timedelta(days=80)
    step = dt.timedelta(days=80) / max(entries, 1)
    made = have
    while made < entries:
        batch = []
        for _ in range(min(20_000, entries - made)):
            # Spread over every customer (the last one too); one in a hundred to the
            # first customer, a record changed very often (HOT entries).
            i = 0 if made % 100 == 0 else (made * 7919) % size
            field = HISTORY_FIELDS[(made // size) % len(HISTORY_FIELDS)]  # each pass another
            batch.append(
                HistoryEntry(
                    PAIR,
                    "customer",
                    "update",
                    f"001-{i:08d}",
                    f"SQ{i:010d}",
                    i + 1,
                    field=field,
                    old=f"old{made}",
                    new=f"new{made}",
                    source="pos",
                    toward="platform",
                    policy="pos_wins",
                    rule="G-4",
                    associate="12",
                    run_id=made * RUNS // entries + 1,
                    at=at + step * made,
                )
            )
            made += 1
        with store.transaction():
            store.add_history(batch)
        if made % 200_000 == 0:
            log(f"  {made} history entries")
    log(f"history seeded in {time.monotonic() - started:.0f} s")


def pages(size: int) -> list[tuple[str, str]]:
    last = size - 1
    return [
        ("Overview", "/"),
        ("Runs", "/runs"),
        ("Run report ({moves} moves)", f"/runs/{RUNS}"),
        (f"Problems ({PROBLEMS} open)", "/problems"),
        ("Records: find by e-mail", f"/records?q=c{last}@example.com"),
        ("Records: find by phone", f"/records?q=%2B1217{last:07d}"),
        ("Records: find by name", f"/records?q=First{last}"),
        ("Record, both sides, history", f"/records/{PAIR}/customer/pos/001-{last:08d}"),
        ("Record with 1% of all history (newest 200)", f"/records/{PAIR}/customer/pos/001-{0:08d}"),
        (
            "Record, history of one field",
            f"/records/{PAIR}/customer/platform/SQ{last:010d}?field=emails",
        ),
        (f"Duplicates ({DUPLICATES} groups)", "/duplicates"),
        (
            "Merge preview",
            f"/duplicates/preview?pair={PAIR}&side=platform&survivor=SQ{0:010d}&other=DUP0000000",
        ),
        ("Run now", "/run-now"),
        ("Plan and guard (held runs)", "/plan"),
    ]


def measure(
    work: Path,
    size: int,
    moves: int,
    repeat: int,
    log: Any,
    history: int = 0,
    state: dict[str, str] | None = None,
) -> list[tuple[str, float, float, float]]:
    password = "bench-password"
    local = state_settings(work, None, "")
    state = state or local
    settings = config(work, hash_password(password), state)
    store = open_store(local)  # seeded in SQLite; copied into PostgreSQL when asked
    try:
        if store.links_count(PAIR) == 0:
            log(f"seeding {size} customers and {moves} move-log entries in {work}")
            seed(store, size, moves, log)
        if history:
            seed_history(store, size, history, log)
    finally:
        store.close()
    if state is not local:
        target = open_store(state)
        empty = target.links_count(PAIR) == 0
        target.close()
        if empty:
            copy_state(Path(local["path"]), state, log)
    cfg, hooks = parse_config(settings, source="bench.toml", base_dir=work)
    app = create_app(cfg, hooks, auth=Auth.from_config(cfg.console), session_secret="b" * 32)
    results = []
    with TestClient(app) as client:
        page = client.get("/login").text
        csrf = page.split('name="csrf" value="')[1].split('"')[0]
        client.post("/login", data={"csrf": csrf, "name": "op", "password": password})
        for title, path in pages(size):
            times, cpu = [], []
            for _ in range(repeat):
                start, used = time.perf_counter(), time.process_time()
                answer = client.get(path)
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - used) * 1000)
                if answer.status_code != 200:
                    raise SystemExit(f"{path}: {answer.status_code} {answer.text[-300:]}")
                if "history" in title and 'class="entry' not in answer.text:
                    raise SystemExit(f"{path}: the page shows no history entry")
            shown = title.format(moves=moves // RUNS)
            results.append((shown, statistics.median(times), max(times), statistics.median(cpu)))
            log(f"  {title.format(moves=moves // RUNS)}: {results[-1][1]:.0f} ms")
    app.state.console.close()
    return results


def markdown(
    size: int,
    moves: int,
    repeat: int,
    results: list[tuple[str, float, float, float]],
    note: str,
    history: int = 0,
    store: str = "SQLite",
) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        f"## Console pages, {size_label(size)} customers — "
        f"{dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M')} UTC",
        "",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs; "
        f"CPython {platform.python_version()}; commit {commit}",
        f"- state ({store}): {size} customers on each side (linked), {moves} move-log entries over "
        f"{RUNS} runs, {history} history entries, {PROBLEMS} open problems, "
        f"{DUPLICATES} duplicate pairs; "
        f"load average after {load}",
        f"- each page asked {repeat} times in-process (Starlette's test client), logged in; "
        f"target {TARGET_MS} ms; CPU ms: the process's CPU time for the page (all threads), "
        "what a machine not shared with other work waits",
    ]
    if note:
        lines.append(f"- {note}")
    lines += [
        "",
        "| page | median ms | slowest ms | median CPU ms |",
        "|---|---|---|---|",
    ]
    lines += [f"| {t} | {m:.0f} | {x:.0f} | {c:.0f} |" for t, m, x, c in results]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.console", description=__doc__)
    parser.add_argument("--size", default="100k")
    parser.add_argument("--moves", type=int, default=1_000_000)
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / ".work" / "console")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    parser.add_argument("--no-append", action="store_true")
    parser.add_argument("--note", default="")
    parser.add_argument("--store", default=None, help="postgresql://... (default: SQLite)")
    parser.add_argument("--schema", default="bench_console")
    args = parser.parse_args(argv)
    size = parse_size(args.size)
    work = args.work / f"{size}-{args.moves}"
    work.mkdir(parents=True, exist_ok=True)
    schema = f"{args.schema}_{size}"
    state = state_settings(work, args.store, schema)
    results = measure(work, size, args.moves, args.repeat, print, args.history, state)
    label = "SQLite" if args.store is None else f"PostgreSQL, schema {schema}, tenant shop"
    text = markdown(size, args.moves, args.repeat, results, args.note, args.history, label)
    print(text)
    if not args.no_append:
        with args.results.open("a", encoding="utf-8") as out:
            out.write("\n" + text)


if __name__ == "__main__":
    main()
