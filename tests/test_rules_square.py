"""Edge <-> Square: SQ-1 ... SQ-3 through the real engine, the fake Edge and the fake Square.

Square-side edits are made as the seller would make them (the fake's state, with the
creation source the point of sale or Appointments gives a profile); Edge edits as a POS user.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fakes.toolkit import DropConnection, FaultRule
from framework.engine.duplicates import find_duplicates, merge_duplicates
from framework.engine.lookup import find_records
from framework.errors import SyncwrightError
from tests.square_world import PAIR, SquareWorld

SEGMENT = {
    "team_member_id": "TM1",
    "service_variation_id": "SV1",
    "service_variation_version": 1,
}


@pytest.fixture
def make(tmp_path: Path) -> Iterator[Any]:
    made: list[SquareWorld] = []

    def build(overrides: dict[str, Any] | None = None, transport: Any = None) -> SquareWorld:
        world = SquareWorld(tmp_path / f"w{len(made)}", overrides, transport)
        made.append(world)
        return world

    yield build
    for world in made:
        world.close()


@pytest.fixture
def world(make: Any) -> SquareWorld:
    built: SquareWorld = make()
    return built


def book(world: SquareWorld, customer_id: str, day: int = 2) -> dict[str, Any]:
    """An appointment for a customer, as Square Appointments makes it."""
    return world.sq.create_booking(
        {
            "location_id": "L1",
            "start_at": f"2030-01-{day:02d}T10:00:00Z",
            "customer_id": customer_id,
            "appointment_segments": [SEGMENT],
        }
    )


def edge_live(world: SquareWorld) -> list[str]:
    return [k for k, c in world.edge.customers.items() if not c.get("CustomerInactive")]


# -- SQ-1: point-of-sale customers and appointment clients are one profile --------------------


@pytest.mark.rule("SQ-1")
def test_pos_customer_and_appointment_client_come_down_as_customers_with_their_origin(world):
    pos = world.sq.create_customer(
        {"given_name": "Ada", "family_name": "Pos", "email_address": "ada@example.com"},
        "DIRECTORY",
    )
    client = world.sq.create_customer(
        {"given_name": "Bea", "family_name": "Appt", "phone_number": "+1 217 555 0142"},
        "APPOINTMENTS",
    )
    book(world, client["id"])
    world.settle()
    ada, bea = world.edge_key_of(pos["id"]), world.edge_key_of(client["id"])
    assert world.edge.customers[ada]["CustomerAcquisition"] == "Square Point of Sale"
    assert world.edge.customers[bea]["CustomerAcquisition"] == "Square Appointments"
    assert len(edge_live(world)) == 2


@pytest.mark.rule("SQ-1", "G-3")
def test_a_booking_names_the_same_profile_whichever_place_made_it(world):
    key = world.edge.add_customer("Cleo", "Same", emails=[("Home", "cleo@example.com")])
    world.settle()
    profile = world.square_of(key)
    # The client books an appointment: Appointments uses the same customer profile.
    booking = book(world, profile["id"])
    assert booking["customer_id"] == profile["id"]
    # An appointment client made in Appointments, with the same e-mail as an Edge customer,
    # links to that Edge customer instead of becoming a second one.
    key2 = world.edge.add_customer("Dora", "Booked", emails=[("Home", "Dora@Example.com")])
    world.edge.run_cycle()
    client = world.sq.create_customer(
        {"given_name": "Dora", "family_name": "Booked", "email_address": "dora@example.com"},
        "APPOINTMENTS",
    )
    book(world, client["id"], day=3)
    world.settle()
    assert world.edge_key_of(client["id"]) == key2
    assert len(edge_live(world)) == 2
    assert len(world.customers()) == 2, "matched, no second Square profile"


# -- SQ-2: duplicates found and reported, merged only on request ------------------------------


def kim_duplicates(world: SquareWorld) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Kim made at the point of sale, again from Appointments, and once more at the till."""
    a = world.sq.create_customer(
        {"given_name": "Kim", "family_name": "Lee", "email_address": "kim@example.com"},
        "DIRECTORY",
    )
    b = world.sq.create_customer(
        {
            "given_name": "Kim",
            "family_name": "Lee",
            "email_address": " KIM@Example.com".strip(),
            "phone_number": "(217) 555-0142",
        },
        "APPOINTMENTS",
    )
    c = world.sq.create_customer(
        {
            "given_name": "K",
            "family_name": "Lee",
            "email_address": "kim.lee@work.example",
            "phone_number": "+12175550142",
        },
        "DIRECTORY",
    )
    return a, b, c


