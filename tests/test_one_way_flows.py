"""One-way flows into a system that assigns ids later (an Edge import), found by the suite.

Before the fix, a platform -> POS flow never read the POS, so the engine never learned the
id Edge gave an imported customer, and the next update imported a second customer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.samples import customer
from conformance.subjects.edge import subject as edge
from conformance.world import Paired

ONE_WAY = {
    "flows": {
        "customer": {
            "direction": "platform_to_pos",
            "match_on": ["email"],
            "fields": {"first_name": {}, "last_name": {}, "emails": {}},
        }
    }
}


@pytest.mark.rule("G-1", "G-6")
def test_an_update_after_a_one_way_create_into_edge_updates_the_same_customer(tmp_path: Path):
    world = Paired(edge, "pos", tmp_path, ONE_WAY)
    try:
        made = world.reference.add("customer", customer("one-way"))
        world.settle()
        key = world.counterpart("customer", "platform", made)
        assert key is not None, "the engine learned the id Edge gave the import"
        world.reference.edit("customer", made, {"last_name": "Changed"})
        world.settle()
        assert world.subject.ids("customer") == [key], "no second customer was imported"
        assert (world.subject.get("customer", key) or {})["last_name"] == "Changed"
    finally:
        world.close()


NO_MATCHING = {"flows": {"customer": {**ONE_WAY["flows"]["customer"], "match_on": []}}}


@pytest.mark.rule("G-1")
def test_a_one_way_flow_reads_its_target_only_while_ids_are_pending(tmp_path: Path):
    # Without match keys; a flow that matches before creating reads its target every run
    # (G-3, tests/test_rules_customers.py::test_one_way_download_matches_...).
    world = Paired(edge, "pos", tmp_path, NO_MATCHING)
    try:
        world.subject.add("customer", customer("edge-only"))
        first = world.sync()[0]
        assert "customer.read.pos" not in first.counts, "nothing pending: Edge is not read"
        world.reference.add("customer", customer("coming-down"))
        reports = world.settle()
        assert any("customer.read.pos" in r.counts for r in reports), "read while pending"
        later = world.sync()[0]
        assert "customer.read.pos" not in later.counts, "ids known: Edge is not read again"
        assert len(world.reference.ids("customer")) == 1, "the Edge-only customer stayed there"
    finally:
        world.close()
