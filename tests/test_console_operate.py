"""The console's plan and guard page, a record's history and links by hand (issue 15's
operations from the page), over HTTP against the real engine and the fakes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.console_world import (
    BROKEN,
    GUARD,
    HELD_CUSTOMERS,
    break_export,
    console_for,
    csrf_of,
    guarded_world,
    logged_in,
    square_emails,
)
from tests.square_world import SquareWorld


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[tuple[SquareWorld, list[str], TestClient]]:
    world, keys = guarded_world(tmp_path)
    app = console_for(world, settings=GUARD)
    with TestClient(app) as client:
        yield world, keys, client
    app.state.console.close()
    world.close()


def held_run(world: SquareWorld, keys: list[str], client: TestClient) -> int:
    """Break the export and run the pair with the console's engine: the guard holds."""
    break_export(world, keys)
    engine = client.app.state.console.engine  # type: ignore[attr-defined]
    with engine.lease("store") as lease:
        report = engine.run_pair("store", lease=lease)
    assert report.status == "held", report.errors
    assert square_emails(world) == HELD_CUSTOMERS, "the guard blanked nothing"
    return report.run_id


def post(client: TestClient, path: str, page: str, **data: str) -> object:
    return client.post(path, data={"csrf": csrf_of(client.get(page).text), **data})


@pytest.mark.rule("G-5")
def test_a_held_run_shows_with_its_reason_and_an_operator_approves_it(guarded):
    world, keys, client = guarded
    run_id = held_run(world, keys, client)
    logged_in(client, "olga")
    overview = client.get("/").text
    assert f"run {run_id} holds {BROKEN} write(s)" in overview
    assert "would blank square email" in overview
    page = client.get("/plan").text
    assert f'id="held-{run_id}"' in page
    assert 'name="approve"' in page
    answer = post(client, "/plan/approve", "/plan", run=str(run_id))
    assert answer.status_code == 200  # type: ignore[attr-defined]
    assert f"run {run_id} (store) approved: {BROKEN} held write(s) made" in answer.text  # type: ignore[attr-defined]
    assert square_emails(world) == HELD_CUSTOMERS - BROKEN, "exactly the held writes made"
    assert "No run holds writes." in client.get("/plan").text
    again = post(client, "/plan/approve", "/plan", run=str(run_id))
    assert again.status_code == 400  # type: ignore[attr-defined]
    assert f"run {run_id} holds no writes" in again.text  # type: ignore[attr-defined]


@pytest.mark.rule("G-5")
def test_an_operator_rejects_a_held_run_and_nothing_is_blanked(guarded):
    world, keys, client = guarded
    run_id = held_run(world, keys, client)
    logged_in(client, "olga")
    answer = post(client, "/plan/reject", "/plan", run=str(run_id))
    assert f"{BROKEN} held write(s) dropped" in answer.text  # type: ignore[attr-defined]
    assert square_emails(world) == HELD_CUSTOMERS
    assert client.app.state.console.engine.store.held_intents("store") == []  # type: ignore[attr-defined]


@pytest.mark.rule("G-5")
def test_a_viewer_sees_held_runs_but_cannot_approve_or_reject(guarded):
    world, keys, client = guarded
    run_id = held_run(world, keys, client)
    logged_in(client, "vic")
    page = client.get("/plan").text
    assert f'id="held-{run_id}"' in page
    assert 'name="approve"' not in page
    assert 'name="reject"' not in page
    for path in ("/plan/approve", "/plan/reject"):
        answer = post(client, path, "/plan", run=str(run_id))
        assert answer.status_code == 403, path  # type: ignore[attr-defined]
        assert "viewer" in answer.text  # type: ignore[attr-defined]
    store = client.app.state.console.engine.store  # type: ignore[attr-defined]
    assert len(store.held_intents("store")) == BROKEN
    assert square_emails(world) == HELD_CUSTOMERS


