"""History, and links by hand (issue 15): through the real engine against the fakes.

``syncwright history`` tells why a record changed, field by field, with the rule; ``link``
joins two records an operator knows are the same (the next run merges them); ``unlink``
stops syncing them, and ``--keep-apart`` keeps them from being matched again.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from framework.cli.app import app
from framework.cli.errors import run_cli
from framework.engine.history import PRUNE_STEP, prune
from framework.errors import SyncwrightError
from framework.ops import links as link_ops
from framework.ops.history import record_history
from framework.state.store import HistoryEntry
from tests.harness import World

NO_CREATES = {"flows": {"customer": {"create_on_pos": False, "create_on_platform": False}}}


def cli_config(world: World, tmp_path: Path) -> Path:
    """A configuration file for the CLI on the world's state (systems are not reached)."""
    config = tmp_path / "operate.toml"
    flows = world.engine.config.pairs["store"].flows["customer"]
    creates = (
        ""
        if flows.create_on_pos
        else "[pairs.store.flows.customer]\ncreate_on_pos = false\ncreate_on_platform = false\n"
    )
    config.write_text(
        f'[state]\npath = "{world.engine.config.state_path}"\n'
        '[systems.edge]\nconnector = "edge"\n'
        f'folder = "{world.engine.config.systems["edge"].folder}"\nstore_license_id = "1001"\n'
        '[systems.clientbook]\nconnector = "clientbook"\nbase_url = "http://cb.test"\n'
        'api_key = "k"\n[pairs.store]\npreset = "edge-clientbook"\npos = "edge"\n'
        'platform = "clientbook"\ndefault_associate = "1"\n' + creates,
        encoding="utf-8",
    )
    return config


