"""SQ-2: a merge of duplicate Square profiles loses nothing, value by value.

Three profiles of one person, each with its own e-mail, phone, address and note (some the
same value written otherwise), a seller's custom field on two of them with different values,
bookings and a group: after ``merge_duplicates`` (what ``syncwright duplicates merge`` runs)
the survivor holds every contact method and note of all three, as structured data (its own
fields, then customer custom attributes of the matching Square type), the merge report says
where each value went and is right about it, and the linked history points to the survivor.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakes.square.attributes import SCHEMA_BASE
from fakes.toolkit import FaultRule
from framework.engine.duplicates import merge_duplicates
from framework.errors import RetryableError
from framework.normalize import email_key, phone_e164, text_key
from tests.recorder import Recorder
from tests.square_spec import check
from tests.square_world import PAIR, SquareWorld

SEGMENT = {"team_member_id": "TM1", "service_variation_id": "SV1", "service_variation_version": 1}
KINDS = {"Email": "emails", "PhoneNumber": "phones", "Address": "addresses", "String": "notes"}
OWN = {"email_address": "emails", "phone_number": "phones", "address": "addresses", "note": "notes"}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[SquareWorld]:
    built = SquareWorld(tmp_path, transport=Recorder)
    yield built
    built.close()
    for request, response in built.transport.exchanges:  # the merge's calls, as Square's spec
        check(request, response)


def same(kind: str, value: Any) -> Any:
    """The identity of a value: an e-mail in any case, a number however written."""
    if kind == "emails":
        return email_key(value)
    if kind == "phones":
        return phone_e164(value, "US")
    if kind == "addresses":
        parts = ("address_line_1", "address_line_2", "locality", "postal_code")
        return tuple(text_key(value.get(p, "")) for p in parts)
    return text_key(value)


def held(world: SquareWorld, customer_id: str) -> dict[str, set[Any]]:
    """Every contact method and note a profile holds, as the seller sees it (fields, then
    custom attributes by the type of their definition)."""
    profile = world.sq.customer(customer_id)
    found: dict[str, set[Any]] = {k: set() for k in KINDS.values()}
    for name, kind in OWN.items():
        if profile.get(name):
            found[kind].add(same(kind, profile[name]))
    definitions = {d["key"]: d for d in world.sq.attributes.listed_definitions()}
    found["custom fields"] = set()
    for key, value in world.sq.custom_attributes(customer_id).items():
        definition = definitions[key]
        if not key.startswith("merged-"):  # the seller's own custom field
            found["custom fields"].add((definition["name"], value))
            continue
        kind = KINDS[definition["schema"]["$ref"].removeprefix(SCHEMA_BASE)]
        found[kind].add(same(kind, value))
    return found


def custom_field(world: SquareWorld, key: str, name: str) -> None:
    """A custom field the seller made in the dashboard."""
    world.sq.attributes.create_definition(
        {
            "custom_attribute_definition": {
                "key": key,
                "name": name,
                "description": name,
                "schema": {"$ref": f"{SCHEMA_BASE}String"},
                "visibility": "VISIBILITY_READ_WRITE_VALUES",
            }
        }
    )


def book(world: SquareWorld, customer_id: str, day: int) -> str:
    booking = world.sq.create_booking(
        {
            "location_id": "L1",
            "start_at": f"2030-01-{day:02d}T10:00:00Z",
            "customer_id": customer_id,
            "appointment_segments": [SEGMENT],
        }
    )
    return str(booking["id"])


def three_of_one_person(world: SquareWorld) -> list[dict[str, Any]]:
    """Mia at the till, from Appointments, and again at the till, each with her own values."""
    home = {"address_line_1": "12 Oak St", "locality": "Springfield", "postal_code": "62701"}
    work = {"address_line_1": "1 Main Plaza", "address_line_2": "Suite 4", "locality": "Peoria"}
    lake = {"address_line_1": "7 Lake Rd", "locality": "Decatur", "country": "US"}
    bodies = [
        {"given_name": "Mia", "family_name": "Cho", "email_address": "mia@example.com",
         "address": home},
        {"given_name": "Mia", "family_name": "Cho", "email_address": "MIA@Example.com",
         "phone_number": "(217) 555-0142", "address": work, "note": "Prefers white gold"},
        {"given_name": "M.", "family_name": "Cho", "email_address": "mia.cho@work.example",
         "phone_number": "+1 309 555 0199", "address": {**home, "address_line_1": "12 OAK ST"},
         "note": "Allergic to nickel"},
    ]  # fmt: skip
    # The second profile got the first one's e-mail only after both had synced: a new
    # profile sharing a linked one's e-mail is reported and never synced (G-3), so
    # duplicates with links of their own are ones that came to match later.
    late_email = bodies[1].pop("email_address")
    made = [
        world.sq.create_customer(b, "APPOINTMENTS" if i == 1 else "DIRECTORY")
        for i, b in enumerate(bodies)
    ]
    made.append(world.sq.create_customer({"given_name": "Mia", "address": lake}, "DIRECTORY"))
    world.settle()
    made[1] = world.sq.update_customer(made[1]["id"], {"email_address": late_email})
    return made


@pytest.mark.rule("SQ-2", "SQ-1")
def test_a_merge_keeps_every_contact_method_and_note_of_every_profile_value_by_value(
    world: SquareWorld,
):
    a, b, c, d = three_of_one_person(world)
    custom_field(world, "ring-size", "Ring size")
    world.sq.attributes.upsert(a["id"], "ring-size", {"value": "7"})
    world.sq.attributes.upsert(c["id"], "ring-size", {"value": "6.5"})
    vip = world.sq.create_group("VIP")
    world.sq.set_groups(c["id"], add=vip["id"])
    bookings = [book(world, b["id"], 2), book(world, c["id"], 3), book(world, d["id"], 4)]
    world.settle()
    ids = [a["id"], b["id"], c["id"], d["id"]]
    before: dict[str, set[Any]] = {k: set() for k in (*KINDS.values(), "custom fields")}
    each = {i: held(world, i) for i in ids}
    for values_of_one in each.values():
        for kind, values in values_of_one.items():
            before[kind] |= values
    assert len(before["emails"]) == 2, "two e-mails (one written in two cases)"
    assert len(before["phones"]) == 2
    assert len(before["addresses"]) == 3, "three addresses (one written in two cases)"
    assert len(before["notes"]) == 2
    assert before["custom fields"] == {("Ring size", "7"), ("Ring size", "6.5")}
    links_before = {i: world.engine.store.link_by_id(PAIR, "customer", "platform", i) for i in ids}
    assert all(link is not None for link in links_before.values()), "all four synced"

    done = merge_duplicates(world.engine, PAIR, "customer", "platform", a["id"], ids[1:])

    assert [x["id"] for x in world.customers()] == [a["id"]], "the others are gone"
    after = held(world, a["id"])
    for kind in ("emails", "phones", "addresses"):
        assert after[kind] == before[kind], f"{kind}: the union before the merge, value by value"
    # The survivor's custom field keeps its value; the other's, which differs, is kept as a
    # note naming the field.
    assert after["custom fields"] == {("Ring size", "7")}
    assert after["notes"] == before["notes"] | {same("notes", "ring-size: 6.5")}
    survivor = world.sq.customer(a["id"])
    assert survivor["email_address"] == "mia@example.com", "the survivor's own stay its own"
    assert same("phones", survivor["phone_number"]) == "+12175550142", "a value it lacked"
    assert survivor["note"] == "Prefers white gold", "a note it lacked, in its own field"
    attributes = world.sq.custom_attributes(a["id"])
    assert attributes["ring-size"] == "7", "its own custom field stays"
    assert "ring-size: 6.5" in attributes.values(), "the other's differing one is kept"
    # The report says where each value went, and it is right.
    kept = done.details["kept"]
    for entry in kept:
        place = entry["place"]
        if place.startswith("custom attribute "):
            value = attributes[place.removeprefix("custom attribute ")]
        else:
            value = survivor[place]
        assert reported_right(entry, value), f"the report is wrong about {entry}"
    reported = {(e["field"], e["source"]) for e in kept}
    for customer_id in ids:
        for kind in KINDS.values():
            if each[customer_id][kind]:
                assert (kind, customer_id) in reported, f"{kind} of {customer_id} not reported"
    # Linked history points to the survivor.
    assert all(world.sq.booking(i)["customer_id"] == a["id"] for i in bookings)
    assert world.sq.customer(a["id"])["group_ids"] == [vip["id"]]
    link = world.engine.store.link_by_id(PAIR, "customer", "platform", a["id"])
    assert link is not None
    assert link.status == "ok"
    assert link.link_key in (survivor["id"], survivor.get("reference_id")), "its code still holds"
    for other in ids[1:]:
        moved = world.engine.store.link_by_id(PAIR, "customer", "platform", other)
        assert moved is not None
        assert moved.status == "merged", "no live link to a profile that is gone"
    problems = {p.record_id: p for p in world.engine.store.problems()}
    for other in ids[1:]:
        edge_key = links_before[other].pos_id  # type: ignore[union-attr]
        assert a["id"] in problems[edge_key].reason, (
            "its Edge twin is reported, naming the survivor"
        )
    # The next runs neither undo it nor duplicate anything.
    world.later(120)
    world.settle()
    assert len(world.customers()) == 1
    assert held(world, a["id"]) == after


def reported_right(entry: dict[str, str], value: Any) -> bool:
    """A reported value is the one found where the report says it is."""
    kind = entry["field"]
    if kind in ("emails", "phones"):
        return bool(same(kind, entry["value"]) == same(kind, value))
    shown = ", ".join(v for v in value.values() if v) if isinstance(value, dict) else value
    return text_key(entry["value"]) in text_key(shown)


@pytest.mark.rule("SQ-2")
def test_a_merge_cut_short_loses_nothing_and_can_be_run_again(world: SquareWorld):
    a, b, c, _ = three_of_one_person(world)
    world.settle()
    each = [held(world, i) for i in (a["id"], b["id"], c["id"])]
    union = {k: set().union(*(h[k] for h in each)) for k in each[0]}
    world.fail(FaultRule(kind="503", rate=1.0, methods=["DELETE"]))
    with pytest.raises(RetryableError, match="503"):
        merge_duplicates(world.engine, PAIR, "customer", "platform", a["id"], [b["id"], c["id"]])
    assert len(world.customers()) == 4, "nothing deleted"
    assert world.engine.store.merges() == [], "nothing recorded"
    assert held(world, a["id"]) == union, "what it did before it stopped lost nothing"
    written = world.sq.custom_attributes(a["id"])
    world.fail()
    merge_duplicates(world.engine, PAIR, "customer", "platform", a["id"], [b["id"], c["id"]])
    assert len(world.customers()) == 2
    assert held(world, a["id"]) == union
    assert world.sq.custom_attributes(a["id"]) == written, "run again, nothing written twice"
