"""Busy customers for volume tests and benchmarks: wishes, notes and sales on both sides."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tests.harness import World


@dataclass
class Busy:
    """One customer's expected wish list, notes and purchases, whichever side made them."""

    key: str
    wishes: Counter[tuple[str, str | None]] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)
    purchases: Counter[tuple[str, str, str | None]] = field(default_factory=Counter)
    sold_items: set[str] = field(default_factory=set)


def busy_customer(
    world: World, n: int = 0, wishes: int = 50, notes: int = 200, sales: int = 300
) -> Busy:
    """A customer with ``wishes`` wish-list items (half stock), ``notes`` notes and ``sales``
    sale lines in Edge; a fifth of the wishes and a tenth of the notes are added in Clientbook
    later by :func:`add_clientbook_side`."""
    edge = world.edge
    key = edge.add_customer(f"Busy{n}", "Customer", emails=[("Home", f"busy{n}@example.com")])
    busy = Busy(key)
    for i in range(wishes - wishes // 5):
        if i % 2:
            item = edge.add_item(f"Wished item {n}-{i}", price=100.0 + i)
            edge.add_wish(key, f"Wished item {n}-{i}", item_key=item)
            busy.wishes[(f"Wished item {n}-{i}", item)] += 1
        else:
            edge.add_wish(key, f"Non-stock wish {n}-{i}", WishlistEventDesc="Birthday")
            busy.wishes[(f"Non-stock wish {n}-{i}", None)] += 1
    for i in range(notes - notes // 10):
        edge.add_note(key, f"Edge note {n}-{i}")
        busy.notes[f"Edge note {n}-{i}"] += 1
    lines: list[dict[str, Any]] = []
    for i in range(sales):
        if i % 5 == 0:
            item = edge.add_item(f"Sold item {n}-{i}", price=50.0 + i)
            lines.append({"item": item, "amount": 50.0 + i})
            busy.sold_items.add(item)
        else:
            lines.append({"desc": f"Service line {n}-{i}", "amount": 10.0 + i % 7})
    for start in range(0, sales, 3):
        keys = edge.add_sale(key, lines[start : start + 3])
        for line_key, line in zip(keys, lines[start : start + 3], strict=True):
            busy.purchases[(line_key, f"{line['amount']:.2f}", line.get("item"))] += 1
    return busy


def add_clientbook_side(world: World, busy: Busy, wishes: int = 10, notes: int = 20) -> None:
    """Clientbook users add wishes to the client's Edge collection and write notes."""
    client_id = world.client_of(busy.key)["id"]
    [collection] = world.cb.collections_of(client_id, "Edge")
    for i in range(wishes):
        sku = f"001-300-{busy.key[-5:]}{i:02d}" if i % 2 else None
        product = world.cb.create_product({"title": f"Clientbook wish {busy.key}-{i}", "sku": sku})
        world.cb.create_item(
            {"collection_id": collection["id"], "product_id": product["id"]}, "as_12"
        )
        busy.wishes[(f"Clientbook wish {busy.key}-{i}", sku)] += 1
    for i in range(notes):
        world.cb.create_note({"client_id": client_id, "text": f"Clientbook note {i}"}, "as_77")
        busy.notes[f"Clientbook note {i}"] += 1


def edge_side(world: World, busy: Busy) -> tuple[Counter[Any], Counter[Any]]:
    """What Edge holds for the customer: wishes (description, item) and note texts."""
    wishes = Counter(
        (w["WishlistItemDesc"], w["WishlistItemKey"] or None)
        for w in world.edge.wishes_of(busy.key, removed=True)
    )
    notes = Counter(n["NoteText"] for n in world.edge.notes_of(busy.key, deleted=True))
    return wishes, notes


def clientbook_side(world: World, busy: Busy) -> tuple[Counter[Any], Counter[Any], Counter[Any]]:
    """What Clientbook holds for the client: Edge-collection items, notes, purchases."""
    client_id = world.client_of(busy.key)["id"]
    items = Counter((i["title"], i["sku"]) for i in world.collection_items(client_id))
    notes = Counter(n["text"] for n in world.notes_of(client_id))
    purchases = Counter(
        (p["reference"], p["amount"], p["sku"]) for p in world.purchases_of(client_id)
    )
    return items, notes, purchases
