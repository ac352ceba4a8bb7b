"""``syncwright demo edge-podium``: a jeweller's Edge and its Podium account (Clientele+).

Starts the fake Edge (EDT files in a temporary folder) and the fake Podium (uvicorn on
127.0.0.1, real HTTP, OAuth tokens, its write queue and its 300-a-minute limit), seeds both,
runs the initial upload, then edits both sides between incremental runs and prints what
moved where under which rule (PD-1 ... PD-6). Each run is "15 minutes later" on Podium's
clock, so its queue has taken the last run's writes.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

from rich.console import Console

from fakes.demo import demo_folder, save_config, tell_where
from fakes.demo.activity import product_filters
from fakes.edge import EdgeFake, add_seed
from fakes.podium import PodiumState, make_app, seed_podium
from fakes.seed import customers
from fakes.toolkit import BackgroundServer
from framework.cli import render
from framework.cli.progress import RunProgress
from framework.config import parse_config
from framework.engine.engine import Engine
from framework.errors import ConfigError

CLIENT = {"client_id": "demo-app", "client_secret": "demo-secret", "refresh_token": "demo-grant"}


def config(folder: Path, url: str, tier: str = "clientele_plus") -> dict[str, Any]:
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
            "podium": {
                "connector": "podium",
                "base_url": url,
                "token_url": f"{url}/oauth/token",
                "tier": tier,
                **CLIENT,
            },
        },
        "pairs": {
            "store": {
                "preset": "edge-podium",
                "pos": "edge",
                "platform": "podium",
                "default_associate": "1",
                "flows": {
                    "customer": {"fields": {"custom": {"map": {"CustomerKey1": "Ring size"}}}},
                    "product": {"pos_filter": product_filters()},
                },
            }
        },
    }


def demo(console: Console, customers: int = 60, runs: int = 2, folder: Path | None = None) -> None:
    """Run the demo (see the module docstring); sizes stay under Podium's rate limit."""
    where = demo_folder(folder)
    _run(console, where, min(customers, 150), runs)
    tell_where(console, where)


def _run(console: Console, folder: Path, size: int, runs: int) -> None:
    rnd = random.Random(2027)
    edge = EdgeFake(folder / "edt")
    keys = [add_seed(edge, c) for c in customers(size)]
    podium = PodiumState(
        client_id=CLIENT["client_id"],
        client_secret=CLIENT["client_secret"],
        refresh_token=CLIENT["refresh_token"],
    )
    seed_podium(podium, max(3, size // 10))
    _seed_activity(edge, keys, rnd)
    server = BackgroundServer(make_app(podium)).start()
    try:
        console.rule("[bold]PD-1: item sync on a Clientele account is refused before anything runs")
        try:
            parse_config(config(folder, server.url, "clientele"), source="demo", base_dir=folder)
        except ConfigError as exc:
            console.print(f"  {exc}")
        cfg, hooks = parse_config(config(folder, server.url), source="demo", base_dir=folder)
        save_config(folder, config(folder, server.url))
        engine = Engine(cfg, hooks)
        try:
            console.rule("[bold]1. initial upload (G-2, PD-2): Edge up, Podium's new contacts down")
            console.print(
                f"Edge: {len(edge.customers)} customers, {len(edge.tables['ItemList'].records)} "
                f"items; Podium (Clientele+): {sum(1 for _ in podium.contacts.live())} contacts "
                f"at {server.url}"
            )
            edge.run_cycle()
            with RunProgress(console) as progress:
                render.print_report(console, engine.run_pair("store", progress))
            for n in range(1, runs + 2):
                podium.clock.offset += dt.timedelta(minutes=15)
                console.rule(f"[bold]{n + 1}. fifteen minutes later: Podium's queue has run")
                for line in _edit(edge, podium, keys, rnd) if n > 1 else []:
                    console.print(f"  • {line}")
                edge.run_cycle()
                render.print_report(console, engine.run_pair("store"))
            console.rule("[bold]the state after the demo")
            for _ in range(2):
                podium.clock.offset += dt.timedelta(minutes=15)
                edge.run_cycle()
                engine.run_pair("store")
            _state(console, engine, edge, podium, keys)
        finally:
            engine.close()
    finally:
        server.stop()


def _seed_activity(edge: EdgeFake, keys: list[str], rnd: random.Random) -> None:
    """Inventory, sales, service jobs and appointments of a few customers."""
    items = [
        edge.add_item(
            f"{rnd.choice(['Diamond', 'Opal', 'Sapphire'])} {rnd.choice(['ring', 'pendant'])}",
            price=float(rnd.randrange(200, 6000)),
            inventory_type=rnd.choices(["Stock", "Memo"], [5, 1])[0],
        )
        for _ in range(12)
    ]
    for n, key in enumerate(keys[:5]):
        edge.add_sale(
            key, [{"item": items[n], "amount": 500.0}, {"desc": "Gift box", "amount": 5.0}]
        )
        edge.add_job(key, "Repair", "Resize ring", description="Size 6 to 7")
        edge.add_appointment(key, dt.datetime(2026, 12, 5 + n, 14, 0), reason="Ring fitting")


def _edit(edge: EdgeFake, podium: PodiumState, keys: list[str], rnd: random.Random) -> list[str]:
    """One round of edits a store and its Podium users would make."""
    said = []
    key = rnd.choice(keys[:5])
    job = next(k for k, v in edge.tables["JobList"].records.items() if v["JobCustKey"] == key)
    edge.set_job_status(job, "Done")
    said.append(f"Edge: repair {job} of {key} is Done (PD-5: a timeline event)")
    appointment = next(
        k
        for k, v in edge.tables["AppointmentList"].records.items()
        if v["AppointmentCustKey"] == key
    )
    edge.set_appointment_status(appointment, "Completed")
    said.append(f"Edge: appointment {appointment} completed (PD-5: a timeline event)")
    contact = rnd.choice(list(podium.contacts.live()))
    podium.add_email(contact["id"], f"added.{rnd.randint(100, 999)}@example.com")
    said.append("Podium: a user adds an e-mail to a contact (PD-3: added in Edge as a new method)")
    new = podium.add_contact("Noor Haddad", email=f"noor.{rnd.randint(1000, 9999)}@example.com")
    said.append(f"Podium: new contact {new['uid'][:8]}… (PD-3: comes down, acquisition Podium)")
    return said


def _state(
    console: Console, engine: Engine, edge: EdgeFake, podium: PodiumState, keys: list[str]
) -> None:
    podium.settle(everything=True)
    products = list(podium.products.live())
    archived = sum(1 for p in products if p["archived_at"])
    purchases = sum(len(p) for p in podium.purchases.values())
    events = sum(len(e) for e in podium.timeline.values())
    console.print(
        f"{engine.store.links_count('store', 'customer')} linked customers; Podium holds "
        f"{sum(1 for _ in podium.contacts.live())} contacts; Edge holds {len(edge.customers)} "
        f"customers; products {len(products)} ({archived} archived); client purchases "
        f"{purchases}; timeline events {events}; open problems: {len(engine.store.problems())}"
    )
    link = engine.store.link_by_id("store", "customer", "pos", keys[0])
    if link is not None and not link.pending_on("platform"):
        console.print(f"Activity Timeline of {keys[0]} in Podium:")
        for event in podium.timeline_of(link.platform_id):
            console.print(f"  • {event['title']}")
    if products:
        console.print(
            f"a product, as Podium titled it (never downloaded, PD-6): {products[0]['name']!r}"
        )
