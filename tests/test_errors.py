"""Bad input and unreachable systems: one clear line, nothing lost, the rest goes on (G-5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakes.toolkit import FaultRule, SyncASGITransport, free_port
from framework.config import parse_config
from framework.engine.engine import Engine
from tests.harness import World, edge_clientbook_config


@pytest.mark.rule("G-5")
def test_malformed_record_is_quarantined_and_the_others_sync(world: World):
    good = world.edge.add_customer("Good", "One", emails=[("Home", "good@example.com")])
    bad = world.edge.add_customer("Bad", "Email", emails=[("Home", "not-an-email@")])
    world.settle()
    assert [c["email"] for c in world.clients()] == ["good@example.com"]
    [problem] = world.problems()
    assert problem.record_id == bad
    assert problem.side == "pos"
    assert problem.rule == "G-5"
    assert "not-an-email@" in problem.reason
    assert "invalid e-mail address" in problem.reason
    assert world.client_of(good)


@pytest.mark.rule("G-5")
def test_a_fixed_record_syncs_and_its_problem_resolves(world: World):
    bad = world.edge.add_customer("Bad", "Phone", phones=[("Cell", "12")])
    world.settle()
    assert len(world.problems()) == 1
    assert "invalid phone number" in world.problems()[0].reason
    world.edge.customers[bad]["Phones"][0]["PairValue"]["PhonePhone"] = "2175550111"
    world.edge.edit_customer(bad)
    world.settle()
    assert world.client_of(bad)["mobile"] == "+12175550111"
    assert world.problems() == [], "the problem resolved itself once the record synced"


@pytest.mark.rule("G-5")
def test_a_record_the_platform_refuses_is_quarantined_with_its_reason(world: World):
    nameless = world.edge.add_customer(
        "", "", emails=[("Home", "nameless@example.com")], CustomerCompany="Acme Ltd"
    )
    world.edge.add_customer("Named", "Person", emails=[("Home", "named@example.com")])
    world.settle()
    assert [c["email"] for c in world.clients()] == ["named@example.com"]
    [problem] = world.problems()
    assert "first_name or last_name is required" in problem.reason
    assert problem.record_id == nameless, "parked under the record that could not be created"
    assert problem.payload is not None
    assert "refused" in problem.payload, "the refused write is kept"
    # After the fix (a name in Edge), the record is created and its problem resolves.
    world.edge.edit_customer(nameless, CustomerLastName="Acme")
    world.settle()
    assert world.client_of(nameless)["last_name"] == "Acme"
    assert world.problems() == []


@pytest.mark.rule("G-5")
def test_transient_faults_are_retried_and_nothing_is_lost(world: World):
    for i in range(10):
        world.edge.add_customer(f"F{i}", "Retry", emails=[("Home", f"f{i}@example.com")])
    world.fail(
        FaultRule(kind="429", nth=[1, 2], retry_after=0.01),
        FaultRule(kind="503", nth=[1]),
        FaultRule(kind="drop", nth=[2]),
    )
    report = world.settle()
    assert len(world.clients()) == 10
    assert sum(r.counts["retry.clientbook"] for r in world.reports) >= 3
    assert report.errors == []


def test_unreachable_platform_gives_one_clear_line_and_loses_nothing(tmp_path: Path):
    data = edge_clientbook_config(tmp_path)
    port = free_port()
    data["systems"]["clientbook"]["base_url"] = f"http://127.0.0.1:{port}"
    config, hooks = parse_config(data, source="test.toml", base_dir=tmp_path)
    world = World(tmp_path)  # for its fake Edge only
    world.edge.add_customer("Kept", "Safe", emails=[("Home", "kept@example.com")])
    world.edge.run_cycle()
    engine = Engine(config, hooks)
    report = engine.run_pair("store")
    assert report.status == "partial"
    [error] = report.errors
    assert "\n" not in error
    assert error.startswith(
        f"reading customer from clientbook: clientbook: cannot reach 127.0.0.1:{port}: "
        "connection refused"
    ), "once: which system, which host:port, how"
    assert error.count("reading customer") == 1
    assert "gave up after 3 attempts in " in error, "after how long"
    assert engine.store.inbox_count("store") == 1, "the Edge change waits, staged"
    assert engine.store.links_count("store") == 0
    engine.close()
    # The platform comes back: the same state file carries on, nothing re-read is missing.
    back = Engine(config, hooks, transports={"clientbook": SyncASGITransport(world.app)})
    back.run_pair("store")
    back.close()
    world.close()
    assert [c["email"] for c in world.clients()] == ["kept@example.com"]
