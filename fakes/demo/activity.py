"""The demo's wish lists, notes, sales, jobs, inventory, messages and texts (CB-6 … CB-12).

Seeds a store's inventory and some customers' history before the initial upload, then makes
the edits a store and its Clientbook users would make between runs, saying which rule
decides where each goes.
"""

from __future__ import annotations

import random
from typing import Any

from fakes.clientbook import ClientbookState
from fakes.edge import EdgeFake

CATEGORIES = [("Rings", 100), ("Pendants", 110), ("Bracelets", 120), ("Earrings", 130)]
VENDORS = ["Stuller", "Gabriel & Co.", "Tacori", "Verragio"]
PIECES = ["solitaire ring", "halo pendant", "tennis bracelet", "pearl studs", "eternity band"]
STONES = ["Diamond", "Sapphire", "Opal", "Emerald", "Ruby", "Pearl"]
EXCLUDED = {
    "category": ["Repairs"],
    "vendor": ["House"],
    "inventory_type": ["memo", "consignment", "trade"],
}


def product_filters() -> list[dict[str, Any]]:
    """The demo store's CB-10 filters: what never uploads as a product."""
    return [
        {"field": "status", "in": ["on_hand", "sold"]},
        *({"field": name, "not_in": values} for name, values in EXCLUDED.items()),
    ]


def _piece(rnd: random.Random) -> str:
    return f"{rnd.choice(STONES)} {rnd.choice(PIECES)}"


def seed(edge: EdgeFake, cb: ClientbookState, keys: list[str], rnd: random.Random) -> str:
    """Inventory for the store, and wishes, notes, sales and jobs for some customers."""
    stock = []
    for n in range(40):
        category, cat_id = rnd.choice(CATEGORIES)
        kind = rnd.choices(["Stock", "Memo", "Consignment", "Trade"], [8, 1, 1, 1])[0]
        vendor = rnd.choice([*VENDORS, "House"]) if n % 7 else "House"
        item = edge.add_item(
            _piece(rnd),
            category=category,
            category_id=cat_id,
            vendor=vendor,
            inventory_type=kind,
            price=float(rnd.randrange(150, 9000)),
            status=rnd.choices(["I", "S", "O"], [8, 1, 1])[0],
            special_order=n % 9 == 0,
        )
        stock.append(item)
    edge.add_item("Ring sizing", category="Repairs", category_id=900, vendor="House")
    selected = [k for k in keys if edge.customers[k]["CustomerXfer"]]
    busy = selected[: max(3, len(selected) // 10)]
    for key in busy:
        item = rnd.choice(stock)
        edge.add_wish(key, edge.tables["ItemList"].records[item]["ItemDesc"], item_key=item)
        edge.add_wish(key, f"Something with {rnd.choice(STONES).lower()}s", WishlistBuyFor="")
        for text in ("Ring size 6.5", "Prefers yellow gold", "Anniversary in June"):
            edge.add_note(key, text, associate=rnd.choice([3, 7, 12]))
        on_hand = [i for i in stock if edge.tables["ItemList"].records[i]["ItemStatus"] == "I"]
        edge.add_sale(key, [{"item": rnd.choice(on_hand), "amount": 499.0}, {"amount": 25.0}])
        edge.add_job(key, rnd.choice(["Repair", "Custom", "Appraisal"]), "Check prongs")
    return (
        f"{len(stock) + 1} items (some memo, consignment, trade or repairs: filtered, CB-10); "
        f"{len(busy)} customers with wishes, notes, sales and service jobs"
    )


def edit(edge: EdgeFake, cb: ClientbookState, keys: list[str], rnd: random.Random) -> list[str]:
    """One round of edits to wish lists, notes, sales, jobs, inventory, messages and texts."""
    said = []
    busy = sorted({w["WishlistCustKey"] for w in edge.tables["WishList"].records.values()})
    key = rnd.choice(busy)
    item = edge.add_item(_piece(rnd), price=1200.0)
    edge.add_wish(key, edge.tables["ItemList"].records[item]["ItemDesc"], item_key=item)
    said.append(f"Edge: {key} wishes for new stock item {item} (CB-6 up; CB-10: a product)")
    memo = edge.add_item(_piece(rnd), inventory_type="Memo")
    said.append(f"Edge: memo item {memo} arrives (CB-10: filtered, never uploads)")
    note = next(k for k, n in edge.tables["NoteList"].records.items() if n["NoteCustKey"] == key)
    edge.edit_note(note, "Ring size 7 (re-measured)", associate=3)
    said.append(f"Edge: note {note} edited (CB-7 up)")
    on_hand = [k for k, i in edge.tables["ItemList"].records.items() if i["ItemStatus"] == "I"]
    sold = rnd.choice(on_hand)
    edge.add_sale(key, [{"item": sold, "amount": 899.0}])
    said.append(f"Edge: {key} buys {sold} (CB-8 purchase; the product is archived, CB-10)")
    job = next(k for k, j in edge.tables["JobList"].records.items() if j["JobStatus"] != "Done")
    edge.set_job_status(job, "Done")
    owner = edge.tables["JobList"].records[job]["JobCustKey"]
    if edge.customers[owner]["Phones"]:
        edge.notify_text(owner, "Your repair is ready for pick-up", "Repair ready")
        said.append(f"Edge: job {job} done, text sent via Clientbook (CB-8 update; CB-12)")
    lists = [c for c in cb.collections.live() if c["name"] == "Edge"]
    if lists:
        wish_list = rnd.choice(lists)
        product = cb.create_product({"title": f"{rnd.choice(STONES)} cocktail ring"}, "as_12")
        cb.create_item({"collection_id": wish_list["id"], "product_id": product["id"]}, "as_12")
        other = cb.create_collection({"client_id": wish_list["client_id"], "name": "Holiday"})
        cb.create_item({"collection_id": other["id"], "product_id": product["id"]}, "as_12")
        said.append(
            f"Clientbook (Maria): adds a ring to {wish_list['client_id']}'s Edge collection "
            "(CB-6 down, associate 12) and to a 'Holiday' collection (CB-6: ignored)"
        )
        cb.send_message(wish_list["client_id"], "sms", "Your ring is in!", "as_12")
        said.append("Clientbook (Maria): texts that client (CB-9: on the Edge Activity tab)")
    notes = [a for a in cb.activity.live() if a["type"] == "note"]
    if notes:
        entry = rnd.choice(notes)
        cb.update_note(entry["id"], {"text": entry["text"] + " (confirmed)"}, "as_77")
        said.append(f"Clientbook (Sam, no POS id): edits note {entry['id']} (CB-7 down, G-8: 1)")
    return said