@pytest.mark.rule("SQ-2", "SQ-1")
def test_duplicates_are_reported_and_never_merged_without_asking(world):
    a, b, c = kim_duplicates(world)
    other = world.sq.create_customer({"given_name": "Zed", "email_address": "zed@example.com"})
    world.settle()
    groups = find_duplicates(world.engine, PAIR, side="platform")
    assert [sorted(g.ids) for g in groups] == [sorted([a["id"], b["id"], c["id"]])]
    assert ("email", "kim@example.com") in groups[0].keys
    assert ("phone", "+12175550142") in groups[0].keys
    assert other["id"] not in groups[0].ids
    world.settle()  # more runs: still reported, still nothing merged
    assert len(world.customers()) == 4, "no automatic merge in Square"
    assert world.engine.store.merges() == []
    assert {r["id"] for r in world.sq.customers.live()} >= {a["id"], b["id"], c["id"]}


@pytest.mark.rule("SQ-2")
def test_merge_on_request_keeps_every_contact_method_bookings_and_groups(world):
    a, b, c = kim_duplicates(world)
    vip = world.sq.create_group("VIP")
    world.sq.set_groups(c["id"], add=vip["id"])
    booking = book(world, b["id"])
    world.settle()
    edge_a = world.edge_key_of(a["id"])
    done = merge_duplicates(world.engine, PAIR, "customer", "platform", a["id"], [b["id"], c["id"]])

    survivor = world.sq.customer(a["id"])
    assert [x["id"] for x in world.customers()] == [a["id"]], "the others are gone"
    assert survivor["phone_number"] == "(217) 555-0142", "a value it lacked was taken"
    assert "kim.lee@work.example" in world.sq.custom_attributes(a["id"]).values(), (
        "a second e-mail is kept, not lost (tests/test_square_merge.py: every value)"
    )
    assert world.sq.booking(booking["id"])["customer_id"] == a["id"], "bookings re-pointed"
    assert survivor["group_ids"] == [vip["id"]]
    assert done.details["done"]["bookings_moved"] == [booking["id"]]
    assert world.engine.store.merges()[0].merged == [b["id"], c["id"]]
    merged = world.engine.store.history(PAIR, "customer", link_id=None, ids=[b["id"]])
    assert [e.note for e in merged if e.action == "merge"] == [f"merged into {a['id']}"]
    # The link of a merged-away profile is marked and reported: its Edge counterpart is a
    # duplicate there now. B, reported as a duplicate of A when it was first read (G-3),
    # was never copied to Edge; merged away, its report is closed.
    problems = world.engine.store.problems()
    assert {p.rule for p in problems} == {"SQ-2"}
    assert {p.record_id for p in problems} == {world.edge_key_of(c["id"])}
    assert world.engine.store.link_by_id(PAIR, "customer", "platform", b["id"]) is None
    assert find_duplicates(world.engine, PAIR, side="platform") == []

    world.later(120)
    world.settle()
    assert "+12175550142" in world.edge_phones(edge_a) or any(
        "555" in p for p in world.edge_phones(edge_a)
    ), "the merged phone reached the Edge customer"
    assert len(world.customers()) == 1, "the merge is not undone by the next runs"


@pytest.mark.rule("SQ-2", "SQ-3")
def test_merge_into_an_unlinked_survivor_moves_the_link_without_a_duplicate(make):
    world = make(
        {"flows": {"customer": {"platform_filter": [{"field": "groups", "contains_any": ["VIP"]}]}}}
    )
    vip = world.sq.create_group("VIP")
    out = world.sq.create_customer({"given_name": "Out", "email_address": "liv@example.com"})
    linked = world.sq.create_customer(
        {"given_name": "Liv", "email_address": "LIV@example.com", "phone_number": "+12175550199"},
        "APPOINTMENTS",
    )
    world.sq.set_groups(linked["id"], add=vip["id"])
    world.settle()
    edge_key = world.edge_key_of(linked["id"])
    assert world.engine.store.link_by_id(PAIR, "customer", "platform", out["id"]) is None

    merge_duplicates(world.engine, PAIR, "customer", "platform", out["id"], [linked["id"]])
    assert world.edge_key_of(out["id"]) == edge_key, "the link moved to the survivor"
    assert world.sq.customer(out["id"])["reference_id"] == linked["id"], "it keeps the code"
    world.later(120)
    world.settle()
    assert world.engine.store.problems() == [], "no broken link, nothing quarantined"
    assert len(edge_live(world)) == 1, "no duplicate on Edge"
    assert world.edge_key_of(out["id"]) == edge_key