def cli(config: Path, *args: str) -> Any:
    result = CliRunner().invoke(app, ["-c", str(config), *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result.stdout


@pytest.mark.rule("G-4", "CB-3", "G-8")
def test_history_tells_why_a_field_changed_with_the_rule(world: World, tmp_path: Path):
    key = world.edge.add_customer("Ada", "Byron", emails=[("Home", "ada@example.com")])
    world.settle()
    client = world.client_of(key)
    world.cb.update_client(client["id"], {"mobile": "+12175550123"}, "as_12")
    world.settle()
    _, entries = record_history(world.engine.store, "store", "customer", key)
    phones = [e for e in entries if e.field == "phones" and e.action == "update"]
    assert phones, [(e.action, e.field) for e in entries]
    last = phones[0]
    assert not last.old
    assert "+12175550123" in json.dumps(last.new)
    assert (last.source, last.toward) == ("platform", "pos")
    assert last.policy, "the policy that decided it"
    assert last.rule, "and its rule"
    assert last.associate == "12", "the associate recorded with it (G-8)"
    assert entries[-1].action in ("create", "link"), "oldest last: how it came to be synced"
    config = cli_config(world, tmp_path)
    doc = cli(config, "history", client["id"], "--field", "phones", "--json")
    assert doc["kind"] == "history"
    assert "+12175550123" in json.dumps(doc["entries"][0]["new"])
    assert all(e["field"] in ("phones", None) for e in doc["entries"])
    text = cli(config, "history", "ada@example.com")
    assert "phones: -> " in text or "phones: [] -> " in text, text


def test_history_is_pruned_in_bounded_steps(world: World):
    store = world.engine.store
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=120)
    store.add_history(
        [HistoryEntry("store", "customer", "update", "K1", at=old) for _ in range(30)]
    )
    store.add_history([HistoryEntry("store", "customer", "update", "K1")])
    assert prune(store, 90) == 30
    assert store.history_count() == 1, "what is younger than 90 days stays"
    store.add_history(
        [HistoryEntry("store", "customer", "update", "K1", at=old) for _ in range(PRUNE_STEP + 1)]
    )
    world.sync()  # a run prunes at its start, a step at a time
    left = store.history("store", "customer", link_id=None, ids=["K1"], limit=10_000)
    assert len(left) == 1, "every entry older than 90 days went, in two steps"


def test_history_of_an_unknown_record_is_one_clear_line(world: World, tmp_path: Path, capsys):
    world.settle()
    args = ["-c", str(cli_config(world, tmp_path)), "history", "nobody@example.com"]
    assert run_cli(typer.main.get_command(app), args) == 2
    err = capsys.readouterr().err
    assert "no customer 'nobody@example.com' is known" in err
    assert "Traceback" not in err


@pytest.mark.rule("G-3")
def test_link_by_hand_merges_on_the_next_run_and_is_in_history(make_world, tmp_path: Path):
    world: World = make_world(NO_CREATES)
    key = world.edge.add_customer(
        "Grace", "Hopper", emails=[("Home", "grace@example.com")], phones=[("Mobile", "2175550100")]
    )
    client = world.cb.create_client(
        {"first_name": "Grace", "last_name": "Hopper", "email": "g.hopper@example.com"}, "as_12"
    )
    world.settle()
    assert world.link_of("customer", "pos", key) is None, "different e-mails: no match"
    config = cli_config(world, tmp_path)
    doc = cli(config, "link", key, client["id"], "--json")
    assert (doc["kind"], doc["pos_id"], doc["platform_id"]) == ("link", key, client["id"])
    world.settle()
    assert world.client_of(key)["id"] == client["id"]
    emails = {e.lower() for e in world.edge_emails(key)}
    assert "g.hopper@example.com" in emails, "merged as a first match is (CB-3 adds it)"
    shown = cli(config, "link", "show", key, "--json")
    assert shown["status"] == "ok"
    assert shown["shadow"]["pos"] is not None
    _, entries = record_history(world.engine.store, "store", "customer", client["id"])
    assert any(e.action == "link" and e.note == "linked by hand" for e in entries)


def test_link_by_hand_is_refused_with_a_reason(world: World):
    first = world.edge.add_customer("Alan", "Turing", emails=[("Home", "alan@example.com")])
    world.settle()
    client = world.client_of(first)["id"]
    store = world.engine.store
    with pytest.raises(SyncwrightError, match="is linked already"):
        link_ops.link(store, "store", "customer", first, client, run_id=None)
    with pytest.raises(SyncwrightError, match="is not known on the pos side"):
        link_ops.link(store, "store", "customer", "nope", client, run_id=None)


@pytest.mark.rule("G-3")
def test_unlink_keep_apart_never_matches_them_again(make_world, tmp_path: Path):
    world: World = make_world(NO_CREATES)
    key = world.edge.add_customer("Ann", "Ray", emails=[("Home", "ann@example.com")])
    world.cb.create_client(
        {"first_name": "Ann", "last_name": "Ray", "email": "ann@example.com"}, "as_12"
    )
    world.settle()
    client = world.client_of(key)["id"]
    config = cli_config(world, tmp_path)
    doc = cli(config, "unlink", key, "--keep-apart", "--json")
    assert (doc["kind"], doc["keep_apart"]) == ("unlink", True)
    world.edge.edit_customer(key, CustomerLastName="Ray-Smith")
    world.settle()
    assert world.link_of("customer", "pos", key) is None, "kept apart: not matched again"
    assert world.cb.clients.get(client)["last_name"] == "Ray", "both records stay as they are"
    _, entries = record_history(world.engine.store, "store", "customer", key)
    assert any(e.action == "unlink" and "kept apart" in (e.note or "") for e in entries)


@pytest.mark.rule("G-3")
def test_unlink_without_keep_apart_lets_a_later_match_link_them_again(make_world):
    world: World = make_world(NO_CREATES)
    key = world.edge.add_customer("Bo", "Lee", emails=[("Home", "bo@example.com")])
    world.cb.create_client({"first_name": "Bo", "last_name": "Lee", "email": "bo@example.com"})
    world.settle()
    client = world.client_of(key)["id"]
    link_ops.unlink(world.engine.store, "store", "customer", key)
    assert world.link_of("customer", "pos", key) is None
    world.edge.edit_customer(key, CustomerLastName="Lee-Park")
    world.settle()
    assert world.client_of(key)["id"] == client
