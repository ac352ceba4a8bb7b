"""CB-7: Edge notes <-> Clientbook recent activity, both ways, edits included (G-8, CB-11)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.harness import World


def customer(world: World) -> str:
    return world.edge.add_customer("Grace", "Hopper", emails=[("Home", "grace@example.com")])


@pytest.mark.rule("CB-7")
def test_edge_notes_upload_to_recent_activity(world: World):
    key = customer(world)
    world.edge.add_note(key, "Prefers yellow gold; anniversary in June")
    world.settle()
    [note] = world.notes_of(world.client_of(key)["id"])
    assert note["text"] == "Prefers yellow gold; anniversary in June"
    assert note["occurred_at"].startswith("2026-11-23T09:00:00"), "the note's own date"
    assert note["created_by"] == "api", "no Edge associate is ever uploaded (CB-11)"


@pytest.mark.rule("CB-7", "G-8", "CB-11")
def test_clientbook_notes_download_with_the_mapped_associate(world: World):
    key = customer(world)
    world.settle()
    client_id = world.client_of(key)["id"]
    world.cb.create_note({"client_id": client_id, "text": "Called about the studs"}, "as_12")
    world.cb.create_note({"client_id": client_id, "text": "Walked in, browsing"}, "as_77")
    world.settle()
    notes = {n["NoteText"]: n for n in world.edge.notes_of(key)}
    assert notes["Called about the studs"]["NoteAssociate"] == "12", "Point of Sale ID"
    assert notes["Walked in, browsing"]["NoteAssociate"] == "1", "no POS id: the default"


@pytest.mark.rule("CB-7")
def test_edits_of_an_existing_note_move_both_ways(world: World):
    key = customer(world)
    mine = world.edge.add_note(key, "Ring size 6")
    world.settle()
    client_id = world.client_of(key)["id"]
    world.cb.create_note({"client_id": client_id, "text": "Likes opals"}, "as_12")
    world.settle()
    world.edge.edit_note(mine, "Ring size 6.5")
    theirs = next(n for n in world.notes_of(client_id) if n["text"] == "Likes opals")
    world.cb.update_note(theirs["id"], {"text": "Likes opals and pearls"}, "as_12")
    world.settle()
    assert sorted(n["text"] for n in world.notes_of(client_id)) == [
        "Likes opals and pearls",
        "Ring size 6.5",
    ]
    assert sorted(n["NoteText"] for n in world.edge.notes_of(key)) == [
        "Likes opals and pearls",
        "Ring size 6.5",
    ]
    assert len(world.cb.activity.records) == 2, "edited in place, not added again"
    assert len(world.edge.tables["NoteList"].records) == 2


@pytest.mark.rule("CB-7", "G-8")
def test_a_clientbook_edit_records_the_editor_as_the_edge_associate(world: World):
    key = customer(world)
    note = world.edge.add_note(key, "Ring size 6", associate=3)
    world.settle()
    [entry] = world.notes_of(world.client_of(key)["id"])
    world.cb.update_note(entry["id"], {"text": "Ring size 7"}, "as_12")
    world.settle()
    edited = world.edge.tables["NoteList"].records[note]
    assert edited["NoteText"] == "Ring size 7"
    assert edited["NoteUpdateUser"] == "12", "who changed it"
    assert edited["NoteAssociate"] == "3", "who wrote it stays"


@pytest.mark.rule("CB-7")
def test_a_conflicting_edit_edge_wins(world: World):
    key = customer(world)
    note = world.edge.add_note(key, "Ring size 6")
    world.settle()
    [entry] = world.notes_of(world.client_of(key)["id"])
    world.edge.edit_note(note, "Ring size 6.5 (Edge)")
    world.cb.update_note(entry["id"], {"text": "Ring size 7 (Clientbook)"}, "as_12")
    world.settle()
    assert world.cb.activity.get(entry["id"])["text"] == "Ring size 6.5 (Edge)"
    assert world.edge.tables["NoteList"].records[note]["NoteText"] == "Ring size 6.5 (Edge)"


@pytest.mark.rule("CB-7", "CB-9")
def test_message_entries_of_recent_activity_are_not_notes(world: World):
    key = customer(world)
    world.settle()
    world.cb.send_message(world.client_of(key)["id"], "sms", "Your ring is ready", "as_12")
    world.settle()
    assert world.edge.notes_of(key) == []
    assert [a["ActivityText"] for a in world.edge.activity_of(key)] == ["Your ring is ready"]


@pytest.mark.rule("CB-7", "CB-2")
def test_a_note_of_a_client_new_to_edge_waits_for_its_customer(world: World):
    client = world.cb.create_client(
        {"first_name": "Noor", "last_name": "Haddad", "email": "noor@example.com"}, "as_12"
    )
    world.cb.create_note({"client_id": client["id"], "text": "First visit"}, "as_12")
    first = world.sync()
    assert first.counts["note.deferred"] == 1, "its customer is not in Edge yet"
    world.settle(runs=4)
    [noor] = world.edge_by_name("Noor", "Haddad")
    [note] = world.edge.notes_of(noor["CustomerKey"])
    assert note["NoteText"] == "First visit"
    assert world.edge.import_errors == [], "never imported naming a customer Edge lacks"


@pytest.mark.rule("CB-7", "G-7")
def test_a_note_deleted_on_one_side_is_unlinked_and_kept_on_the_other(world: World):
    key = customer(world)
    kept_in_edge = world.edge.add_note(key, "Anniversary June 3")
    kept_in_cb = world.edge.add_note(key, "Allergic to nickel")
    world.settle()
    entry = next(n for n in world.notes_of(world.client_of(key)["id"]) if "June" in n["text"])
    world.cb.delete_note(entry["id"], "as_12")
    world.edge.delete_note(kept_in_cb)
    world.settle()
    assert [n["NoteText"] for n in world.edge.notes_of(key)] == ["Anniversary June 3"]
    assert [n["text"] for n in world.notes_of(world.client_of(key)["id"])] == ["Allergic to nickel"]
    statuses = {world.link_of("note", "pos", k).status for k in (kept_in_edge, kept_in_cb)}
    assert statuses == {"deleted_on_platform", "deleted_on_pos"}


@pytest.mark.rule("CB-7", "G-5")
def test_a_note_clientbook_refuses_is_quarantined_and_the_rest_move(world: World):
    key = customer(world)
    long_note = world.edge.add_note(key, "x" * 6000)
    world.edge.add_note(key, "Short and fine")
    world.settle()
    assert [n["text"] for n in world.notes_of(world.client_of(key)["id"])] == ["Short and fine"]
    [problem] = [p for p in world.problems() if p.entity == "note"]
    assert "text must be a string of at most 5000 characters" in problem.reason
    # A refused create is parked under its source record (it was never made on Clientbook).
    assert (problem.side, problem.record_id) == ("pos", long_note)


@pytest.mark.rule("CB-7")
def test_note_dates_are_store_time_in_edge_and_utc_in_clientbook(make_world):
    world = make_world(systems={"edge": {"timezone": "America/Chicago"}})
    key = customer(world)
    world.edge.add_note(key, "Store time", NoteDate="11/23/2026 09:00:00")
    world.settle()
    [entry] = world.notes_of(world.client_of(key)["id"])
    assert entry["occurred_at"] == "2026-11-23T15:00:00.000000Z"
    world.cb.create_note(
        {"client_id": entry["client_id"], "text": "UTC", "occurred_at": "2026-11-24T18:30:00Z"},
        "as_12",
    )
    world.settle()
    utc = next(n for n in world.edge.notes_of(key) if n["NoteText"] == "UTC")
    assert utc["NoteDate"] == "11/24/2026 12:30:00"
    assert dt.datetime.strptime(utc["NoteDate"], "%m/%d/%Y %H:%M:%S").hour == 12
