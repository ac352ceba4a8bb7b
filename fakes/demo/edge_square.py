"""``syncwright demo edge-square``: a jeweller's Edge and Square (point of sale + Appointments).

Starts the fake Edge (EDT files in a temporary folder) and the fake Square (uvicorn on
127.0.0.1, real HTTP, driven by the official SDK inside the connector), seeds both, runs the
initial sync, shows the duplicate candidates Square holds (SQ-2), merges one group because
the demo asks (as a user would), lets Square merge another itself, and syncs again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from fakes.demo import demo_folder, save_config, tell_where
from fakes.edge import EdgeFake, add_seed
from fakes.seed import customers
from fakes.square import SquareState, make_app, seed_square
from fakes.toolkit import BackgroundServer
from framework.cli import render
from framework.cli.progress import RunProgress
from framework.config import parse_config
from framework.engine.duplicates import find_duplicates, merge_duplicates
from framework.engine.engine import Engine

TOKEN = "demo-square-token"


def config(folder: Path, url: str) -> dict[str, Any]:
    """The demo's configuration (what a store would write in syncwright.toml)."""
    return {
        "state": {"path": str(folder / "syncwright.db")},
        "engine": {"retry_initial_wait": 0.2},
        "systems": {
            "edge": {
                "connector": "edge",
                "folder": str(folder / "edt"),
                "store_license_id": "1001",
            },
            "square": {"connector": "square", "base_url": url, "api_key": TOKEN},
        },
        "pairs": {
            "store": {
                "preset": "edge-square",
                "pos": "edge",
                "platform": "square",
                "default_associate": "1",
                "flows": {"customer": {"pos_filter": [{"field": "sync_flag", "eq": True}]}},
            }
        },
    }


def demo(console: Console, customers: int = 300, runs: int = 3, folder: Path | None = None) -> None:
    """Run the demo (see the module docstring)."""
    where = demo_folder(folder)
    _run(console, where, customers, runs)
    tell_where(console, where)


def _duplicates(square: SquareState) -> list[str]:
    """The same client made at the till and again from Appointments (SQ-1)."""
    made = []
    for n, (first, last) in enumerate([("Mara", "Quill"), ("Ivo", "Brand")]):
        email = f"{first.lower()}.{last.lower()}@example.com"
        pos = square.create_customer(
            {"given_name": first, "family_name": last, "email_address": email}, "DIRECTORY"
        )
        appt = square.create_customer(
            {
                "given_name": first,
                "family_name": last,
                "email_address": email.upper(),
                "phone_number": f"+1217555{n:04d}",
            },
            "APPOINTMENTS",
        )
        square.create_booking(
            {
                "location_id": "L1",
                "start_at": "2030-05-01T10:00:00Z",
                "customer_id": appt["id"],
                "appointment_segments": [
                    {"team_member_id": "TM1", "service_variation_id": "RING-SIZING"}
                ],
            }
        )
        made += [pos["id"], appt["id"]]
    return made


def _run(console: Console, folder: Path, size: int, runs: int) -> None:
    edge = EdgeFake(folder / "edt")
    for seed in customers(size):
        add_seed(edge, seed)
    square = SquareState(token=TOKEN)
    seed_square(square, max(3, size // 10))
    dup = _duplicates(square)
    server = BackgroundServer(make_app(square)).start()
    try:
        cfg, hooks = parse_config(config(folder, server.url), source="demo", base_dir=folder)
        save_config(folder, config(folder, server.url))
        engine = Engine(cfg, hooks)
        try:
            console.rule("[bold]1. initial sync (G-2): Edge customers up, Square's down (SQ-1)")
            edge.run_cycle()
            with RunProgress(console) as progress:
                render.print_report(console, engine.run_pair("store", progress))
            for _ in range(2):
                edge.run_cycle()
                engine.run_pair("store")
            console.rule("[bold]2. duplicate candidates in Square (SQ-2): reported, not merged")
            groups = find_duplicates(engine, "store", side="platform")
            for group in groups:
                keys = ", ".join(f"{k} {v}" for k, v in group.keys)
                names = "; ".join(f"{r.id} {r.name}" for r in group.records)
                console.print(f"  • {keys}: {names}")
            console.rule("[bold]3. the store asks to merge the first group")
            done = merge_duplicates(engine, "store", "customer", "platform", dup[0], [dup[1]])
            console.print(f"  merged {done.merged} into {done.survivor}: {done.details['done']}")
            console.rule("[bold]4. a merge made in Square's dashboard: relinked, not duplicated")
            merged = square.merge_customers([dup[2], dup[3]])
            console.print(f"  Square merged {dup[2]} and {dup[3]} into {merged['id']}")
            for n in range(runs):
                edge.run_cycle()
                report = engine.run_pair("store")
                if n == 0:
                    render.print_report(console, report)
            console.rule("[bold]the state after the demo")
            live = sum(1 for _ in square.customers.live())
            console.print(
                f"{engine.store.links_count('store')} links; Square holds {live} customers; "
                f"Edge holds {len(edge.customers)}; open problems: "
                f"{len(engine.store.problems())}; merges recorded: "
                f"{len(engine.store.merges())}"
            )
        finally:
            engine.close()
    finally:
        server.stop()
