"""A realistic jeweller's store for the benchmark, the same for a given size and seed.

Every customer has names, contact methods (e-mails, phones, an address), custom fields and an
acquisition source (``fakes.seed.customers``). Some also have wish lists, notes, sales and
service jobs; the store has inventory. The shares below are what a store's history looks
like in the vendor's integration notes: most customers bought once, a minority left notes or
wishes.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from fakes.edge import EdgeFake, add_seed
from fakes.fk import FkDatabase
from fakes.polish import kontrahenci
from fakes.seed import RING_SIZES, customers

SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}

WISH_SHARE = 0.10  # customers with a wish list of 1 to 3 wishes (half stock items)
NOTE_SHARE = 0.20  # customers with 1 to 3 notes
SALE_SHARE = 0.15  # customers with a sale of 1 to 3 lines
JOB_SHARE = 0.03  # customers with a service job
ITEMS_PER_CUSTOMER = 0.05  # inventory items on hand


def parse_size(text: str) -> int:
    """``1k`` / ``10k`` / ``100k`` or a plain number of customers."""
    if text in SIZES:
        return SIZES[text]
    try:
        size = int(text)
    except ValueError:
        raise ValueError(f"--size {text!r}: one of {', '.join(SIZES)} or a number") from None
    if size < 1:
        raise ValueError(f"--size {text!r}: at least one customer")
    return size


def size_label(size: int) -> str:
    """``10k`` for 10,000 customers, else the number."""
    return next((label for label, n in SIZES.items() if n == size), str(size))


@dataclass(frozen=True)
class StoreCounts:
    """What the generated store holds, per entity (what the initial upload must move)."""

    customers: int
    products: int
    wishes: int
    notes: int
    purchases: int
    service_jobs: int

    def as_dict(self) -> dict[str, int]:
        """Counts by entity name, as the engine's reports name them."""
        return {
            "customer": self.customers,
            "product": self.products,
            "wish": self.wishes,
            "note": self.notes,
            "purchase": self.purchases,
            "service_job": self.service_jobs,
        }

    @property
    def total(self) -> int:
        """Every record of the store."""
        return sum(self.as_dict().values())


def generate(edge: EdgeFake, size: int, seed: int = 8) -> StoreCounts:
    """Fill ``edge`` with ``size`` customers and their history; returns what it holds."""
    rnd = random.Random(seed)
    keys = [add_seed(edge, c) for c in customers(size, seed=seed)]
    stock = [
        edge.add_item(
            f"{rnd.choice(STONES)} {rnd.choice(PIECES)} {n}",
            price=float(rnd.randrange(150, 9000)),
        )
        for n in range(max(1, int(size * ITEMS_PER_CUSTOMER)))
    ]
    sold: set[str] = set()
    count: Counter[str] = Counter()
    for key in keys:
        if rnd.random() < WISH_SHARE:
            for i in range(rnd.randint(1, 3)):
                if i % 2 == 0:
                    item = rnd.choice(stock)
                    edge.add_wish(
                        key, edge.tables["ItemList"].records[item]["ItemDesc"], item_key=item
                    )
                else:
                    edge.add_wish(key, f"Something with {rnd.choice(STONES).lower()}s")
                count["wish"] += 1
        if rnd.random() < NOTE_SHARE:
            for _ in range(rnd.randint(1, 3)):
                edge.add_note(key, rnd.choice(NOTES), associate=rnd.choice([3, 7, 12]))
                count["note"] += 1
        if rnd.random() < SALE_SHARE:
            lines = []
            for _ in range(rnd.randint(1, 3)):
                item = rnd.choice(stock)
                if item in sold or rnd.random() < 0.5:
                    lines.append({"desc": rnd.choice(SERVICES), "amount": 25.0 + rnd.randrange(90)})
                else:
                    sold.add(item)
                    lines.append({"item": item, "amount": float(rnd.randrange(150, 9000))})
            edge.add_sale(key, lines)
            count["purchase"] += len(lines)
        if rnd.random() < JOB_SHARE:
            edge.add_job(key, rnd.choice(["Repair", "Custom", "Appraisal"]), "Check prongs")
            count["service_job"] += 1
    return StoreCounts(
        customers=len(keys),
        products=len(stock),
        wishes=count["wish"],
        notes=count["note"],
        purchases=count["purchase"],
        service_jobs=count["service_job"],
    )


def generate_fk(path: Path, size: int, seed: int = 8) -> StoreCounts:
    """A Subiekt GT database at ``path`` holding ``size`` customers (``fakes.polish``: about
    a third companies, each with an address, e-mail and phone); the F/K pairs move customers
    only."""
    fk = FkDatabase(path, "subiekt_gt")
    fk.engine.dispose()  # new connections: without waiting for the disk (6x faster, untimed)

    @event.listens_for(fk.engine, "connect")
    def _unsynced(connection: Any, _: Any) -> None:
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA journal_mode=MEMORY")

    try:
        for k in kontrahenci(size, seed=seed):
            fk.add(k)
    finally:
        fk.close()
    return StoreCounts(size, 0, 0, 0, 0, 0)


def edit_edge(edge: EdgeFake, share: float, seed: int = 9) -> int:
    """A POS user's edits to ``share`` of the customers (a ring size; every other one a new
    e-mail); returns how many customers changed."""
    rnd = random.Random(seed)
    keys = sorted(edge.customers)
    chosen = rnd.sample(keys, max(1, int(len(keys) * share)))
    for n, key in enumerate(chosen):
        edge.edit_customer(key, CustomerKey1=rnd.choice(RING_SIZES))
        if n % 2:
            edge.add_contact(
                key, "Emails", "Work", EmailEmail=f"new.{key}@work.example.com", EmailSendPromo=True
            )
    return len(chosen)


def edit_clientbook(client: httpx.Client, ids: list[str], share: float, seed: int = 10) -> int:
    """A Clientbook user's edits to ``share`` of the clients (their ring size preference),
    through the API as that user; returns how many clients changed."""
    rnd = random.Random(seed)
    chosen = rnd.sample(sorted(ids), max(1, int(len(ids) * share)))
    for client_id in chosen:
        response = client.patch(
            f"/v1/clients/{client_id}",
            json={"preferences": [{"name": "Ring size", "value": rnd.choice(RING_SIZES)}]},
            headers={"x-clientbook-associate": "as_12"},
        )
        response.raise_for_status()
    return len(chosen)


STONES = ["Diamond", "Sapphire", "Opal", "Emerald", "Ruby", "Pearl"]
PIECES = ["solitaire ring", "halo pendant", "tennis bracelet", "pearl studs", "eternity band"]
NOTES = [
    "Prefers yellow gold",
    "Anniversary in June; husband shops in May",
    "Ring size 6.5, re-measure next visit",
    "Allergic to nickel",
    "Interested in the spring bridal show",
    "Called about the watch battery",
]
SERVICES = ["Ring sizing", "Watch battery", "Cleaning and inspection", "Chain repair"]
