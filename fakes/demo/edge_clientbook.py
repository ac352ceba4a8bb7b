"""``syncwright demo edge-clientbook``: a jeweller's Edge and Clientbook, kept in sync.

Starts the fake Edge (EDT files in a temporary folder) and the fake Clientbook (uvicorn on
127.0.0.1, real HTTP), seeds them (customers, inventory, wish lists, notes, sales, service
jobs), runs the initial upload, then edits both sides between incremental runs and prints
what moved where and which rule decided it.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from rich.console import Console

from fakes.clientbook import ClientbookState, make_app
from fakes.demo import activity, demo_folder, save_config, tell_where
from fakes.edge import EdgeFake, add_seed
from fakes.seed import clientbook_clients, customers
from fakes.toolkit import BackgroundServer
from framework.cli import render
from framework.cli.progress import RunProgress
from framework.config import parse_config
from framework.engine.engine import Engine

API_KEY = "demo-clientbook-key"


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
            "clientbook": {"connector": "clientbook", "base_url": url, "api_key": API_KEY},
        },
        "pairs": {
            "store": {
                "preset": "edge-clientbook",
                "pos": "edge",
                "platform": "clientbook",
                "default_associate": "1",
                "flows": {
                    "customer": {
                        "pos_filter": [{"field": "sync_flag", "eq": True}],
                        "fields": {
                            "custom": {
                                "map": {"CustomerKey1": "Ring size", "CustomerKey2": "Metal"}
                            }
                        },
                    },
                    "product": {"pos_filter": activity.product_filters()},
                    "sms_notification": {"direction": "pos_to_platform"},  # CB-12 chosen
                },
            }
        },
    }


def demo(console: Console, customers: int = 300, runs: int = 3, folder: Path | None = None) -> None:
    """Run the demo (see the module docstring)."""
    where = demo_folder(folder)
    _run(console, where, customers, runs)
    tell_where(console, where)


def _run(console: Console, folder: Path, size: int, runs: int) -> None:
    rnd = random.Random(2026)
    edge = EdgeFake(folder / "edt")
    seeds = customers(size)
    keys = [add_seed(edge, c) for c in seeds]
    cb = ClientbookState(api_key=API_KEY)
    cb.add_associate("as_12", "Maria Lopez", "12")
    cb.add_associate("as_77", "Sam Carter", None)
    for body in clientbook_clients(max(3, size // 20)):
        cb.create_client(body, actor="as_12")
    # Some Clientbook clients are the same people as Edge customers: matched on e-mail (G-3).
    for key in keys[: max(1, size // 30)]:
        emails = edge.customers[key]["Emails"]
        if emails and edge.customers[key]["CustomerXfer"]:
            cb.create_client(
                {
                    "first_name": edge.customers[key]["CustomerFirstName"],
                    "last_name": edge.customers[key]["CustomerLastName"],
                    "email": emails[0]["PairValue"]["EmailEmail"].upper(),
                },
                "as_12",
            )
    seeded = activity.seed(edge, cb, keys, rnd)
    server = BackgroundServer(make_app(cb)).start()
    try:
        cfg, hooks = parse_config(config(folder, server.url), source="demo", base_dir=folder)
        save_config(folder, config(folder, server.url))
        engine = Engine(cfg, hooks)
        try:
            console.rule("[bold]1. initial full upload (G-2)")
            console.print(
                f"Edge: {len(edge.customers)} customers "
                f"({sum(1 for c in edge.customers.values() if c['CustomerXfer'])} "
                f"selected for sync, CB-1); Clientbook: "
                f"{sum(1 for _ in cb.clients.live())} clients at {server.url}"
            )
            console.print(f"Edge also holds {seeded}")
            edge.run_cycle()
            with RunProgress(console) as progress:
                report = engine.run_pair("store", progress)
            render.print_report(console, report)
            moved = sum(
                n for k, n in report.counts.items() if k.split(".")[1] in ("create", "link")
            )
            console.print(
                f"initial upload: {moved} records in {report.seconds:.2f} s "
                f"({moved / max(report.seconds, 1e-9):.0f} records/s)"
            )
            for n in range(1, runs + 1):
                console.rule(f"[bold]{n + 1}. edits on both sides, then an incremental run")
                for line in [*_edit(edge, cb, keys, rnd), *activity.edit(edge, cb, keys, rnd)]:
                    console.print(f"  • {line}")
                edge.run_cycle()  # EDT imports what the last run wrote and exports changes
                report = engine.run_pair("store")
                render.print_report(console, report)
            console.rule("[bold]the state after the demo")
            for _ in range(3):  # EDT imports a file on its second run; let the last ones land
                edge.run_cycle()
                engine.run_pair("store")
            linked = engine.store.links_count("store", "customer")
            console.print(
                f"{linked} linked customers; Clientbook holds "
                f"{sum(1 for _ in cb.clients.live())} clients; Edge holds "
                f"{len(edge.customers)} customers; open problems: "
                f"{len(engine.store.problems())}"
            )
            _state(console, engine, edge, cb)
        finally:
            engine.close()
    finally:
        server.stop()


def _edit(edge: EdgeFake, cb: ClientbookState, keys: list[str], rnd: random.Random) -> list[str]:
    """One round of edits a store and its Clientbook users would make."""
    said = []
    selected = [k for k in keys if edge.customers[k]["CustomerXfer"]]
    key = rnd.choice(selected)
    edge.add_contact(
        key, "Emails", "Work", EmailEmail=f"new.{key}@work.example.com", EmailSendPromo=True
    )
    edge.edit_customer(key, CustomerPrefEMail="Work")
    said.append(f"Edge: {key} gets a new preferred work e-mail (CB-3: overwrites Clientbook)")
    key = rnd.choice(selected)
    edge.edit_customer(key, CustomerKey1="6.5", CustomerAsKey=7)
    said.append(
        f"Edge: {key} ring size 6.5 (CB-4 up) and a new assigned associate (CB-11: never synced)"
    )
    unselected = [k for k in keys if not edge.customers[k]["CustomerXfer"]]
    if unselected:
        key = unselected[0]
        edge.edit_customer(key, CustomerXfer=True)
        said.append(f"Edge: {key} is selected for sync (CB-1: uploads now)")
    clients = [c for c in cb.clients.live() if c.get("email")]
    client = rnd.choice(clients)
    cb.update_client(client["id"], {"email": f"changed.{client['id']}@example.com"}, "as_12")
    said.append(
        f"Clientbook (Maria, POS id 12): {client['id']} e-mail changed "
        "(CB-3: added in Edge as a new method, associate 12, G-8)"
    )
    client = rnd.choice(clients)
    cb.update_client(
        client["id"],
        {
            "preferences": [{"name": "Ring size", "value": "8"}],
            "acquisition": "Changed in Clientbook",
        },
        "as_77",
    )
    said.append(
        f"Clientbook (Sam, no POS id): {client['id']} ring size 8 (CB-4 down, default "
        "associate 1, G-8) and acquisition changed (CB-5: never overwrites Edge)"
    )
    new = cb.create_client(
        {
            "first_name": "Noor",
            "last_name": f"Haddad {rnd.randint(1, 999)}",
            "email": f"noor.{rnd.randint(1000, 9999)}@example.com",
            "acquisition": "Instagram",
        },
        "as_77",
    )
    said.append(
        f"Clientbook: new client {new['id']} (CB-2: downloads to Edge, flagged, "
        "acquisition kept as it is new)"
    )
    return said


def _state(console: Console, engine: Engine, edge: EdgeFake, cb: ClientbookState) -> None:
    """Counts of the other entities on both sides after the demo."""
    items = sum(1 for i in cb.items.live() if i["collection_name"] == "Edge")
    purchases = sum(1 for _ in cb.purchases.live())
    notes = sum(1 for a in cb.activity.live() if a["type"] == "note")
    archived = sum(1 for p in cb.products.live() if p["archived"])
    wishes = sum(
        1 for w in edge.tables["WishList"].records.values() if not w["WishlistDateRemoved"]
    )
    console.print(
        f"wishes: Edge {wishes}, Clientbook 'Edge' collection items {items} "
        f"(other collections never move); notes: Edge "
        f"{len(edge.tables['NoteList'].records)}, Clientbook {notes}; "
        f"client purchases {purchases}; products {sum(1 for _ in cb.products.live())} "
        f"({archived} archived); Edge activity entries "
        f"{len(edge.tables['ActivityList'].records)}; texts sent via Clientbook {len(cb.sms)}; "
        f"links by entity: "
        + ", ".join(
            f"{e} {engine.store.links_count('store', e)}"
            for e in ("wish", "note", "purchase", "service_job", "product", "message")
        )
    )
