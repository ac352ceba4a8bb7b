"""Quarantine (G-5): parked with reason and rule, listed, retried after a fix, never dropped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fakes.clientbook import ClientbookState, make_app
from fakes.edge import EdgeFake
from fakes.toolkit import BackgroundServer
from framework.cli.app import app
from framework.engine.problems import requeue
from tests.configs import edge_clientbook_toml
from tests.harness import World

TOO_LONG = "Preferred stone for the engagement ring, as told at the first visit"  # > 64
BAD_MAP = {
    "flows": {
        "customer": {
            "fields": {"custom": {"map": {"CustomerKey1": "Ring size", "CustomerKey3": TOO_LONG}}}
        }
    }
}
GOOD_MAP = {
    "flows": {
        "customer": {
            "fields": {"custom": {"map": {"CustomerKey1": "Ring size", "CustomerKey3": "Stone"}}}
        }
    }
}


def prefs(client: dict) -> dict[str, str]:
    return {p["name"]: p["value"] for p in client["preferences"]}


@pytest.mark.rule("G-5", "CB-4")
def test_a_refused_update_is_parked_then_retried_after_a_configuration_fix(tmp_path: Path):
    world = World(tmp_path, BAD_MAP)
    key = world.edge.add_customer("Opal", "Fan", emails=[("Home", "opal@example.com")])
    world.settle()
    client_id = world.client_of(key)["id"]
    world.edge.edit_customer(key, CustomerKey1="6", CustomerKey3="Opal")
    report = world.settle()
    [problem] = world.problems()
    assert (problem.side, problem.record_id, problem.rule) == ("platform", client_id, "G-5")
    assert "clientbook refused the write" in problem.reason
    assert "preferences" in problem.reason
    assert report.errors == [], "the rest of the run went on"
    # A Clientbook user edits the client meanwhile: that does not make the refusal moot.
    world.cb.update_client(client_id, {"acquisition": "Walk-in"}, "as_12")
    world.settle()
    assert [p.id for p in world.problems()] == [problem.id], "not silently dropped"
    # The store fixes the field map; the operator retries.
    world.restart(GOOD_MAP)
    [problem] = world.problems()
    assert "staged again" in requeue(world.engine.store, problem)
    world.settle()
    assert prefs(world.client_of(key)) == {"Ring size": "6", "Stone": "Opal"}
    assert world.problems() == []


@pytest.mark.rule("G-5")
def test_a_refused_update_goes_again_with_the_records_next_change(tmp_path: Path):
    world = World(tmp_path, BAD_MAP)
    key = world.edge.add_customer("Jade", "Fan", emails=[("Home", "jade@example.com")])
    world.settle()
    world.edge.edit_customer(key, CustomerKey3="Jade")
    world.settle()
    assert len(world.problems()) == 1
    world.restart(GOOD_MAP)
    world.edge.edit_customer(key, CustomerKey1="5")  # another field changes
    world.settle()
    assert prefs(world.client_of(key)) == {"Ring size": "5", "Stone": "Jade"}, (
        "the refused field went with the record's next change"
    )
    assert world.problems() == [], "the write that carried it resolved the problem"


@pytest.mark.rule("G-5", "CB-3")
def test_later_changes_of_a_refused_record_are_parked_with_it_never_lost(tmp_path: Path):
    world = World(tmp_path, BAD_MAP)
    key = world.edge.add_customer("Ruby", "Fan", emails=[("Home", "ruby@example.com")])
    world.settle()
    world.edge.edit_customer(key, CustomerKey3="Ruby")
    world.settle()
    [problem] = world.problems()
    world.edge.add_contact(key, "Emails", "Work", EmailEmail="ruby@work.example.com")
    world.edge.edit_customer(key, CustomerPrefEMail="Work")
    world.settle()  # the refused field goes again with the new e-mail: refused together
    assert world.client_of(key)["email"] == "ruby@example.com"
    [again] = world.problems()
    assert again.id == problem.id
    assert again.attempts >= 2, "refused again, counted"
    assert again.payload is not None
    assert {
        "emails",
        "custom.Preferred stone for the engagement ring, as told at the first visit",
    } <= set(again.payload["intent"]["fields"])
    world.restart(GOOD_MAP)
    requeue(world.engine.store, again)
    world.settle()
    client = world.client_of(key)
    assert client["email"] == "ruby@work.example.com", "the later change was not lost"
    assert prefs(client) == {"Stone": "Ruby"}
    assert world.problems() == []


@pytest.mark.rule("G-5", "G-3")
def test_an_ambiguous_match_retried_after_the_duplicate_is_fixed(make_world):
    world = make_world(
        {"flows": {"customer": {"pos_filter": [{"field": "sync_flag", "eq": True}]}}}
    )
    first = world.edge.add_customer(
        "Pat", "Smith", emails=[("Home", "shared@example.com")], xfer=False
    )
    second = world.edge.add_customer(
        "Sam", "Smith", emails=[("Home", "shared@example.com")], xfer=False
    )
    world.cb.create_client(
        {"first_name": "Pat", "last_name": "Smith", "email": "shared@example.com"}, "as_12"
    )
    world.settle()
    [problem] = world.problems()
    assert "ambiguous" in problem.reason
    world.edge.customers[second]["Emails"][0]["PairValue"]["EmailEmail"] = "sam@example.com"
    world.edge.edit_customer(second)  # the store corrects Sam's e-mail
    world.settle()
    assert world.problems() == [problem] or world.problems()[0].id == problem.id, "still parked"
    requeue(world.engine.store, world.problems()[0])
    world.settle()
    assert world.problems() == []
    assert world.edge_key_of(world.clients()[0]["id"]) == first, "linked to Pat, not duplicated"
    assert len(world.edge.customers) == 2


# -- the command line ------------------------------------------------------------------------


@pytest.fixture
def served() -> Iterator[tuple[ClientbookState, str]]:
    state = ClientbookState(api_key="problem-key")
    state.add_associate("as_12", "Maria", "12")
    server = BackgroundServer(make_app(state)).start()
    yield state, server.url
    server.stop()


def write_config(tmp_path: Path, url: str, stone: str) -> Path:
    custom = f'[pairs.store.flows.customer.fields.custom]\nmap = {{ CustomerKey3 = "{stone}" }}'
    return edge_clientbook_toml(tmp_path, url, "problem-key", pair=custom)


@pytest.mark.rule("G-5")
def test_problems_and_problems_retry_on_the_command_line(tmp_path: Path, served):
    state, url = served
    runner = CliRunner(env={"COLUMNS": "250"})
    edge = EdgeFake(tmp_path / "edt")
    key = edge.add_customer(
        "Onyx", "Fan", emails=[("Home", "onyx@example.com")], CustomerKey3="Onyx"
    )
    edge.add_customer("Plain", "Fan", emails=[("Home", "plain@example.com")])
    edge.run_cycle()
    cfg = str(write_config(tmp_path, url, TOO_LONG))
    result = runner.invoke(app, ["-c", cfg, "run", "--once"])
    assert result.exit_code == 0, result.output
    assert [c["first_name"] for c in state.clients.live()] == ["Plain"], "the rest went on"
    listed = runner.invoke(app, ["-c", cfg, "problems"])
    text = " ".join(listed.output.split())
    assert "1 open problem(s)" in text
    assert f"customer {key} on the pos side [G-5]" in text
    assert "clientbook refused the write" in text
    write_config(tmp_path, url, "Stone")  # the fix
    retried = runner.invoke(app, ["-c", cfg, "problems", "retry"])
    assert retried.exit_code == 0, retried.output
    assert "staged again" in retried.output
    assert "0 open problem(s) left" in retried.output
    onyx = [c for c in state.clients.live() if c["first_name"] == "Onyx"]
    assert len(onyx) == 1
    assert onyx[0]["preferences"] == [{"name": "Stone", "value": "Onyx"}]
