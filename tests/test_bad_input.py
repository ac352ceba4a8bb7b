"""Bad input: a corpus of malformed records on both sides (G-5).

Every malformed record is quarantined with a clear reason naming the record, the rule and
what is wrong; no run crashes or stops; every good record beside them syncs. Text that is
unusual but valid (right-to-left scripts, combining marks, emoji, markup, quotes, the
longest allowed value) is data: it must arrive byte for byte, never parked, never
interpreted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest

from tests.harness import World

PairValue = dict[str, Any]


def _email(value: str) -> Callable[[PairValue], None]:
    def mutate(v: PairValue) -> None:
        v["Emails"][0]["PairValue"]["EmailEmail"] = value

    return mutate


def _phone(value: Any) -> Callable[[PairValue], None]:
    def mutate(v: PairValue) -> None:
        v["Phones"] = [
            {
                "Key": "Cell",
                "PairValue": {"PhoneType": "Cell", "PhonePhone": value, "PhonePhoneExt": ""},
            }
        ]

    return mutate


def _set(**fields: Any) -> Callable[[PairValue], None]:
    def mutate(v: PairValue) -> None:
        v.update(fields)

    return mutate


def _drop_pair_value_of_first_email(v: PairValue) -> None:
    del v["Emails"][0]["PairValue"]


# (what is wrong, how to break an Edge PairValue, words the reason must hold)
EDGE_CORPUS: list[tuple[str, Callable[[PairValue], None], str]] = [
    ("e-mail without a domain", _email("not-an-email@"), "invalid e-mail address"),
    ("e-mail with two @", _email("two@@example.com"), "invalid e-mail address"),
    ("e-mail with a space", _email("a b@example.com"), "invalid e-mail address"),
    ("e-mail of 300 characters", _email("a" * 290 + "@example.com"), "at most 254"),
    ("e-mail as a list", _email(["x@example.com"]), "Emails"),  # type: ignore[arg-type]
    ("phone too short", _phone("12"), "invalid phone number"),
    ("phone of letters", _phone("call me maybe"), "invalid phone number"),
    ("phone of 25 digits", _phone("1" * 25), "invalid phone number"),
    ("phone as an object", _phone({"n": 1}), "Phones"),
    ("first name of 10,000 characters", _set(CustomerFirstName="A" * 10_000), "first_name"),
    ("NUL in the last name", _set(CustomerLastName="Smi\x00th"), "control character"),
    ("bell in the first name", _set(CustomerFirstName="Ann\x07"), "control character"),
    ("escape in a custom field", _set(CustomerKey1="7\x1b[31m"), "control character"),
    ("custom field as an object", _set(CustomerKey1={"size": 7}), "CustomerKey1"),
    ("first name as a list", _set(CustomerFirstName=["Ann"]), "CustomerFirstName"),
    ("sync flag as text", _set(CustomerXfer="yes"), "CustomerXfer"),
    ("gender spelled out", _set(CustomerGender="Female"), "gender"),
    ("birth date that does not exist", _set(CustomerBirthDate="02/31/1990 00:00:00"), "birth"),
    ("birth date in another format", _set(CustomerBirthDate="1990-02-01"), "birth"),
    ("e-mails as text", _set(Emails="x@example.com"), "Emails"),
    ("phones as an object", _set(Phones={"Key": "Cell"}), "Phones"),
    ("contact method without its values", _drop_pair_value_of_first_email, "Emails"),
]

# Records no POS would export but a broken one might: written into an export by hand.
RAW_RECORDS: list[tuple[str, Any, str]] = [
    ("no CustomerKey", {"PairValue": {"CustomerFirstName": "Keyless"}}, "no CustomerKey"),
    ("a bare string", "just text", "not a Key/PairValue object"),
    ("PairValue as text", {"Key": "001-09999", "PairValue": "garbage"}, "not a Key/PairValue"),
    ("a number", 42, "not a Key/PairValue object"),
]

# (what is wrong, a raw client as the platform's feed serves it, words the reason must hold)
CLIENTBOOK_CORPUS: list[tuple[str, dict[str, Any], str]] = [
    ("e-mail not an address", {"email": "not an email"}, "invalid e-mail address"),
    ("mobile not E.164", {"mobile": "555-1234"}, "E.164"),
    ("first name a number", {"first_name": 12345}, "first_name"),
    ("last name of 300 characters", {"last_name": "L" * 300}, "last_name"),
    ("NUL in the first name", {"first_name": "Jo\x00"}, "control character"),
    ("address as text", {"address": "12 Main St"}, "address"),
    ("preferences as text", {"preferences": "ring size 7"}, "preferences"),
    ("preference value a number", {"preferences": [{"name": "Ring size", "value": 7}]}, "custom"),
    ("e-mail as a list", {"email": ["a@example.com"]}, "email: address"),
    ("acquisition of 1,000 characters", {"acquisition": "x" * 1000}, "acquisition"),
    ("updated_at not a time", {"updated_at": "yesterday"}, "updated_at"),
]

# Valid but unusual: must arrive exactly as written, both ways.
UNUSUAL = [
    ("right-to-left", "מרים", "\u200fعلي"),
    ("combining marks", "Zoe\u0308", "Jose\u0301"),
    ("emoji", "Ana 💍", "👩\u200d👩\u200d👧 family"),
    ("markup", "<script>alert('x')</script>", "Bob & <b>Co</b>"),
    ("quotes", 'O\'Brien "Bo" \\', "Robert'); DROP TABLE customers;--"),
    ("the longest allowed", "N" * 255, "L" * 255),
]


def good(world: World, n: int) -> list[str]:
    return [
        world.edge.add_customer(
            f"Good{i}", "Person", emails=[("Home", f"good{i}@example.com")], CustomerKey1="7"
        )
        for i in range(n)
    ]


def broken_edge_customer(world: World, i: int, mutate: Callable[[PairValue], None]) -> str:
    key = world.edge.add_customer(
        f"Bad{i}",
        "Edge",
        emails=[("Home", f"bad{i}@example.com")],
        phones=[("Cell", "2175550100")],
    )
    mutate(world.edge.customers[key])
    return key


@pytest.mark.rule("G-5")
def test_every_malformed_edge_customer_is_quarantined_and_the_rest_sync(world: World):
    keys = {
        broken_edge_customer(world, i, mutate): (what, words)
        for i, (what, mutate, words) in enumerate(EDGE_CORPUS)
    }
    fine = good(world, 5)
    raw = "2026-11-23-08-00-00-CustomerList.json"  # an export before the fake's own
    body = {"Customers": [r for _, r, _ in RAW_RECORDS], "MaxEmails": 5}
    (world.edge.inbox / raw).write_bytes(orjson.dumps(body))
    for n, (what, _, words) in enumerate(RAW_RECORDS):
        keys[f"record:{raw}#{n}"] = (what, words)
    reports = [world.sync() for _ in range(3)]
    assert all(r.errors == [] for r in reports), "no run stopped"
    problems = {p.record_id: p for p in world.problems()}
    for key, (what, words) in keys.items():
        problem = problems.get(key)
        assert problem is not None, f"{what}: not quarantined"
        assert problem.rule == "G-5", what
        assert problem.side == "pos", what
        assert words.lower() in problem.reason.lower(), f"{what}: unclear reason {problem.reason!r}"
        named = key.removeprefix("record:")
        assert named in problem.reason, f"{what}: the reason does not name {named}"
    assert len(problems) == len(EDGE_CORPUS) + len(RAW_RECORDS), "one problem each, no more"
    assert sorted(c["first_name"] for c in world.clients()) == [f"Good{i}" for i in range(5)]
    for key in fine:
        assert world.client_of(key)["preferences"] == [{"name": "Ring size", "value": "7"}]


@pytest.mark.rule("G-5")
def test_every_malformed_clientbook_client_is_quarantined_and_the_rest_sync(world: World):
    ids = {}
    for i, (what, raw, words) in enumerate(CLIENTBOOK_CORPUS):
        base = {
            "first_name": f"Bad{i}",
            "last_name": "Client",
            "email": f"badclient{i}@example.com",
            "mobile": None,
            "address": None,
            "preferences": [],
            "acquisition": None,
        }
        client = world.cb.clients.create({**base, **raw}, "as_12")  # past the API's checks
        if "updated_at" in raw:
            client["updated_at"] = raw["updated_at"]
        ids[client["id"]] = (what, words)
    for i in range(5):
        world.cb.create_client(
            {"first_name": f"Fine{i}", "last_name": "Client", "email": f"fine{i}@example.com"},
            "as_12",
        )
    reports = [world.sync() for _ in range(3)]
    assert all(r.errors == [] for r in reports), [r.errors for r in reports]
    problems = {p.record_id: p for p in world.problems()}
    for client_id, (what, words) in ids.items():
        problem = problems.get(client_id)
        assert problem is not None, f"{what}: not quarantined"
        assert problem.rule == "G-5", what
        assert problem.side == "platform", what
        assert words.lower() in problem.reason.lower(), f"{what}: unclear reason {problem.reason!r}"
        assert client_id in problem.reason, f"{what}: the reason does not name {client_id}"
    assert len(problems) == len(CLIENTBOOK_CORPUS)
    fine = sorted(c["CustomerFirstName"] for c in world.edge.customers.values())
    assert fine == [f"Fine{i}" for i in range(5)], "the good clients came down, no bad one"


@pytest.mark.rule("G-5")
def test_a_record_the_platform_refuses_is_parked_with_its_reason_and_the_rest_go_on(
    world: World,
):
    nameless = world.edge.add_customer("", "", emails=[("Home", "nameless@example.com")])
    fine = good(world, 3)
    report = world.settle()
    [problem] = world.problems()
    assert problem.rule == "G-5"
    assert (problem.side, problem.record_id) == ("pos", nameless), "parked under its record"
    assert "clientbook refused the write" in problem.reason
    assert "first_name or last_name is required" in problem.reason
    assert report.errors == []
    assert all(world.client_of(k) for k in fine)


@pytest.mark.rule("G-5", "CB-2", "CB-3")
@pytest.mark.parametrize(("what", "first", "last"), UNUSUAL, ids=[u[0] for u in UNUSUAL])
def test_unusual_but_valid_text_arrives_exactly_both_ways(
    world: World, what: str, first: str, last: str
):
    key = world.edge.add_customer(
        first, last, emails=[("Home", "up@example.com")], CustomerKey1=first[:20]
    )
    world.cb.create_client(
        {"first_name": last, "last_name": first, "email": "down@example.com"}, "as_12"
    )
    world.settle()
    assert world.problems() == [], what
    up = world.client_of(key)
    assert (up["first_name"], up["last_name"]) == (first, last), "uploaded byte for byte"
    assert up["preferences"] == [{"name": "Ring size", "value": first[:20]}]
    [down] = [c for c in world.edge.customers.values() if c["CustomerFirstName"] == last]
    assert down["CustomerLastName"] == first, "downloaded byte for byte"
