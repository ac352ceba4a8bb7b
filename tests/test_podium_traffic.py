"""What the Podium connector sends: every public request and answer as Podium's spec says,
and the API calls an initial upload and a quiet run cost (Podium allows 300 a minute)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.podium_spec import Recorder
from tests.podium_world import PodiumWorld


@pytest.mark.rule("PD-2", "PD-3")
def test_the_connectors_traffic_conforms_to_podiums_spec(tmp_path: Path):
    recorders: list[Recorder] = []

    def record(inner):  # type: ignore[no-untyped-def]
        recorders.append(Recorder(inner))
        return recorders[-1]

    world = PodiumWorld(tmp_path, transport=record, visibility_delay=30.0)
    try:
        key = world.edge.add_customer(
            "Ada", "Lovelace", emails=[("Home", "ada@example.com")], CustomerKey1="6"
        )
        world.edge.add_contact(key, "Addresses", "Home", AddressStreet="1 Main St")
        world.pd.add_contact("Cloud Born", email="cloud@example.com", phone="+12175550142")
        world.sync()
        world.edge.edit_customer(key, CustomerFirstName="Augusta", CustomerKey1="")
        world.sync()  # the contact is still queued: looked up by e-mail (404), retried
        world.later(31)
        world.settle()
        world.later(36000)  # the token expires: 401, refreshed, the call made again
        uid = world.contact_of(key)["uid"]
        world.pd.edit_contact(uid, phones=["+12175550199"])
        world.edge.edit_customer(key, CustomerLastName="King")
        world.settle()
        world.edge.add_item("Gold hoops")
        world.edge.add_sale(key, [{"desc": "Engraving", "amount": 25.0}])
        world.edge.add_job(key, "Repair", "Resize ring")
        world.edge.add_appointment(key, dt.datetime(2026, 12, 5, 14, 0), reason="Fitting")
        world.settle()
        assert world.problems() == []
    finally:
        world.close()
    checked = recorders[0].checked()  # raises if any public exchange does not conform
    for operation in (
        "GET 200",  # contacts pages, contact_attributes, locations, one contact
        "GET 404",  # a contact not visible yet
        "GET 401",  # an expired token
        "POST 202",  # a contact create, an attribute value
        "PATCH 202",  # a contact update
        "DELETE 202",  # an attribute value removed
        "POST 200",  # an attribute definition
    ):
        assert checked.get(operation), f"no {operation} exchange was checked: {checked}"


@pytest.mark.rule("PD-2", "G-2")
def test_api_calls_of_an_initial_upload_and_of_a_quiet_run(tmp_path: Path):
    world = PodiumWorld(tmp_path)
    try:
        for i in range(50):
            world.edge.add_customer(
                f"First{i}",
                f"Last{i}",
                emails=[("Home", f"person{i}@example.com")],
                CustomerAcquisition="Walk-in",
            )
        initial = world.sync()
        # One create each, plus: a token, a contacts page, the location, the attribute
        # definitions, and the two attributes the connector defines (Edge link, Acquisition).
        assert initial.counts["customer.create.platform"] == 50
        assert initial.calls == {"podium.calls": 50 + 6}
        world.sync()  # the read-back: our own writes, recognised (G-4)
        quiet = world.sync()
        assert quiet.calls == {"podium.calls": 1}, "a quiet run reads one page of contacts"
        assert sum(quiet.counts[k] for k in quiet.counts if ".create." in k) == 0
    finally:
        world.close()


@pytest.mark.rule("PD-4", "PD-6")
def test_an_upload_writes_each_sold_item_once_not_again_for_each_line_that_sold_it(
    tmp_path: Path,
):
    """Podium has no batch endpoint: one call a record. The product flow archives a sold
    item (the flow before purchases); each line that sold it used to upsert the same
    archived product again (Podium 1k upload: 95 product writes for 50 items)."""
    recorders: list[Recorder] = []

    def record(inner):  # type: ignore[no-untyped-def]
        recorders.append(Recorder(inner))
        return recorders[-1]

    world = PodiumWorld(tmp_path, transport=record)
    try:
        stock = [world.edge.add_item(f"Ring {n}", special_order=n == 0) for n in range(4)]
        for n in range(3):
            key = world.edge.add_customer(
                f"First{n}", f"Last{n}", emails=[("Home", f"person{n}@example.com")]
            )
            lines = [{"item": stock[n], "amount": 100.0}, {"desc": "Engraving", "amount": 25}]
            world.edge.add_sale(key, [*lines, {"item": stock[0], "amount": 90.0}])
        world.settle()
        assert world.problems() == []
    finally:
        world.close()
    made = Counter(route(r) for r, _ in recorders[0].exchanges)
    assert made == {
        "POST /v4/contacts": 3,  # one a customer
        "POST /v4/products": 4,  # one an item: the sold ones archived, not again per line
        "POST /v4/contacts/{id}/purchases": 9,  # one a sale line
        "GET /v4/contacts": 3,  # one page a run (the second run adopts the contacts)
        "POST /oauth/token": 1,
        "GET /v4/locations": 1,
        "GET /v4/contact_attributes": 1,
        "POST /v4/contact_attributes": 1,  # Edge link
    }


def route(request: httpx.Request) -> str:
    """A request's method and path, a contact's identifier folded."""
    parts = request.url.path.split("/")
    if len(parts) > 3 and parts[2] == "contacts":
        parts[3] = "{id}"
    return f"{request.method} {'/'.join(parts)}"
