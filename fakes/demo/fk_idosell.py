"""``syncwright demo fk-idosell``: a Polish shop's Subiekt GT and its IdoSell shop, kept in sync.

Creates a fake Subiekt GT database (SQLite with its tables) and starts the fake IdoSell
(uvicorn on 127.0.0.1, real HTTP), seeds both, runs the initial upload, then edits both
sides between incremental runs (Jan Kowalski's street and e-mail, a delivery address, an
unpaid invoice, a changed code) and prints what moved where, which rule decided it, and how
many IdoSell API calls each run made (IS-6).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console

from fakes.demo import demo_folder, save_config, tell_where
from fakes.fk import FkDatabase
from fakes.idosell import PREFIX, IdoSellState, make_app, seed_clients
from fakes.polish import kontrahenci
from fakes.toolkit import BackgroundServer
from framework.cli import render
from framework.cli.progress import RunProgress
from framework.config import parse_config
from framework.engine.engine import Engine

API_KEY = "demo-idosell-key"


def config(folder: Path, url: str) -> dict[str, Any]:
    """The demo's configuration (what a shop would write in syncwright.toml)."""
    return {
        "state": {"path": str(folder / "syncwright.db")},
        "engine": {"retry_initial_wait": 0.2},
        "systems": {
            "subiekt": {"connector": "fk", "url": "sqlite:///subiekt.db", "flavour": "subiekt_gt"},
            "idosell": {
                "connector": "idosell",
                "base_url": url + PREFIX,
                "api_key": API_KEY,
                "login_pattern": "{first_name}.{last_name}",
            },
        },
        "pairs": {
            "shop": {
                "preset": "fk-idosell",
                "pos": "subiekt",
                "platform": "idosell",
                "default_associate": "1",
                # IS-1: both update directions on, to show IS-2 (one way is the default).
                "flows": {"customer": {"update_pos": True}},
            }
        },
    }


def demo(console: Console, customers: int = 300, runs: int = 3, folder: Path | None = None) -> None:
    """Run the demo (see the module docstring)."""
    where = demo_folder(folder)
    _run(console, where, customers, runs)
    tell_where(console, where)


def _run(console: Console, folder: Path, size: int, runs: int) -> None:
    fk = FkDatabase(folder / "subiekt.db", "subiekt_gt")
    seeds = kontrahenci(size)
    for k in seeds:
        fk.add(k)
    fk.add(
        code="K99999",
        first="Jan",
        last="Kowalski",
        name="Jan Kowalski",
        street="ul. Stara 5",
        postcode="30-001",
        city="Kraków",
        email="jan.kowalski@example.pl",
        phone="601 234 567",
    )
    shop = IdoSellState(api_key=API_KEY)
    seed_clients(shop, max(3, size // 20))  # customers who registered in the shop themselves
    for k in seeds[: max(1, size // 30)]:  # pre-existing accounts whose code the shop filled
        shop.create(
            {
                "login": f"stary.{k.code.lower()}",
                "firstname": k.first,
                "lastname": k.last,
                "shops": [1],
                "code_extern": k.code,
            }
        )
    server = BackgroundServer(make_app(shop), date_header=False).start()  # the shop's clock
    try:
        cfg, hooks = parse_config(config(folder, server.url), source="demo", base_dir=folder)
        save_config(folder, config(folder, server.url))
        engine = Engine(cfg, hooks)
        try:
            console.rule("[bold]1. initial full upload (G-2, IS-1, IS-3, IS-6)")
            console.print(
                f"Subiekt GT: {fk.count()} customers; IdoSell at {server.url}{PREFIX}: "
                f"{len(shop.clients)} accounts ({max(1, size // 30)} already carry a Subiekt "
                "Symbol as external code, IS-3)"
            )
            with RunProgress(console) as progress:
                report = engine.run_pair("shop", progress)
            render.print_report(console, report)
            for n, edit in enumerate(EDITS[: max(1, runs)], start=2):
                shop.clock.offset += dt.timedelta(minutes=15)  # the next scheduled run
                console.rule(f"[bold]{n}. edits, then an incremental run")
                for line in edit(fk, shop):
                    console.print(f"  • {line}")
                render.print_report(console, engine.run_pair("shop"))
            console.rule("[bold]the state after the demo")
            for _ in range(2):  # the read-back of the last run's writes, then a quiet run
                shop.clock.offset += dt.timedelta(minutes=15)
                quiet = engine.run_pair("shop")
            kowalski = shop.by_code("K99999")
            console.print(
                f"a run with nothing changed made {quiet.calls.get('idosell.calls', 0)} "
                f"IdoSell API call(s) (IS-6); {engine.store.links_count('shop')} linked "
                f"customers; IdoSell holds {len(shop.clients)} accounts; Jan Kowalski in "
                f"IdoSell: {kowalski['clientStreet']}, {kowalski['clientEmail']}"
            )
            render.print_problems(console, engine.store.problems())
        finally:
            engine.close()
            fk.close()
    finally:
        server.stop()


def _kowalski(fk: FkDatabase, shop: IdoSellState) -> list[str]:
    fk.update("K99999", street="ul. Nowa 1")
    shop.edit(shop.by_code("K99999")["clientId"], clientEmail="jan@sklep.example.pl")
    return [
        "Subiekt GT: Jan Kowalski's street changes to ul. Nowa 1",
        "IdoSell: Jan Kowalski's e-mail changes to jan@sklep.example.pl",
        "IS-2: F/K wins the whole record: IdoSell gets the F/K street and the F/K e-mail; "
        "Subiekt GT is untouched",
    ]


def _shop_side(fk: FkDatabase, shop: IdoSellState) -> list[str]:
    code = fk.codes()[3]
    client = shop.by_code(code)
    shop.edit(client["clientId"], clientPhone1="+48 600 700 800")
    shop.add_delivery(
        {
            "clientLogin": client["clientLogin"],
            "clientDeliveryAddressStreet": "ul. Sklepowa 2",
            "clientDeliveryAddressZipCode": "31-000",
            "clientDeliveryAddressCity": "Kraków",
        }
    )
    return [
        f"IdoSell: {code} changes the phone (only IdoSell changed: it goes to Subiekt GT, IS-2, "
        "recorded as user 1, G-8)",
        f"IdoSell: {code} adds a delivery address (IS-9: added in Subiekt GT, none replaced)",
    ]


def _erp_side(fk: FkDatabase, shop: IdoSellState) -> list[str]:
    firm = next(c for c in fk.codes() if fk.get(c)["credit_allowed"])
    limit = Decimal(fk.get(firm)["credit_limit"])
    fk.add_receivable(firm, limit + Decimal("100"))
    renamed = fk.codes()[5]
    fk.update(renamed, code=renamed + "-X")
    return [
        f"Subiekt GT: an unpaid invoice puts {firm} over its trade credit limit "
        "(IS-12: the balance goes to IdoSell, which blocks buying on credit)",
        f"Subiekt GT: {renamed}'s Symbol changes to {renamed}-X "
        "(IS-4: the link is broken and reported, no duplicate is made)",
    ]


EDITS = [_kowalski, _shop_side, _erp_side]
