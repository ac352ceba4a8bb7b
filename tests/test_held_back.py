"""Nothing held back where no one can see it (CB-1, CB-2, G-5), issue 13 item 7.

A Clientbook customer matching an Edge customer not selected for sync links it and flags
it (CB-2: customers that arrive this way are flagged); a note or wish of a customer not
selected is parked out of the inbox, counted by reason in the run report and ``status``,
and goes once its customer is selected.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from framework.cli.app import app
from framework.engine.held import held_back
from tests.harness import World

SELECTED = {"flows": {"customer": {"pos_filter": [{"field": "sync_flag", "eq": True}]}}}


@pytest.mark.rule("CB-2", "CB-1", "G-3")
def test_a_match_flags_an_unselected_edge_customer_so_its_changes_move(make_world):
    world: World = make_world(SELECTED)
    key = world.edge.add_customer("Ella", "Lee", emails=[("Home", "ella@example.com")], xfer=False)
    client = world.cb.create_client(
        {"first_name": "Ella", "last_name": "Lee", "email": "ELLA@example.com"}, "as_12"
    )
    world.settle()
    assert list(world.edge.customers) == [key], "linked, not duplicated"
    assert world.client_of(key)["id"] == client["id"]
    assert world.edge.customers[key]["CustomerXfer"] is True, "flagged for sync (CB-2)"
    world.cb.update_client(client["id"], {"mobile": "+12175550123"}, "as_12")
    world.settle()
    phones = [p["PairValue"]["PhonePhone"] for p in world.edge.customers[key]["Phones"]]
    assert phones == ["2175550123"], "a later Clientbook change is not held back"
    assert held_back(world.engine.store, "store") == []


@pytest.mark.rule("CB-1", "CB-7", "G-5")
def test_a_note_of_an_unselected_customer_is_parked_counted_then_goes(make_world):
    world: World = make_world(SELECTED)
    key = world.edge.add_customer(
        "Noor", "Haddad", emails=[("Home", "noor@example.com")], xfer=False
    )
    world.edge.add_note(key, "Prefers white gold")
    first = world.settle()
    assert world.clients() == [], "not selected: nothing moves (CB-1)"
    parked = sum(r.counts["note.parked.parent_out_of_scope"] for r in world.reports)
    assert parked == 1, "counted in the run report, by reason"
    assert first.counts["note.deferred"] == 0, "not deferred run after run"
    assert world.engine.store.inbox_count("store") == 0, "nothing waits in the inbox"
    assert held_back(world.engine.store, "store") == [
        "1 note record(s) waiting for a parent out of scope (CB-1: not selected)"
    ]
    world.edge.edit_customer(key, CustomerXfer=True)  # selected now
    world.settle()
    [note] = world.notes_of(world.client_of(key)["id"])
    assert note["text"] == "Prefers white gold"
    assert held_back(world.engine.store, "store") == []


@pytest.mark.rule("CB-1", "G-5")
def test_status_shows_what_is_held_back_by_reason(tmp_path: Path, make_world):
    world: World = make_world(SELECTED)
    key = world.edge.add_customer("Kim", "Park", emails=[("Home", "kim@example.com")], xfer=False)
    world.edge.add_note(key, "Anniversary in June")
    world.settle()
    config = tmp_path / "status.toml"
    config.write_text(
        f'[state]\npath = "{world.engine.config.state_path}"\n'
        '[systems.edge]\nconnector = "edge"\n'
        f'folder = "{world.engine.config.systems["edge"].folder}"\nstore_license_id = "1001"\n'
        '[systems.clientbook]\nconnector = "clientbook"\nbase_url = "http://cb.test"\n'
        'api_key = "k"\n[pairs.store]\npreset = "edge-clientbook"\npos = "edge"\n'
        'platform = "clientbook"\ndefault_associate = "1"\n',
        encoding="utf-8",
    )
    shown = CliRunner().invoke(app, ["-c", str(config), "status"])
    assert shown.exit_code == 0, shown.output
    assert "held back: 1 note record(s) waiting for a parent out of scope" in shown.output
