"""Realistic Polish customers (kontrahenci) for the fake F/K programs and the fake IdoSell.

Names and streets with diacritics, NIPs with valid checksums, ``NN-NNN`` postal codes that
belong to their city, phone numbers typed the way people type them. Deterministic for a
given seed, so demos, tests and benchmarks see the same store.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)

MEN = [
    "Jan",
    "Piotr",
    "Krzysztof",
    "Andrzej",
    "Tomasz",
    "Paweł",
    "Michał",
    "Łukasz",
    "Grzegorz",
    "Mateusz",
    "Wojciech",
    "Jarosław",
    "Zbigniew",
    "Maciej",
    "Przemysław",
]
WOMEN = [
    "Anna",
    "Maria",
    "Katarzyna",
    "Małgorzata",
    "Agnieszka",
    "Barbara",
    "Ewa",
    "Magdalena",
    "Joanna",
    "Żaneta",
    "Elżbieta",
    "Zofia",
    "Jadwiga",
    "Łucja",
    "Urszula",
]
# (man's form, woman's form)
SURNAMES = [
    ("Kowalski", "Kowalska"),
    ("Nowak", "Nowak"),
    ("Wiśniewski", "Wiśniewska"),
    ("Wójcik", "Wójcik"),
    ("Kamiński", "Kamińska"),
    ("Lewandowski", "Lewandowska"),
    ("Zieliński", "Zielińska"),
    ("Szymański", "Szymańska"),
    ("Woźniak", "Woźniak"),
    ("Dąbrowski", "Dąbrowska"),
    ("Kozłowski", "Kozłowska"),
    ("Jankowski", "Jankowska"),
    ("Mazur", "Mazur"),
    ("Krawczyk", "Krawczyk"),
    ("Piotrowski", "Piotrowska"),
    ("Grabowski", "Grabowska"),
    ("Pawłowski", "Pawłowska"),
    ("Michalski", "Michalska"),
    ("Król", "Król"),
    ("Żak", "Żak"),
    ("Sęk", "Sęk"),
    ("Głąb", "Głąb"),
]
STREETS = [
    "Długa",
    "Krótka",
    "Żółkiewskiego",
    "Świętokrzyska",
    "Marszałkowska",
    "Piłsudskiego",
    "Kościuszki",
    "Mickiewicza",
    "Słowackiego",
    "Ogrodowa",
    "Łąkowa",
    "Wiejska",
    "Źródlana",
    "Żeromskiego",
    "Grunwaldzka",
    "Jagiellońska",
    "Bohaterów Westerplatte",
]
# (city, the first two digits of its postal codes)
CITIES = [
    ("Warszawa", "00"),
    ("Kraków", "30"),
    ("Łódź", "90"),
    ("Wrocław", "50"),
    ("Poznań", "60"),
    ("Gdańsk", "80"),
    ("Szczecin", "70"),
    ("Bydgoszcz", "85"),
    ("Lublin", "20"),
    ("Białystok", "15"),
    ("Katowice", "40"),
    ("Gdynia", "81"),
    ("Częstochowa", "42"),
    ("Rzeszów", "35"),
    ("Toruń", "87"),
    ("Kielce", "25"),
    ("Olsztyn", "10"),
    ("Zielona Góra", "65"),
    ("Opole", "45"),
    ("Łomża", "18"),
]
TRADES = [
    "Przedsiębiorstwo Handlowo-Usługowe",
    "Zakład Stolarski",
    "Hurtownia Spożywcza",
    "Piekarnia",
    "Apteka",
    "Sklep Ogólnospożywczy",
    "Pracownia Złotnicza",
    "Księgarnia",
]
FORMS = ["Sp. z o.o.", "s.c.", "Sp. j.", "S.A.", ""]
DISCOUNT_GROUPS = ["Detal", "Hurt", "Hurt plus", "VIP"]
DOMAINS = ["example.pl", "poczta.example.pl", "firma.example.com.pl"]


def nip_checksum(first9: str) -> int:
    """The NIP check digit of nine digits (10 means the nine digits make no valid NIP)."""
    return sum(w * int(d) for w, d in zip(NIP_WEIGHTS, first9, strict=True)) % 11


def nip_valid(text: str) -> bool:
    """Whether ``text`` (separators allowed) is a NIP with a valid check digit."""
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) != 10 or len(text.replace("-", "").replace(" ", "")) != 10:
        return False
    check = nip_checksum(digits[:9])
    return check != 10 and check == int(digits[9])


def make_nip(rnd: random.Random) -> str:
    """A random NIP with a valid checksum."""
    while True:
        first9 = str(rnd.randint(101, 999)) + "".join(str(rnd.randint(0, 9)) for _ in range(6))
        check = nip_checksum(first9)
        if check != 10:
            return first9 + str(check)


def ascii_fold(text: str) -> str:
    """``Łódź`` -> ``Lodz``: for logins and e-mail addresses."""
    text = text.replace("ł", "l").replace("Ł", "L")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _slug(text: str) -> str:
    return "".join(c for c in ascii_fold(text).lower() if c.isalnum())


def postal_code(rnd: random.Random, prefix: str) -> str:
    """``NN-NNN`` starting with the city's two digits."""
    return f"{prefix}-{rnd.randint(0, 999):03d}"