@pytest.mark.rule("SQ-2")
def test_merge_refuses_unknown_records_and_records_nothing(world):
    a, *_ = kim_duplicates(world)
    world.settle()
    with pytest.raises(SyncwrightError, match="SQ-2"):
        merge_duplicates(world.engine, PAIR, "customer", "platform", a["id"], ["NOT-THERE"])
    with pytest.raises(SyncwrightError, match="SQ-2"):
        merge_duplicates(world.engine, PAIR, "customer", "platform", a["id"], [a["id"]])
    assert world.engine.store.merges() == []
    assert len(world.customers()) == 3


@pytest.mark.rule("SQ-2", "G-3")
def test_a_merge_made_in_square_relinks_instead_of_duplicating(make):
    world = make({"flows": {"customer": {"deletes": "propagate"}}})
    world.sq.search_lag = 30
    a = world.sq.create_customer(
        {"given_name": "Max", "family_name": "Merge", "email_address": "max@example.com"},
        "DIRECTORY",
    )
    b = world.sq.create_customer(
        {"given_name": "Max", "family_name": "Merge", "phone_number": "+12175550177"},
        "APPOINTMENTS",
    )
    world.later(31)
    world.settle()
    edge_a, edge_b = world.edge_key_of(a["id"]), world.edge_key_of(b["id"])

    merged = world.sq.merge_customers([a["id"], b["id"]])  # done in Square's dashboard
    world.settle()  # the merge events arrive before search shows the new profile
    assert world.edge_key_of(merged["id"]) == edge_a, "the link moved to the merged profile"
    assert sorted(edge_live(world)) == sorted([edge_a, edge_b]), "no new Edge customer"
    assert not world.edge.customers[edge_a].get("CustomerInactive"), (
        "the merge's deletions are not deletes, even where deletes propagate"
    )
    problems = world.engine.store.problems()
    assert [(p.rule, p.record_id) for p in problems] == [("G-7", edge_b)], "reported"
    world.later(31)
    world.settle()  # now search shows the merged profile too: still no duplicate
    assert sorted(edge_live(world)) == sorted([edge_a, edge_b])
    assert len(world.customers()) == 1
    assert "+12175550177" in world.edge_phones(edge_a) or any(
        "0177" in p for p in world.edge_phones(edge_a)
    ), "the merged profile's phone reached the Edge customer"


# -- search lag, idempotence, optimistic concurrency ------------------------------------------


@pytest.mark.rule("G-6", "G-3")
def test_a_new_profile_missing_from_search_is_not_created_twice(world):
    world.sq.search_lag = 30
    key = world.edge.add_customer("Nia", "New", emails=[("Home", "nia@example.com")])
    world.sync()
    assert len(world.customers()) == 1
    world.settle()  # search does not show it yet
    assert len(world.customers()) == 1
    world.later(31)
    report = world.settle()
    assert len(world.customers()) == 1
    assert report.counts["customer.create.platform"] == 0
    assert world.square_of(key)["email_address"] == "nia@example.com"


class LoseFirstCreateAnswer(httpx.BaseTransport):
    """Square creates the customer, then the answer is lost on the way back (once)."""

    def __init__(self, inner: httpx.BaseTransport):
        self.inner = inner
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and request.url.path == "/v2/customers" and not self.lost:
            self.lost += 1
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


@pytest.mark.rule("G-6", "G-5")
def test_a_create_whose_answer_was_lost_is_not_duplicated(make):
    world = make({"flows": {"customer": {}}}, transport=LoseFirstCreateAnswer)
    world.sq.search_lag = 30
    key = world.edge.add_customer("Ola", "Lost", emails=[("Home", "ola@example.com")])
    # One write at a time, so the single-create path (with its idempotency key) is used.
    world.sync()
    assert world.transport.lost == 1
    assert len(world.customers()) == 1, "the retry reused the idempotency key"
    world.later(31)
    world.settle()
    assert len(world.customers()) == 1
    assert world.square_of(key)["given_name"] == "Ola"
    assert DropConnection is not None