def test_the_plan_says_what_a_run_would_do_and_writes_nothing(guarded):
    world, _, client = guarded
    world.edge.add_customer("New", "Comer", emails=[("Home", "new@example.com")])
    world.edge.run_cycle()
    logged_in(client, "vic")
    page = client.get("/plan?show=1&details=1&pair=store")
    assert page.status_code == 200
    assert "create → platform" in page.text
    assert "nothing is written to any system" in page.text
    assert 'hx-get="/plan?pair=store"' in page.text, "the page's refresh never remakes the plan"
    assert not any(c.get("email_address") == "new@example.com" for c in world.sq.customers.live())
    assert client.get("/plan?pair=nope").status_code == 400


def test_a_record_shows_its_history_with_the_rule_and_filters_by_field(guarded):
    world, keys, client = guarded
    key = keys[-1]
    world.edge.customers[key]["Emails"][0]["PairValue"]["EmailEmail"] = "changed@example.com"
    world.edge.edit_customer(key)
    world.settle(2)
    logged_in(client, "vic")
    page = client.get(f"/records/store/customer/pos/{key}")
    assert page.status_code == 200
    history = page.text[page.text.index('id="history"') :]
    assert "changed@example.com" in history
    assert 'class="rule"' in history
    store = client.app.state.console.engine.store  # type: ignore[attr-defined]
    link = store.link_by_id("store", "customer", "pos", key)
    entry = store.history("store", "customer", link_id=link.id, ids=[key], field="emails")[0]
    assert entry.new[0]["address"] == "changed@example.com"
    assert entry.rule == "SQ-2"
    assert f'<span class="rule">{entry.rule}</span>' in history
    assert entry.policy
    assert entry.policy in history
    only = client.get(f"/records/store/customer/pos/{key}?field=given_name").text
    assert "changed@example.com" not in only[only.index('id="history"') :]


def test_an_operator_unlinks_keeps_apart_and_links_by_hand(guarded):
    _world, keys, client = guarded
    key = keys[0]
    store = client.app.state.console.engine.store  # type: ignore[attr-defined]
    square_id = store.link_by_id("store", "customer", "pos", key).platform_id
    logged_in(client, "olga")
    record = f"/records/store/customer/pos/{key}"
    assert 'name="unlink"' in client.get(record).text
    common = {"pair": "store", "entity": "customer", "side": "pos", "record_id": key}
    answer = post(client, "/records/unlink", record, keep_apart="1", **common)
    assert "kept apart" in answer.text  # type: ignore[attr-defined]
    assert "Not linked." in answer.text  # type: ignore[attr-defined]
    assert f"Kept apart from: {square_id}" in answer.text  # type: ignore[attr-defined]
    assert store.link_by_id("store", "customer", "pos", key) is None
    ids = {"pair": "store", "entity": "customer", "pos_id": key, "platform_id": square_id}
    refused = post(client, "/records/link", record, **ids)
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "kept apart" in refused.text  # type: ignore[attr-defined]
    other = keys[1]
    other_square = store.link_by_id("store", "customer", "pos", other).platform_id
    post(client, "/records/unlink", record, **{**common, "record_id": other})
    made = post(client, "/records/link", record, **{**ids, "platform_id": other_square})
    assert f"linked customer {key} (pos) = {other_square} (platform)" in made.text  # type: ignore[attr-defined]
    assert store.link_by_id("store", "customer", "pos", key).platform_id == other_square
    history = client.get(record).text
    assert "linked by hand" in history
    assert "unlinked by hand, kept apart" in history


def test_a_viewer_cannot_link_or_unlink(guarded):
    _, keys, client = guarded
    logged_in(client, "vic")
    record = f"/records/store/customer/pos/{keys[0]}"
    assert 'name="unlink"' not in client.get(record).text
    common = {"pair": "store", "entity": "customer", "side": "pos", "record_id": keys[0]}
    answer = post(client, "/records/unlink", record, **common)
    assert answer.status_code == 403  # type: ignore[attr-defined]
    store = client.app.state.console.engine.store  # type: ignore[attr-defined]
    assert store.link_by_id("store", "customer", "pos", keys[0]) is not None