def typed_phone(rnd: random.Random) -> str:
    """A Polish number (+48 and nine digits) typed one of the ways people type it."""
    mobile = rnd.random() < 0.7
    digits = (
        f"{rnd.choice('5678')}{rnd.randint(0, 99999999):08d}"
        if mobile
        else (f"{rnd.choice(['22', '12', '42', '71', '61', '58'])}{rnd.randint(0, 9999999):07d}")
    )
    style = rnd.randint(0, 3)
    if style == 0:
        return f"+48 {digits[:3]} {digits[3:6]} {digits[6:]}"
    if style == 1:
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    if style == 2 and not mobile:
        return f"{digits[:2]} {digits[2:5]} {digits[5:7]} {digits[7:]}"
    return f"+48{digits}"


@dataclass
class Kontrahent:
    """One made-up customer of an F/K program."""

    code: str
    first: str | None
    last: str | None
    company: str | None
    nip: str | None
    street: str
    postcode: str
    city: str
    email: str | None
    phone: str | None
    credit_allowed: bool = False
    credit_limit: Decimal = Decimal("0.00")
    balance: Decimal = Decimal("0.00")
    discount_group: str | None = None
    shops: list[int] = field(default_factory=list)
    deliveries: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The one name field: the company, else "first last"."""
        return self.company or f"{self.first} {self.last}"


def kontrahenci(n: int, seed: int = 48, code_prefix: str = "K") -> list[Kontrahent]:
    """``n`` customers: about a third companies, the rest private persons."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        woman = rnd.random() < 0.5
        first = rnd.choice(WOMEN if woman else MEN)
        last = rnd.choice(SURNAMES)[1 if woman else 0]
        company = None
        if rnd.random() < 0.35:
            company = " ".join(p for p in (rnd.choice(TRADES), last, rnd.choice(FORMS)) if p)
        city, prefix = rnd.choice(CITIES)
        k = Kontrahent(
            code=f"{code_prefix}{i + 1:05d}",
            first=first,
            last=last,
            company=company,
            nip=make_nip(rnd) if company or rnd.random() < 0.1 else None,
            street=f"ul. {rnd.choice(STREETS)} {rnd.randint(1, 120)}"
            + (f"/{rnd.randint(1, 40)}" if rnd.random() < 0.5 else ""),
            postcode=postal_code(rnd, prefix),
            city=city,
            email=f"{_slug(first)}.{_slug(last)}{i}@{rnd.choice(DOMAINS)}"
            if rnd.random() < 0.9
            else None,
            phone=typed_phone(rnd) if rnd.random() < 0.85 else None,
            discount_group=rnd.choice(DISCOUNT_GROUPS) if rnd.random() < 0.5 else None,
            shops=[1] if rnd.random() < 0.8 else [1, 2],
        )
        if company and rnd.random() < 0.7:
            k.credit_allowed = True
            k.credit_limit = Decimal(rnd.choice([2000, 5000, 10000, 20000])).quantize(
                Decimal("0.01")
            )
            k.balance = Decimal(rnd.randint(0, int(k.credit_limit) * 12 // 10)).quantize(
                Decimal("0.01")
            )
        if rnd.random() < 0.3:
            d_city, d_prefix = rnd.choice(CITIES)
            k.deliveries.append(
                (
                    f"ul. {rnd.choice(STREETS)} {rnd.randint(1, 99)}",
                    postal_code(rnd, d_prefix),
                    d_city,
                )
            )
        out.append(k)
    return out
