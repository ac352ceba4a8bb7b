"""A guard on mass changes (issue 15): a broken export never blanks a platform unseen.

An Edge export that lost most customers' e-mails looks like every one of them removed
their e-mail: the guard holds those writes (the run's exit code says so, ``status``
shows it), Clientbook keeps every e-mail; ``approve`` makes them; ``reject`` drops them.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from fakes.clientbook import ClientbookState, make_app
from fakes.edge import EdgeFake
from fakes.toolkit import BackgroundServer
from framework.cli.app import app
from framework.cli.errors import run_cli
from framework.engine.guard import EXIT_HELD, GuardConfig, GuardLimit, limit_for
from framework.ops.held import approve, reject
from framework.ops.history import record_history
from tests.configs import edge_clientbook_toml
from tests.harness import World
from tests.test_operate_history_links import cli_config

N = 60
BROKEN = 55


def upload(world: World) -> list[str]:
    keys = [
        world.edge.add_customer("Cu", f"Stomer{i}", emails=[("Home", f"c{i}@example.com")])
        for i in range(N)
    ]
    world.settle()
    assert len(world.clients()) == N
    return keys


def break_export(world: World, keys: list[str]) -> None:
    """The export comes back with no e-mail for most customers."""
    for key in keys[:BROKEN]:
        world.edge.customers[key]["Emails"] = []
        world.edge.edit_customer(key)


def emails_on_clientbook(world: World) -> int:
    return sum(1 for c in world.clients() if c.get("email"))


@pytest.mark.rule("CB-3", "G-5")
def test_a_broken_export_is_held_and_blanks_nothing(world: World, tmp_path: Path, capsys):
    keys = upload(world)
    break_export(world, keys)
    report = world.sync()
    assert report.status == "held"
    assert report.held, "the reason is in the report"
    assert "would blank clientbook email" in report.held[0]
    assert "of linked customer records" in report.held[0]
    assert emails_on_clientbook(world) == N, "not one Clientbook e-mail blanked"
    assert report.counts["customer.held.blank.platform"] == BROKEN
    world.sync()
    assert emails_on_clientbook(world) == N, "held writes stay held across runs"
    config = cli_config(world, tmp_path)
    capsys.readouterr()
    assert run_cli(typer.main.get_command(app), ["-c", str(config), "status"]) == 0
    assert f"run {report.run_id}: {BROKEN} updates would blank" in capsys.readouterr().out
    _, entries = record_history(world.engine.store, "store", "customer", keys[0])
    assert entries[0].action == "held"


@pytest.mark.rule("CB-3")
def test_approve_makes_exactly_the_held_writes(world: World):
    keys = upload(world)
    break_export(world, keys)
    held = world.sync()
    done = approve(world.engine, held.run_id)
    assert (done.made, done.dropped) == (BROKEN, 0)
    assert emails_on_clientbook(world) == N - BROKEN
    assert world.engine.store.held_intents("store") == []
    _, entries = record_history(world.engine.store, "store", "customer", keys[0])
    assert {"approve", "update"} <= {e.action for e in entries[:3]}


@pytest.mark.rule("CB-3")
def test_approve_after_the_export_was_fixed_makes_nothing(world: World):
    keys = upload(world)
    kept = {key: copy.deepcopy(world.edge.customers[key]["Emails"]) for key in keys}
    break_export(world, keys)
    held = world.sync()
    for key in keys[:BROKEN]:  # the next export is whole again
        world.edge.customers[key]["Emails"] = kept[key]
        world.edge.edit_customer(key)
    assert world.sync().status == "ok"
    done = approve(world.engine, held.run_id)
    assert (done.made, done.dropped, len(done.stale)) == (0, BROKEN, BROKEN)
    assert "changed on the pos side since" in done.stale[0]
    assert emails_on_clientbook(world) == N, "a write re-checked against the state now"


@pytest.mark.rule("CB-3")
def test_reject_leaves_clientbook_as_it_was_and_merges_again(world: World):
    keys = upload(world)
    break_export(world, keys)
    held = world.sync()
    done = reject(world.engine, held.run_id)
    assert done.dropped == BROKEN
    assert world.engine.store.held_intents("store") == []
    assert emails_on_clientbook(world) == N
    again = world.sync()  # merged again: the export is still broken, so held again
    assert again.status == "held"
    assert emails_on_clientbook(world) == N


def test_limits_are_set_per_pair_entity_and_kind():
    engine = GuardConfig(share=0.1, limits={"customer.delete": GuardLimit(share=0)})
    pair = GuardConfig(limits={"customer": GuardLimit(min_records=10)})
    assert limit_for("customer", "blank", engine, pair) == GuardLimit(share=0.1, min_records=10)
    assert limit_for("customer", "delete", engine, pair).share == 0, "0 turns it off"
    assert limit_for("note", "blank", None, None) == GuardLimit(share=0.05, min_records=50)


@pytest.mark.rule("CB-3")
def test_under_the_limit_nothing_is_held(world: World):
    keys = upload(world)
    for key in keys[:3]:
        world.edge.customers[key]["Emails"] = []
        world.edge.edit_customer(key)
    report = world.sync()
    assert report.status == "ok"
    assert emails_on_clientbook(world) == N - 3


@pytest.mark.rule("CB-3")
def test_keep_filled_never_propagates_a_value_turning_empty(make_world):
    world: World = make_world(
        {"flows": {"customer": {"fields": {"emails": {"keep_filled": True}}}}}
    )
    keys = upload(world)
    for key in keys[:3]:
        world.edge.customers[key]["Emails"] = []
        world.edge.edit_customer(key)
    world.settle()
    assert emails_on_clientbook(world) == N


@pytest.mark.rule("CB-3")
def test_the_command_line_exits_3_on_a_held_run_and_approve_makes_the_writes(tmp_path: Path):
    """Through ``syncwright run --once``, ``status``, ``plan`` and ``approve``, over HTTP."""
    state = ClientbookState(api_key="guard-key")
    server = BackgroundServer(make_app(state)).start()
    try:
        edge = EdgeFake(tmp_path / "edt")
        keys = [
            edge.add_customer("Cu", f"Stomer{i}", emails=[("Home", f"c{i}@example.com")])
            for i in range(N)
        ]
        edge.run_cycle()
        config = edge_clientbook_toml(tmp_path, server.url, "guard-key")
        runner = CliRunner()
        assert runner.invoke(app, ["-c", str(config), "run", "--once"]).exit_code == 0
        for key in keys[:BROKEN]:
            edge.customers[key]["Emails"] = []
            edge.edit_customer(key)
        edge.run_cycle()
        planned = runner.invoke(app, ["-c", str(config), "plan", "--json"])
        [plan] = json.loads(planned.stdout)["plans"]
        assert "would blank clientbook email" in plan["held"][0], "the plan says it would hold"
        held = runner.invoke(app, ["-c", str(config), "run", "--once", "--json"])
        assert held.exit_code == EXIT_HELD
        run_id = json.loads(held.stdout)["reports"][0]["run_id"]
        status = runner.invoke(app, ["-c", str(config), "status", "--json"])
        [group] = json.loads(status.stdout)["pairs"][0]["held_writes"]
        assert (group["run_id"], group["writes"], group["kind"]) == (run_id, BROKEN, "blank")
        assert sum(1 for c in state.clients.live() if c.get("email")) == N
        approved = runner.invoke(app, ["-c", str(config), "approve", str(run_id), "--json"])
        assert approved.exit_code == 0, approved.output
        assert json.loads(approved.stdout)["made"] == BROKEN
        assert sum(1 for c in state.clients.live() if c.get("email")) == N - BROKEN
    finally:
        server.stop()


@pytest.mark.rule("G-7")
def test_a_feed_that_shows_most_clients_deleted_holds_the_unlinks(world: World):
    keys = upload(world)
    for client in world.clients()[:BROKEN]:
        world.cb.clients.delete(client["id"], "as_12")
    held = world.sync()
    assert held.status == "held"
    assert "unlinks would stop syncing customer records" in held.held[0]
    links = [world.link_of("customer", "pos", k) for k in keys]
    assert all(link.status == "ok" for link in links), "no link dropped yet"
    done = approve(world.engine, held.run_id)
    assert done.made == BROKEN
    statuses = [world.link_of("customer", "pos", k).status for k in keys]
    assert statuses.count("deleted_on_platform") == BROKEN
    assert world.edge.customers[keys[0]]["CustomerInactive"] is False, "never deleted on Edge"


@pytest.mark.rule("G-7")
def test_a_few_deletes_unlink_at_once(world: World):
    keys = upload(world)
    for client in world.clients()[:2]:
        world.cb.clients.delete(client["id"], "as_12")
    assert world.sync().status == "ok"
    statuses = [world.link_of("customer", "pos", k).status for k in keys]
    assert statuses.count("deleted_on_platform") == 2