@pytest.mark.rule("G-5")
def test_a_stale_version_is_parked_then_merged_on_the_next_run(world):
    world.sq.search_lag = 30
    key = world.edge.add_customer("Pia", "Old", emails=[("Home", "pia@example.com")])
    world.settle()
    world.later(31)
    world.settle()
    profile = world.square_of(key)
    world.sq.update_customer(profile["id"], {"nickname": "Pip", "family_name": "Sq"})  # unseen
    world.edge.edit_customer(key, CustomerFirstName="Piaa")
    world.settle()
    parked = world.engine.store.problems()
    assert len(parked) == 1
    assert "changed on Square" in parked[0].reason
    world.later(31)
    # Square takes no writes for a while: the newer version is read and merged, but the
    # refused change (merged again with it) cannot land yet.
    world.fail(
        FaultRule(kind="503", rate=1.0, methods=["PUT"]),
        FaultRule(kind="503", rate=1.0, path="/v2/customers/bulk-update"),
    )
    world.settle()
    assert [p.id for p in world.engine.store.problems()] == [parked[0].id], (
        "a newer read never resolves a refused write"
    )
    assert world.sq.customer(profile["id"])["given_name"] == "Pia"
    world.fail()
    world.settle()
    now = world.sq.customer(profile["id"])
    assert now["given_name"] == "Piaa", "Edge's change went up once the newer version was read"
    assert now["nickname"] == "Pip", "the Square user's change was not overwritten"
    assert world.engine.store.problems() == [], "the write that carried it resolved it"


# -- SQ-3: choose who syncs by group or segment; find by phone, e-mail or name ---------------


@pytest.mark.rule("SQ-3")
def test_only_customers_of_the_chosen_group_sync(make):
    world = make(
        {"flows": {"customer": {"platform_filter": [{"field": "groups", "contains_any": ["VIP"]}]}}}
    )
    vip = world.sq.create_group("VIP")
    inside = world.sq.create_customer({"given_name": "In", "email_address": "in@example.com"})
    outside = world.sq.create_customer({"given_name": "Out", "email_address": "out@example.com"})
    world.sq.set_groups(inside["id"], add=vip["id"])
    world.settle()
    assert [c["CustomerFirstName"] for c in world.edge.customers.values()] == ["In"]
    world.sq.set_groups(outside["id"], add=vip["id"])  # the seller adds her to the group
    world.settle()
    assert sorted(c["CustomerFirstName"] for c in world.edge.customers.values()) == ["In", "Out"]


@pytest.mark.rule("SQ-3")
def test_segment_membership_chooses_who_syncs_on_a_full_read(make):
    world = make(
        {
            "flows": {
                "customer": {"platform_filter": [{"field": "groups", "contains_any": ["Frequent"]}]}
            }
        }
    )
    a = world.sq.create_customer({"given_name": "Seg", "email_address": "seg@example.com"})
    world.sq.create_customer({"given_name": "Not", "email_address": "not@example.com"})
    world.sq.add_segment("Frequent", [a["id"]])
    world.settle()
    assert [c["CustomerFirstName"] for c in world.edge.customers.values()] == ["Seg"]


@pytest.mark.rule("SQ-3")
def test_find_by_phone_email_or_name(world):
    world.sq.create_customer(
        {
            "given_name": "Quinn",
            "family_name": "Finder",
            "email_address": "quinn@example.com",
            "phone_number": "+12175550123",
        },
        "APPOINTMENTS",
    )
    world.edge.add_customer("Rae", "Finder", emails=[("Home", "rae@example.com")])
    world.settle()
    by_email = find_records(world.engine.store, PAIR, "customer", "QUINN@example.com ")
    assert {(f.side, f.by) for f in by_email} == {("pos", "email"), ("platform", "email")}
    by_phone = find_records(world.engine.store, PAIR, "customer", "(217) 555-0123")
    assert {f.side for f in by_phone} == {"pos", "platform"}
    by_name = find_records(world.engine.store, PAIR, "customer", "finder")
    assert sorted({f.name for f in by_name}) == ["Quinn Finder", "Rae Finder"]
    assert find_records(world.engine.store, PAIR, "customer", "nobody@example.com") == []
