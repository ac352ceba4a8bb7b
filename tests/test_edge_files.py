"""Edge EDT files half written or broken (``docs/edge-exchange.md`` choice 9), G-5.

A file that does not parse yet and is recent may still be being written by EDT: reading
stops before it (nothing after it is read either, so order is kept) and waits. One that
stays broken past ``settle_seconds`` is quarantined with its name and the parse error, and
reading goes on; its customers come again with the next export that holds them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import World

WAIT = {"systems": {"edge": {"settle_seconds": 600}}}


def add(world: World, name: str) -> str:
    return world.edge.add_customer(name, "Files", emails=[("Home", f"{name.lower()}@example.com")])


@pytest.mark.rule("G-5", "G-2")
def test_a_half_written_export_is_waited_for_then_read(tmp_path: Path):
    world = World(tmp_path, settings=WAIT)
    add(world, "Early")
    world.sync()
    world.edge.partial_next_export = True
    add(world, "Half")
    world.edge.run_cycle()  # EDT is still writing this one
    add(world, "Later")
    world.edge.run_cycle()  # and a later export is complete
    report = world.engine.run_pair("store")
    assert report.counts["customer.read.pos"] == 0, "nothing read past the unfinished file"
    assert world.problems() == [], "an unfinished file is not a problem yet"
    assert sorted(c["first_name"] for c in world.clients()) == ["Early"]
    world.edge.finish_partial_export()
    world.engine.run_pair("store")
    assert sorted(c["first_name"] for c in world.clients()) == ["Early", "Half", "Later"]
    assert world.problems() == []
    world.close()


@pytest.mark.rule("G-5")
@pytest.mark.parametrize("fault", ["partial_next_export", "malformed_next_export"])
def test_a_broken_export_is_quarantined_by_name_and_reading_goes_on(world: World, fault: str):
    add(world, "Before")
    world.sync()
    setattr(world.edge, fault, True)
    add(world, "Lost")
    world.edge.run_cycle()  # settle_seconds = 0: broken at once
    add(world, "After")
    report = world.sync()
    [problem] = world.problems()
    assert problem.side == "pos"
    assert problem.rule == "G-5"
    assert problem.record_id.startswith("file:")
    assert problem.record_id.endswith("CustomerList.json")
    assert "is not valid JSON" in problem.reason
    assert problem.record_id.removeprefix("file:") in problem.reason, "the reason names the file"
    assert sorted(c["first_name"] for c in world.clients()) == ["After", "Before"]
    assert report.errors == [], "one broken file does not stop the run"
    world.edge.run_cycle(full=True)  # the store asks EDT for a full export
    world.settle()
    assert sorted(c["first_name"] for c in world.clients()) == ["After", "Before", "Lost"]
    assert len(world.edge.customers) == 3, "nothing duplicated"


@pytest.mark.rule("CB-3", "G-5")
def test_an_associates_edit_while_an_import_is_pending_is_never_erased(world: World):
    key = add(world, "Race")
    world.edge.add_contact(key, "Emails", "Work", EmailEmail="old.work@example.com")
    world.settle()
    client = world.client_of(key)
    world.cb.update_client(client["id"], {"email": "from.cb@example.com"}, "as_12")
    world.sync()  # the engine drops an import adding the Clientbook e-mail (CB-3)
    # Before EDT imports it, an associate adds a phone, edits one e-mail, removes another.
    world.edge.add_contact(key, "Emails", "Home", EmailEmail="new.home@example.com")
    emails = world.edge.customers[key]["Emails"]
    emails[0]["PairValue"]["EmailEmail"] = "edited@example.com"
    del emails[1]  # old.work@example.com
    world.edge.edit_customer(key)
    world.settle()
    assert sorted(world.edge_emails(key)) == [
        "edited@example.com",
        "from.cb@example.com",
        "new.home@example.com",
    ], "the import added its e-mail and erased or reverted nothing"
    assert world.client_of(key)["email"] == "edited@example.com", "Edge's preferred went up"
