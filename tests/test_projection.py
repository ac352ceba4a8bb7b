"""References between records (``RefTo``) translated through the links, on plain data."""

from __future__ import annotations

import pytest

from framework.engine.flows import FlowSpec
from framework.engine.projection import Deferred, Projection
from framework.models import Note

LINKS = {("pos", "001-00001"): "cl_000001", ("platform", "cl_000001"): "001-00001"}


def projection(links: dict[tuple[str, str], str] | None = None) -> Projection:
    flow = FlowSpec.model_validate({"fields": {"customer": {}, "text": {}}})

    def lookup(entity: str, side: str, record_id: str) -> str | None:
        return (links if links is not None else LINKS).get((side, record_id))

    return Projection(flow, Note, lookup)


def test_platform_reference_is_seen_as_the_pos_id_in_the_merge():
    view = projection().merge_view("platform", {"customer": "cl_000001", "text": "hi"})
    assert view == {"customer": "001-00001", "text": "hi"}


def test_reference_is_written_to_each_side_in_its_own_ids():
    proj = projection()
    assert proj.side_view("platform", {"customer": "001-00001"}) == {"customer": "cl_000001"}
    assert proj.side_view("pos", {"customer": "001-00001"}) == {"customer": "001-00001"}


def test_child_of_an_unlinked_parent_waits_instead_of_reaching_the_platform():
    with pytest.raises(Deferred):
        projection({}).side_view("platform", {"customer": "001-00001"})


def test_child_of_an_unlinked_parent_waits_instead_of_reaching_the_pos():
    proj = projection({})
    view = proj.merge_view("platform", {"customer": "cl_000009", "text": "hi"})
    assert view is not None
    with pytest.raises(Deferred):
        proj.side_view("pos", view)


def test_child_of_a_parent_still_pending_on_the_pos_waits():
    proj = projection({("platform", "cl_000002"): "~sw-store-customer-1"})
    view = proj.merge_view("platform", {"customer": "cl_000002", "text": "hi"})
    assert view is not None
    with pytest.raises(Deferred):
        proj.side_view("pos", view)
