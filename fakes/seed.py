"""Realistic customers for the fake Edge and Clientbook: names, e-mails, phones, addresses.

Deterministic for a given seed, so demos, tests and benchmarks see the same store.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

FIRST = [
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Elijah",
    "Sophia",
    "James",
    "Isabella",
    "William",
    "Mia",
    "Benjamin",
    "Charlotte",
    "Lucas",
    "Amelia",
    "Henry",
    "Harper",
    "Theodore",
    "Evelyn",
    "Jack",
    "Abigail",
    "Mateo",
    "Emily",
    "Daniel",
    "Ella",
    "Zoë",
    "José",
    "Renée",
    "Siobhán",
    "Björn",
    "Chloé",
    "Nguyễn",
    "Aiyana",
    "Priya",
    "Kenji",
]
LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "O'Brien",
    "Müller",
    "Kowalski",
    "Nakamura",
    "D'Angelo",
    "Van der Berg",
    "Okafor",
]
STREETS = [
    "Maple Ave",
    "Oak St",
    "Pine Rd",
    "Cedar Ln",
    "Elm St",
    "Washington Blvd",
    "Lake Shore Dr",
    "Main St",
    "Highland Ave",
    "Sunset Blvd",
]
CITIES = [
    ("Springfield", "IL", "627"),
    ("Naperville", "IL", "605"),
    ("Madison", "WI", "537"),
    ("Austin", "TX", "787"),
    ("Denver", "CO", "802"),
    ("Portland", "OR", "972"),
]
AREAS = ["217", "312", "608", "512", "303", "503"]
ACQUISITION = ["Walk-in", "Referral", "Website", "Bridal show", "Instagram", "Repair drop-off"]
RING_SIZES = ["4", "4.5", "5", "5.5", "6", "6.5", "7", "7.5", "8", "9", "10"]
METALS = ["Yellow gold", "White gold", "Rose gold", "Platinum", "Silver"]
DOMAINS = ["example.com", "example.net", "example.org", "mail.example.com"]


@dataclass
class SeedCustomer:
    """One made-up customer."""

    first: str
    last: str
    emails: list[tuple[str, str]] = field(default_factory=list)
    phones: list[tuple[str, str]] = field(default_factory=list)
    address: dict[str, str] = field(default_factory=dict)
    custom: dict[str, str] = field(default_factory=dict)
    acquisition: str | None = None
    xfer: bool = True


def _slug(text: str) -> str:
    return "".join(c for c in text.lower() if c.isascii() and c.isalnum())


def clientbook_clients(n: int, seed: int = 11) -> list[dict[str, object]]:
    """``n`` Clientbook client bodies (``docs/clientbook-api.md``)."""
    rnd = random.Random(seed)
    out: list[dict[str, object]] = []
    for i in range(n):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        city, state, zip3 = rnd.choice(CITIES)
        out.append(
            {
                "first_name": first,
                "last_name": last,
                "email": f"{_slug(first)}.{_slug(last)}.cb{i}@{rnd.choice(DOMAINS)}",
                "mobile": f"+1{rnd.choice(AREAS)}555{(i + 7000) % 10000:04d}",
                "address": {
                    "street1": f"{rnd.randint(1, 9999)} {rnd.choice(STREETS)}",
                    "city": city,
                    "state": state,
                    "postal_code": f"{zip3}{i % 100:02d}",
                    "country": "USA",
                },
                "preferences": [{"name": "Ring size", "value": rnd.choice(RING_SIZES)}],
                "acquisition": rnd.choice(ACQUISITION),
            }
        )
    return out


def customers(n: int, seed: int = 7, selected_share: float = 0.9) -> list[SeedCustomer]:
    """``n`` customers; most with an e-mail and a phone, some with two of each."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        c = SeedCustomer(first, last, xfer=rnd.random() < selected_share)
        if rnd.random() < 0.92:
            c.emails.append(("Home", f"{_slug(first)}.{_slug(last)}{i}@{rnd.choice(DOMAINS)}"))
        if rnd.random() < 0.2:
            c.emails.append(("Work", f"{_slug(first)[0]}{_slug(last)}{i}@work.example.com"))
        if rnd.random() < 0.85:
            c.phones.append(("Cell", f"{rnd.choice(AREAS)}555{i % 10000:04d}"))
        if rnd.random() < 0.15:
            c.phones.append(("Home", f"{rnd.choice(AREAS)}555{(i + 5000) % 10000:04d}"))
        city, state, zip3 = rnd.choice(CITIES)
        c.address = {
            "AddressStreet": f"{rnd.randint(1, 9999)} {rnd.choice(STREETS)}",
            "AddressStreet2": "",
            "AddressCity": city,
            "AddressState": state,
            "AddressZip": f"{zip3}{rnd.randint(0, 99):02d}",
            "AddressCountry": "USA",
        }
        if rnd.random() < 0.6:
            c.custom["CustomerKey1"] = rnd.choice(RING_SIZES)
        if rnd.random() < 0.4:
            c.custom["CustomerKey2"] = rnd.choice(METALS)
        if rnd.random() < 0.7:
            c.acquisition = rnd.choice(ACQUISITION)
        out.append(c)
    return out
