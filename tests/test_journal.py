"""The journal in-process: writes a dead run left are replayed once, re-matched, never merged.

The run "dies" by raising ``KeyboardInterrupt`` out of a hook, at the moment chosen; the
subprocess tests in ``test_kill_resume.py`` kill for real.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.harness import World


def die_when_writing(world: World, *, after_sending: bool) -> Callable[[], None]:
    """Make the next write to any system kill the run (before or after it is sent)."""
    hooks = world.engine.hooks
    real_batch, real_one = hooks.apply_batch, hooks.apply_change

    def batch(system: Any, requests: Any) -> Any:
        if after_sending:
            real_batch(system, requests)
        raise KeyboardInterrupt

    def one(system: Any, request: Any) -> Any:
        if after_sending:
            real_one(system, request)
        raise KeyboardInterrupt

    hooks.apply_batch, hooks.apply_change = batch, one  # type: ignore[method-assign]

    def restore() -> None:
        hooks.apply_batch, hooks.apply_change = real_batch, real_one  # type: ignore[method-assign]

    return restore


@pytest.mark.rule("G-5", "G-3")
@pytest.mark.parametrize("after_sending", [False, True])
def test_a_replayed_create_never_takes_over_a_record_linked_to_another(
    world: World, after_sending: bool
):
    pat = world.edge.add_customer("Pat", "Smith", emails=[("Home", "pat@example.com")])
    world.settle()
    sam = world.edge.add_customer("Sam", "Smith", emails=[("Home", "shared@example.com")])
    world.edge.run_cycle()
    restore = die_when_writing(world, after_sending=after_sending)
    with pytest.raises(KeyboardInterrupt):
        world.engine.run_pair("store")
    restore()
    # Meanwhile Pat's client takes Sam's e-mail in Clientbook: the replay's re-match of
    # Sam's create finds Pat's client, linked to Pat, which it must never take over.
    pats = world.client_of(pat)["id"]
    world.cb.update_client(pats, {"email": "shared@example.com"}, "as_12")
    report = world.settle()
    assert report.errors == []
    assert sorted(c["first_name"] for c in world.clients()) == ["Pat", "Sam"]
    assert world.client_of(pat)["first_name"] == "Pat", "Pat's client was not overwritten"
    assert world.client_of(sam)["first_name"] == "Sam"
    assert world.client_of(pat)["id"] != world.client_of(sam)["id"]


@pytest.mark.rule("G-5", "G-6")
def test_a_create_the_dead_run_sent_is_adopted_on_replay_not_sent_again(world: World):
    key = world.edge.add_customer("Ada", "Lovelace", emails=[("Home", "ada@example.com")])
    world.edge.run_cycle()
    restore = die_when_writing(world, after_sending=True)
    with pytest.raises(KeyboardInterrupt):
        world.engine.run_pair("store")
    restore()
    [client] = world.clients()
    report = world.engine.run_pair("store")
    assert report.counts["journal.replayed"] == 1
    assert [c["id"] for c in world.clients()] == [client["id"]], "no second client"
    assert world.client_of(key)["id"] == client["id"], "the replay re-matched and linked it"
    assert world.engine.store.intents("store") == []
