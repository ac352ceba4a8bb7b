"""Edge EDT files half written or broken (``docs/edge-exchange.md`` choice 9), G-5.

A file that does not parse yet and is recent may still be being written by EDT: reading
stops before it (nothing after it is read either, so order is kept) and waits. One that
stays broken past ``settle_seconds`` is quarantined with its name and the parse error, and
reading goes on; its customers come again with the next export that holds them. A complete
file where some records hold text that is not Unicode (a lone surrogate escape, a byte that
is not UTF-8) is read record by record at once: those records are quarantined naming their
field, the rest sync.
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
@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("partial_next_export", "is incomplete: its JSON stops at byte"),
        ("malformed_next_export", "is not valid JSON: Expecting property name"),
    ],
)
def test_a_broken_export_is_quarantined_by_name_and_reading_goes_on(
    world: World, fault: str, reason: str
):
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
    assert reason in problem.reason, "an incomplete file is told from one that is not JSON"
    assert problem.record_id.removeprefix("file:") in problem.reason, "the reason names the file"
    assert sorted(c["first_name"] for c in world.clients()) == ["After", "Before"]
    assert report.errors == [], "one broken file does not stop the run"
    world.edge.run_cycle(full=True)  # the store asks EDT for a full export
    world.settle()
    assert sorted(c["first_name"] for c in world.clients()) == ["After", "Before", "Lost"]
    assert len(world.edge.customers) == 3, "nothing duplicated"


# (what, a first name as EDT holds it, what the reason says); the fake writes a lone surrogate
# as its JSON escape and U+DC80-U+DCFF as the raw byte (``fakes/edge/files.py``).
NOT_UNICODE = [
    (
        "lone surrogate",
        "Ann\ud83d",
        "CustomerFirstName holds a lone surrogate \\ud83d (half of a character, not text)",
    ),
    ("invalid UTF-8 byte", "Ren\udce9e", "CustomerFirstName holds a byte that is not UTF-8 (0xE9)"),
]


@pytest.mark.rule("G-5", "CB-2")
@pytest.mark.parametrize(("what", "first", "reason"), NOT_UNICODE, ids=[n[0] for n in NOT_UNICODE])
def test_one_bad_character_quarantines_its_record_and_the_other_199_sync(
    tmp_path: Path, what: str, first: str, reason: str
):
    world = World(tmp_path, settings=WAIT)  # a file that is whole is never waited for
    keys = [add(world, f"Good{i:03d}") for i in range(200)]
    bad = keys[117]
    world.edge.edit_customer(bad, CustomerFirstName=first)
    [name] = world.edge.run_cycle()
    assert "FullCustomerList" in name
    raw = (world.edge.inbox / name).read_bytes()
    assert (b"\\ud83d" in raw) if what == "lone surrogate" else (b"Ren\xe9e" in raw), "as EDT"
    report = world.engine.run_pair("store")
    assert report.errors == []
    assert len(world.clients()) == 199, "every good customer synced"
    assert all(
        world.client_of(k)["first_name"] == f"Good{i:03d}" for i, k in enumerate(keys) if k != bad
    )
    [problem] = world.problems()
    assert (problem.side, problem.record_id, problem.rule) == ("pos", bad, "G-5")
    assert problem.reason == f"Edge customer {bad}: {reason}", "one line: record, field, why"
    # Nothing is lost: corrected in Edge, the customer syncs and its problem closes.
    world.edge.edit_customer(bad, CustomerFirstName="Anne")
    world.sync()
    assert world.client_of(bad)["first_name"] == "Anne"
    assert world.problems() == []
    world.close()


@pytest.mark.rule("G-5")
def test_text_that_is_not_unicode_in_a_contact_method_or_a_key_names_where_it_is(world: World):
    fine = add(world, "Fine")
    email = add(world, "Mail")
    world.edge.customers[email]["Emails"][0]["PairValue"]["EmailEmail"] = "m\udcffil@example.com"
    keyless = add(world, "Keyless")
    world.edge.customers[keyless]["CustomerKey"] = "001-\ud800"
    world.edge.run_cycle()
    [name] = [p.name for p in world.edge.inbox.iterdir()]
    body = (world.edge.inbox / name).read_bytes().replace(f'"{keyless}"'.encode(), b'"001-\\ud800"')
    (world.edge.inbox / name).write_bytes(body)  # its Key too, so it has no readable key
    world.engine.run_pair("store")
    assert [c["first_name"] for c in world.clients()] == ["Fine"]
    problems = {p.record_id: p.reason for p in world.problems()}
    assert problems == {
        email: f"Edge customer {email}: Emails[0].EmailEmail holds a byte that is not UTF-8 (0xFF)",
        f"record:{name}#2": f"Edge customer record {name}#2: Key holds a lone surrogate \\ud800 "
        "(half of a character, not text)",
    }
    assert world.client_of(fine)


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
