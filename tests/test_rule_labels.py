"""Rule IDs in moves and problems come from the pair's own flow, never hard-coded.

A link by shared code in Edge-Clientbook is the flow's match rule (G-3), not IS-3 (an
F/K-IdoSell rule); a code changed on one side is the flow's link rule (IS-4 there only).
"""

from __future__ import annotations

import pytest

from tests.harness import World


@pytest.mark.rule("G-3")
def test_a_link_by_shared_code_in_edge_clientbook_carries_g3_not_is3(world: World):
    client = world.cb.create_client(
        {"first_name": "Code", "last_name": "Only", "email": "code.only@example.com"}, "as_12"
    )
    world.edge.add_customer(
        "Code",
        "Only",
        emails=[("Home", "someone.else@example.com")],  # no e-mail match: the code links them
        CustomerTransfer={"WebTransferWebID": client["id"]},
    )
    world.settle()
    [link] = [m for m in world.moves("customer") if m.action in ("link", "relink")]
    assert link.rules == ("G-3",)
    rules = {r for m in world.moves() for r in m.rules} | {p.rule for p in world.problems()}
    assert not {r for r in rules if r.startswith("IS-")}, rules
    assert len(world.clients()) == 1, "linked, not duplicated"


@pytest.mark.rule("G-3")
def test_a_code_changed_on_one_side_in_edge_clientbook_is_not_labelled_is4(world: World):
    client = world.cb.create_client(
        {"first_name": "Code", "last_name": "Moved", "email": "code.moved@example.com"}, "as_12"
    )
    key = world.edge.add_customer(
        "Code",
        "Moved",
        emails=[("Home", "other@example.com")],
        CustomerTransfer={"WebTransferWebID": client["id"]},
    )
    world.settle()
    world.edge.edit_customer(key, CustomerTransfer={"WebTransferWebID": "cl_somewhere_else"})
    world.settle()
    broken = [p for p in world.problems() if "link broken" in p.reason]
    assert broken, world.problems()
    assert {p.rule for p in broken} == {"G-3"}
